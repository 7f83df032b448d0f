"""How one training run spreads over N processes (one per GPU): the batch each takes, the strategy, resume.

``torchrun --nproc_per_node N -m ocr_space train ...`` runs the same command
in N processes. They train one model: every process takes its own micro-batches
of different rows and the gradients are averaged before each optimizer step,
so an optimizer step sees ``batch_size x grad_accum x N`` samples.

- **The effective batch is kept** (``effective_batch: keep``, the default): the
  config's ``batch_size x grad_accum`` is what one optimizer step sees, as in the
  recipe, and each process takes 1/N of it (:func:`share_effective_batch`), so the
  same config gives the same training curve on 1 or N GPUs, only faster.
  ``effective_batch: scale`` gives every process the whole ``batch_size x
  grad_accum`` instead (N times more samples per step; raise the learning rate
  yourself if you want that).
- **Strategies**: ``ddp`` (default) keeps a whole model on every GPU and averages
  gradients: the fastest when the model fits one card, which it does for LoRA on a
  3B model. ``fsdp`` shards parameters, gradients and optimizer state across the
  GPUs (layer by layer, ``_no_split_modules``): less memory per card for more
  communication per step; it needs CUDA (accelerate offers it on GPUs only).
- **Resume** continues with the world size the run was started with: a different
  count changes the samples per step and the data order, so it is refused with
  the command that would match (:func:`check_resume_world_size`).
"""

from __future__ import annotations

from ocr_space.errors import ConfigError
from ocr_space.train.memory_fit import FitResult, MemoryPlan
from ocr_space.train.recipe import STRATEGIES


def share_effective_batch(batch_size: int, grad_accum: int, world_size: int) -> tuple[int, int]:
    """Per-process ``(batch_size, grad_accum)`` so that their product times ``world_size`` is the config's.

    The micro-batch is kept as large as it can be (up to the configured one):
    the accumulation is cut first, then the micro-batch.

    >>> share_effective_batch(8, 1, 2)
    (4, 1)
    >>> share_effective_batch(2, 4, 2)
    (2, 2)
    >>> share_effective_batch(8, 1, 1)
    (8, 1)
    """
    if world_size <= 1:
        return batch_size, grad_accum
    total = batch_size * grad_accum
    if total % world_size:
        raise ConfigError(f"batch_size x grad_accum = {total} samples per step cannot be shared evenly among "
                          f"{world_size} processes; make it a multiple of {world_size} (e.g. batch_size "
                          f"{-(-total // world_size) * world_size}), or set effective_batch: scale to give every "
                          f"process {batch_size} x {grad_accum}.")
    per_process = total // world_size
    micro = next(size for size in range(min(batch_size, per_process), 0, -1) if per_process % size == 0)
    return micro, per_process // micro


def per_process_batch(batch_size: int, grad_accum: int, world_size: int, effective_batch: str) -> tuple[int, int]:
    """``(batch_size, grad_accum)`` one process trains with, under ``effective_batch`` keep or scale.

    >>> per_process_batch(8, 1, 2, "keep"), per_process_batch(8, 1, 2, "scale")
    ((4, 1), (8, 1))
    """
    if effective_batch == "scale":
        return batch_size, grad_accum
    return share_effective_batch(batch_size, grad_accum, world_size)


def process_training_device(requested: str) -> str:
    """This process's device: under a launcher ``auto``/``cuda`` = ``cuda:LOCAL_RANK``; one GPU for all is refused.

    >>> process_training_device("cpu")
    'cpu'
    """
    from ocr_space.distributed import process_device, topology

    device = process_device(requested)
    world_size = topology().world_size
    if world_size > 1 and device.startswith("cuda:") and device == requested:
        raise ConfigError(f"device: {requested} would put all {world_size} processes on one GPU; use device auto "
                          "(each process takes the GPU of its local rank).")
    return device


def check_strategy(strategy: str, world_size: int, device: str) -> str:
    """The strategy this run uses: ``none`` in a single process; FSDP only on CUDA.

    >>> check_strategy("ddp", 1, "cpu"), check_strategy("ddp", 2, "cpu")
    ('none', 'ddp')
    """
    if strategy not in STRATEGIES:
        raise ConfigError(f"strategy: must be one of {', '.join(STRATEGIES)}; got {strategy!r}.")
    if world_size <= 1:
        return "none"
    if strategy == "fsdp" and not device.startswith("cuda"):
        raise ConfigError("strategy: fsdp shards the model over GPUs and needs CUDA (accelerate has no CPU FSDP); "
                          "use strategy: ddp on CPU.")
    return strategy


def trainer_arguments(strategy: str) -> dict:
    """What ``TrainingArguments`` needs for ``strategy`` (``none``, ``ddp`` or ``fsdp``).

    DDP does not search for unused parameters: every LoRA factor takes part in
    every forward (the factored experts run all experts' factors in one grouped
    matmul, the answer-only logits still go through lm_head), and the search
    costs a graph traversal per step. FSDP wraps each decoder/encoder layer
    (the model's ``_no_split_modules``) and keeps the original parameters, which
    LoRA needs (frozen and trainable weights in one layer).

    >>> trainer_arguments("ddp")
    {'ddp_find_unused_parameters': False}
    """
    if strategy == "ddp":
        return {"ddp_find_unused_parameters": False}
    if strategy == "fsdp":
        return {"fsdp": "full_shard auto_wrap",
                "fsdp_config": {"use_orig_params": True, "sync_module_states": True,
                                "cpu_ram_efficient_loading": False}}
    return {}


def agree_on_fit(plans: list[MemoryPlan], fit: FitResult) -> FitResult:
    """The memory ladder's rung every process takes: the furthest down any process had to go.

    Each GPU probes its own heaviest batch; they must all train the same
    micro-batch and accumulation (the effective batch and the data order depend
    on it), and a rung further down needs less memory, so the one furthest down
    fits everywhere. If nothing fits on one GPU, nothing is chosen anywhere.
    """
    from ocr_space.distributed import gather_objects

    mine = plans.index(fit.plan) if fit.plan is not None else len(plans)
    rungs = gather_objects(mine)
    agreed = max(rungs)
    if agreed == mine:
        return fit
    plan = plans[agreed] if agreed < len(plans) else None
    note = {"plan": plan.describe() if plan else None, "fits": plan is not None,
            "why": f"another GPU needs it (rungs per process: {rungs})"}
    return FitResult(plan=plan, attempts=[*fit.attempts, note])


def check_resume_world_size(recorded: int | None, current: int) -> None:
    """Resume only with the process count the run was trained with (runs from before this record count as 1).

    >>> check_resume_world_size(2, 2)
    >>> check_resume_world_size(None, 1)
    """
    recorded = recorded or 1
    if recorded == current:
        return
    launch = ("python -m ocr_space train --resume RUN" if recorded == 1 else
              f"torchrun --nproc_per_node {recorded} -m ocr_space train --resume RUN")
    raise ConfigError(f"This run was trained with {recorded} process(es) and this resume has {current}: the samples "
                      f"per step and the data order would change. Resume it with {recorded} ({launch}), or start "
                      "a new run.")
