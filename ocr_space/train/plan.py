"""A training run's decisions, made once: device, precision, optimizer, mode, checkpointing, memory.

Settings flow down once: form or flags -> :class:`TrainConfig` -> :class:`TrainPlan`
-> the job. :func:`resolve_plan` reads the config and the machine (device, GPU
memory budget, bitsandbytes, the model family from its ``config.json``)
before any weights load, and every ``auto`` becomes a value there and nowhere
else. One thing can only be known later, the memory probe's answer (it needs the
loaded model), and it comes back as a new frozen plan (:meth:`TrainPlan.with_memory`),
never as a change to the old one.

The job only reads the plan; ``status.json`` records it (``plan``, from
:meth:`TrainPlan.as_dict`) so a run shows what it decided and why.

>>> from ocr_space.train.recipe import TrainConfig
>>> plan = resolve_plan(TrainConfig(model="/tmp/tiny", data="d", device="cpu"))  # doctest: +SKIP
>>> plan.optim, plan.memory.describe()  # doctest: +SKIP
('adamw_torch', '8 x 1, checkpointing off')
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ocr_space.errors import ConfigError
from ocr_space.train.compile import compile_decision
from ocr_space.train.memory_fit import FitResult, MemoryPlan
from ocr_space.train.recipe import CHECKPOINTING_BELOW_GIB, TrainConfig
from ocr_space.train.tracking import check_tracker

if TYPE_CHECKING:
    from ocr_space.models.registry import ModelFamily

log = logging.getLogger("ocr_space.train")

#: what "auto" checkpointing picks under CHECKPOINTING_BELOW_GIB (bench/RESULTS.md compares "on" and "decoder")
AUTO_CHECKPOINTING_SHORT_OF_MEMORY = "on"


@dataclass(frozen=True)
class Precision:
    dtype: Any  # torch dtype of the base weights
    fp16: bool  # Trainer mixed precision flags
    bf16: bool

    @property
    def autocast(self) -> bool:
        """The Trainer runs the forward under autocast (fp16 or bf16 mixed precision)."""
        return self.fp16 or self.bf16


@dataclass(frozen=True)
class TrainPlan:
    """What one run will do, decided; built by :func:`resolve_plan`, read by the job, never changed.

    ``memory`` is the micro-batch, accumulation and checkpointing the Trainer
    gets; it is None only while ``probe_memory`` says the memory probe decides
    it (then :meth:`with_memory` fills it in, with the probe's attempts).
    """

    device: str
    precision: Precision
    optim: str
    family: ModelFamily = field(repr=False, compare=False)
    mode: str
    memory: MemoryPlan | None
    probe_memory: bool
    #: this process's share of the GPU's memory (bytes); None off CUDA
    gpu_budget_bytes: float | None
    #: the experiment tracker ("none", "tensorboard", "trackio"), checked to import here
    report_to: str = "none"
    #: the warm-up the Trainer gets: the config's, clamped to the run's steps (``train --steps 3`` runs)
    warmup_steps: int = 0
    #: the memory probe's attempts, once it ran
    memory_probe: tuple[dict, ...] | None = None
    #: regional torch.compile of the repeated layers, and why (ocr_space.train.compile)
    compile: bool = False
    compile_note: str = ""
    #: the image encoder replayed as CUDA graphs while training (ocr_space.models.vision_graph), and why
    vision_graph: bool = False
    vision_graph_note: str = ""
    #: the text decoder replayed as CUDA graphs while training (ocr_space.models.decoder_graph)
    decoder_graph: bool = False
    #: processes training together (torchrun / accelerate launch): one per GPU; 1 = this process alone
    world_size: int = 1
    #: how they share the model: "none" (one process), "ddp" or "fsdp" (ocr_space.train.data_parallel)
    strategy: str = "none"

    def warmup_note(self, config: TrainConfig) -> str | None:
        """A line for the log when the warm-up was clamped, else None."""
        if self.warmup_steps == config.warmup_steps:
            return None
        return (f"warm-up clamped to {self.warmup_steps} steps: warmup_steps ({config.warmup_steps}) was more than "
                f"the run's {config.steps} steps")

    @property
    def graphs_vision(self) -> bool:
        """The vision graphs apply to this run: asked for, and the memory plan allows them."""
        return self.vision_graph and self.memory is not None and self.memory.allows_vision_graph()

    @property
    def graphs_decoder(self) -> bool:
        """The decoder graphs apply to this run: asked for, and the memory plan allows them."""
        return self.decoder_graph and self.memory is not None and self.memory.allows_decoder_graph()

    @property
    def samples_per_step(self) -> int:
        """Samples one optimizer step sees, over all processes."""
        return self.memory.batch_size * self.memory.grad_accum * self.world_size

    def process_batch(self, config: TrainConfig) -> tuple[int, int]:
        """``(batch_size, grad_accum)`` each process starts from: the config's, shared among the processes."""
        from ocr_space.train.data_parallel import per_process_batch

        return per_process_batch(config.batch_size, config.grad_accum, self.world_size, config.effective_batch)

    def with_memory(self, fit: FitResult) -> TrainPlan:
        """This plan with the memory probe's answer (``fit.plan`` None = nothing fits: memory stays undecided)."""
        if not self.probe_memory:
            raise ValueError("this plan does not probe memory; its memory settings are already decided")
        return dataclasses.replace(self, memory=fit.plan, memory_probe=tuple(fit.attempts))

    def as_dict(self) -> dict[str, Any]:
        """The plan as ``status.json`` records it (plain JSON values)."""
        from ocr_space.models.devices import dtype_name

        memory = self.memory
        return {
            "device": self.device, "dtype": dtype_name(self.precision.dtype), "fp16": self.precision.fp16,
            "bf16": self.precision.bf16, "optim": self.optim, "family": self.family.name, "mode": self.mode,
            "batch_size": memory.batch_size if memory else None,
            "grad_accum": memory.grad_accum if memory else None,
            "gradient_checkpointing": memory.gradient_checkpointing if memory else None,
            "probe_memory": self.probe_memory, "warmup_steps": self.warmup_steps, "report_to": self.report_to,
            "memory_probe": list(self.memory_probe) if self.memory_probe is not None else None,
            "gpu_budget_gib": round(self.gpu_budget_bytes / 2**30, 2) if self.gpu_budget_bytes else None,
            "compile": self.compile, "compile_note": self.compile_note,
            "vision_graph": self.graphs_vision if memory else self.vision_graph,
            "vision_graph_note": self.vision_graph_note,
            "decoder_graph": self.graphs_decoder if memory else self.decoder_graph,
            "world_size": self.world_size, "strategy": self.strategy,
            "samples_per_step": self.samples_per_step if memory else None,
        }


def resolve_plan(config: TrainConfig) -> TrainPlan:
    """Every decision a run can make before loading weights; errors name the setting that cannot work here."""
    from ocr_space.distributed import topology
    from ocr_space.models.devices import pick_device
    from ocr_space.models.loading import read_checkpoint_config
    from ocr_space.models.padded_experts import grouped_experts_native
    from ocr_space.models.registry import family_for_config
    from ocr_space.train.data_parallel import check_strategy, per_process_batch, process_training_device

    world_size = topology().world_size
    device = pick_device(process_training_device(config.device))
    strategy = check_strategy(config.strategy, world_size, device)
    precision = resolve_precision(config, device)
    optim = resolve_optimizer(config, device)
    family = family_for_config(read_checkpoint_config(config.model)[0])
    mode = config.mode or family.training_mode or family.default_mode
    family.mode(mode)  # unknown mode -> a clear error before any work
    _check_four_bit(config, device)
    budget = gpu_budget_bytes(device)
    batch = per_process_batch(config.batch_size, config.grad_accum, world_size, config.effective_batch)
    memory, probe = _memory_decision(config, device, budget, strategy, batch)
    compiled, compile_note = compile_decision(config.compile, device)
    vision_graph, vision_graph_note = vision_graph_decision(config, device, world_size, precision.dtype)
    return TrainPlan(device=device, precision=precision, optim=optim, family=family, mode=mode,
                     memory=memory, probe_memory=probe, gpu_budget_bytes=budget,
                     warmup_steps=min(config.warmup_steps, config.steps), report_to=check_tracker(config.report_to),
                     compile=compiled, compile_note=compile_note, vision_graph=vision_graph and config.vision_graph,
                     vision_graph_note=vision_graph_note,
                     decoder_graph=vision_graph and config.decoder_graph
                     and grouped_experts_native(device, precision.dtype),
                     world_size=world_size, strategy=strategy)


def vision_graph_decision(config: TrainConfig, device: str, world_size: int, dtype=None) -> tuple[bool, str]:
    """(replay the image encoder as CUDA graphs?, why); full gradient checkpointing is checked later, once the
    memory plan is known (:attr:`TrainPlan.graphs_vision`). ``dtype``: the run's compute dtype (the decoder is
    graphed only where its experts run natively, :func:`ocr_space.models.padded_experts.grouped_experts_native`)."""
    from ocr_space.models.padded_experts import grouped_experts_native
    from ocr_space.models.vision_graph import ENV_SWITCH, switched_off

    if not (config.vision_graph or config.decoder_graph):
        return False, "vision_graph and decoder_graph: off was asked for"
    if not device.startswith("cuda"):
        return False, f"CUDA graphs need a CUDA device, not {device}"
    if switched_off():
        return False, f"{ENV_SWITCH}=0"
    if config.load_in_4bit:
        return False, "4-bit weights: bitsandbytes' kernels are not captured"
    if world_size > 1:
        return False, "several processes: DDP and FSDP act inside the backward, which a graph would freeze"
    if config.compile == "on":
        return False, "compile: on already compiles the encoder's layers"
    decoder = config.decoder_graph and grouped_experts_native(device, dtype)
    no_decoder = ("the decoder is not: the routed experts run in a loop driven by the host here (grouped matmuls "
                  "need bf16 on a GPU of capability 8.0 or newer), which a graph cannot capture")
    if not (config.vision_graph or decoder):
        return False, f"vision_graph is off, and {no_decoder}"
    parts = [name for name, on in (("image encoder", config.vision_graph), ("decoder", decoder)) if on]
    note = f"the {' and the '.join(parts)} replayed as CUDA graphs, forward and backward"
    return True, note + (f"; {no_decoder}" if config.decoder_graph and not decoder else "")


def resolve_precision(config: TrainConfig, device: str) -> Precision:
    """auto = bf16 on capability >= 8, fp16 on older GPUs (T4), fp32 on CPU; fp16/bf16 need CUDA."""
    import torch

    from ocr_space.models.devices import pick_dtype

    if config.precision == "auto":
        dtype = pick_dtype(device)
    elif config.precision == "fp32":
        dtype = torch.float32
    else:
        if not device.startswith("cuda"):
            raise ConfigError(f"precision: {config.precision} training needs a CUDA GPU; use auto or fp32 on {device}.")
        dtype = torch.float16 if config.precision == "fp16" else torch.bfloat16
    return Precision(dtype=dtype, fp16=dtype == torch.float16, bf16=dtype == torch.bfloat16)


def resolve_optimizer(config: TrainConfig, device: str) -> str:
    """auto = torch's fused AdamW on CUDA, plain AdamW elsewhere.

    The reference recipe uses bitsandbytes' 8-bit AdamW (``optim: adamw_8bit``), whose step synchronizes the GPU
    after every parameter (``bitsandbytes.utils.sync_gpu``): 548 waits per step with the adapters on all layers,
    so the host can never prepare the next step while the GPU runs this one. On the H200 (bench/RESULTS.md,
    session 6, one call) the fused AdamW trained the defaults at 59.4 lines/s against 42.6, and 22.6 against
    19.5 under the 15 GiB fp16 cap, for 0.28 GiB more memory (full fp32 moments for 72 M trainable parameters,
    which the memory probe already reserves). It is the exact AdamW update that the 8-bit one approximates.
    """
    if config.optim != "auto":
        if "8bit" in config.optim and not (device.startswith("cuda") and _bitsandbytes_imports()):
            raise ConfigError(f"optim: {config.optim} needs a CUDA GPU and bitsandbytes; use adamw_torch.")
        return config.optim
    return "adamw_torch_fused" if device.startswith("cuda") else "adamw_torch"


def resolve_checkpointing(config: TrainConfig, budget_bytes: float | None) -> str:
    """``on``, ``decoder`` or ``off``: explicit settings win; auto = only where GPU memory is short.

    ``budget_bytes`` is :func:`gpu_budget_bytes` (None off CUDA, where auto is off).

    >>> resolve_checkpointing(TrainConfig(), 15 * 2**30), resolve_checkpointing(TrainConfig(), None)
    ('on', 'off')
    """
    if config.gradient_checkpointing != "auto":
        return config.gradient_checkpointing
    if budget_bytes is None:
        return "off"
    return AUTO_CHECKPOINTING_SHORT_OF_MEMORY if budget_bytes / 2**30 < CHECKPOINTING_BELOW_GIB else "off"


def gpu_budget_bytes(device: str) -> float | None:
    """The card's memory times this process's allowed fraction; None off CUDA.

    A process capped with ``torch.cuda.set_per_process_memory_fraction`` on a
    big card decides like the small card it imitates.
    """
    if not device.startswith("cuda"):
        return None
    import torch

    index = torch.device(device).index or 0
    return torch.cuda.get_device_properties(index).total_memory * torch.cuda.get_per_process_memory_fraction(index)


def probes_memory(config: TrainConfig, device: str) -> bool:
    """Probe on CUDA when asked, except for 'decoder' checkpointing and 4-bit loading (both sized for small cards
    already)."""
    return (config.fit_to_memory and device.startswith("cuda")
            and config.gradient_checkpointing != "decoder" and not config.load_in_4bit)


def _memory_decision(config: TrainConfig, device: str, budget: float | None, strategy: str,
                     batch: tuple[int, int]) -> tuple[MemoryPlan | None, bool]:
    """(memory, probe): this process's micro-batch with checkpointing resolved, or None when the probe decides.

    ``batch`` is the config's ``(batch_size, grad_accum)`` as one process takes it (``TrainPlan.process_batch``).
    Under FSDP a GPU holds a shard, not the whole model the probe would measure: no probe.
    """
    if strategy != "fsdp" and probes_memory(config, device):
        return None, True
    return MemoryPlan(batch[0], batch[1], resolve_checkpointing(config, budget)), False


def _check_four_bit(config: TrainConfig, device: str) -> None:
    """4-bit loading needs CUDA and bitsandbytes."""
    if not config.load_in_4bit:
        return
    if not device.startswith("cuda"):
        raise ConfigError("load_in_4bit: 4-bit (QLoRA) training needs a CUDA GPU; turn it off on CPU.")
    if not _bitsandbytes_imports():
        raise ConfigError("load_in_4bit: needs the bitsandbytes package (pip install bitsandbytes).")


def _bitsandbytes_imports() -> bool:
    try:
        import bitsandbytes  # noqa: F401
    except Exception:  # noqa: BLE001 - a broken install is as good as none here
        return False
    return True
