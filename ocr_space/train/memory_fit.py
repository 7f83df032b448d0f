"""Fit a run to the GPU before it starts: try the heaviest batch, step down until it fits.

Whether 8 samples fit without gradient checkpointing depends on the card, the
precision, the resolution mode and the longest answers, so no fixed rule gets
it right: 8 text lines train without checkpointing in 12 GiB on a 15 GiB
budget, while 8 pages do not fit even with it (bench/RESULTS.md). So on CUDA
we run one forward + backward on the training set's longest rows with the
configured settings and, if that runs out of memory (or leaves no room for the
optimizer state), step down a ladder that keeps the effective batch, and so
the gradient, unchanged:

1. the settings as given (``auto`` checkpointing starts with it off),
2. gradient checkpointing on (only when it was ``auto``),
3. half the micro-batch and twice the accumulation, repeatedly, down to 1.

Every attempt is recorded in the run's status, so the choice is visible, not
silent; if even a micro-batch of 1 does not fit, the run fails with the usual
out-of-memory message before any step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from ocr_space.out_of_memory import is_out_of_memory

log = logging.getLogger(__name__)

#: fraction of the memory budget a probe may peak at: later steps fragment the allocator a little more
HEADROOM = 0.92


@dataclass(frozen=True)
class MemoryPlan:
    batch_size: int
    grad_accum: int
    gradient_checkpointing: str  # "on", "off" or "decoder"

    def describe(self) -> str:
        return f"{self.batch_size} x {self.grad_accum}, checkpointing {self.gradient_checkpointing}"

    def allows_vision_graph(self) -> bool:
        """The image encoder's CUDA graphs fit this plan: it does not recompute the encoder.

        Gradients accumulate over micro-batches as they do eagerly (tests/models/test_vision_graph.py, on the
        H200). In ``small`` and ``base`` mode every image has one shape, captured on a step's first micro-batch;
        a shape first seen on a later one (tiles) may fail to capture as the decoder's buckets do
        (:meth:`allows_decoder_graph`), and then runs eagerly: correct, only not faster.
        """
        return self.gradient_checkpointing != "on"

    def allows_decoder_graph(self) -> bool:
        """The decoder's CUDA graphs fit this plan: no checkpointing at all, and one micro-batch per step.

        With accumulation, a length bucket first seen on a later micro-batch is captured while ``.grad`` holds the
        earlier micro-batch's gradients, and on the H200 that capture failed ("operation failed due to a previous
        error during capture"; tests/models/test_vision_graph.py, marked xfail). The dispatcher then runs that
        bucket eagerly, correct but slower, so accumulating runs keep the decoder eager until that is understood.
        """
        return self.gradient_checkpointing == "off" and self.grad_accum == 1


@dataclass
class FitResult:
    plan: MemoryPlan | None  # None: nothing fits
    attempts: list[dict] = field(default_factory=list)


def ladder(batch_size: int, grad_accum: int, checkpointing: str) -> list[MemoryPlan]:
    """The plans to try, in order; ``checkpointing`` as configured (``auto`` may switch it on).

    >>> [p.describe() for p in ladder(8, 1, "auto")]
    ['8 x 1, checkpointing off', '8 x 1, checkpointing on', '4 x 2, checkpointing on', '2 x 4, checkpointing on', \
'1 x 8, checkpointing on']
    """
    steps = [(batch_size, grad_accum)]
    while steps[-1][0] > 1:
        size, accum = steps[-1]
        half = size // 2
        # keep batch x accum: an odd size rounds the accumulation up so no sample is dropped per step
        steps.append((half, -(-size * accum // half)))
    if checkpointing == "auto":
        return [MemoryPlan(batch_size, grad_accum, "off")] + [MemoryPlan(b, a, "on") for b, a in steps]
    return [MemoryPlan(b, a, checkpointing) for b, a in steps]


def fit_to_memory(plans: list[MemoryPlan], try_plan: Callable[[MemoryPlan], float],
                  budget_bytes: float, reserve_bytes: float = 0.0) -> FitResult:
    """The first plan whose probe fits: ``try_plan`` returns its peak bytes or raises CUDA OOM.

    A plan fits when its peak plus ``reserve_bytes`` (the optimizer state the
    probe does not allocate) stays under ``HEADROOM`` of ``budget_bytes``.
    """
    result = FitResult(plan=None)
    for plan in plans:
        try:
            peak = try_plan(plan)
        except Exception as exc:  # noqa: BLE001 - only out-of-memory is a "does not fit"; the rest propagate
            if not is_out_of_memory(exc):
                raise
            result.attempts.append({"plan": plan.describe(), "fits": False, "why": "out of memory"})
            log.info("memory probe: %s does not fit (out of memory)", plan.describe())
            continue
        needed = peak + reserve_bytes
        fits = needed <= HEADROOM * budget_bytes
        result.attempts.append({"plan": plan.describe(), "fits": fits, "peak_gib": round(peak / 2**30, 2),
                                "needed_gib": round(needed / 2**30, 2),
                                "budget_gib": round(budget_bytes / 2**30, 2)})
        log.info("memory probe: %s peaks at %.2f GiB (+%.2f GiB optimizer) of %.2f GiB: %s", plan.describe(),
                 peak / 2**30, reserve_bytes / 2**30, budget_bytes / 2**30, "fits" if fits else "too close")
        if fits:
            result.plan = plan
            return result
    return result


def heaviest_rows(rows, count: int) -> list[dict]:
    """The ``count`` rows with the longest transcriptions: the batch that needs the most memory."""
    texts = rows["text"] if hasattr(rows, "column_names") else [row["text"] for row in rows]
    order = sorted(range(len(texts)), key=lambda index: len(str(texts[index] or "")), reverse=True)[:count]
    return [rows[index] for index in order]


def cuda_probe(model, collate, rows, device: str, autocast_dtype, vision_graph: bool = False,
               decoder_graph: bool = False) -> Callable[[MemoryPlan], float]:
    """A ``try_plan`` that runs one real forward + backward of ``rows[:batch_size]`` and reports the peak.

    Gradients are dropped afterwards and no optimizer step is taken, so the
    model leaves the probe exactly as it came in. With ``vision_graph`` /
    ``decoder_graph`` the image encoder / the decoder run as training will run
    them (captured CUDA graphs, whose memory stays allocated), on the rungs
    where training would capture them.
    """
    import contextlib

    import torch

    from ocr_space.models.decoder_graph import training_decoder_graphs
    from ocr_space.models.lora import adapter_input_casts_skipped
    from ocr_space.models.vision_graph import training_vision_graphs

    def try_plan(plan: MemoryPlan) -> float:
        index = torch.device(device).index or 0
        model.train()
        if plan.gradient_checkpointing != "off":
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        try:
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(index)
            batch = collate(rows[:plan.batch_size])
            batch = {key: value.to(device) if hasattr(value, "to") else value for key, value in batch.items()}
            autocast = (torch.autocast("cuda", dtype=autocast_dtype) if autocast_dtype is not None
                        else contextlib.nullcontext())
            vision = (training_vision_graphs(model) if vision_graph and plan.allows_vision_graph()
                      else contextlib.nullcontext())
            decoder = (training_decoder_graphs(model) if decoder_graph and plan.allows_decoder_graph()
                       else contextlib.nullcontext())
            with vision, decoder:
                with autocast, adapter_input_casts_skipped(model):
                    loss = model(**batch).loss
                loss.backward()
            torch.cuda.synchronize(index)
            return torch.cuda.max_memory_reserved(index)
        finally:
            loss = batch = None  # noqa: F841 - free the graph before the next attempt
            model.zero_grad(set_to_none=True)
            if plan.gradient_checkpointing != "off":
                model.gradient_checkpointing_disable()
            torch.cuda.empty_cache()

    return try_plan


def optimizer_state_bytes(model) -> int:
    """AdamW's two fp32 moments per trainable parameter (what the probe does not allocate)."""
    from ocr_space.models.lora import count_parameters

    return count_parameters(model)[1] * 8
