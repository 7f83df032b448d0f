"""CUDA out-of-memory during training: a result with its cause and the fixes, not a crash.

A T4 has 16 GB; which setting to lower depends on the run, so the message
names this run's values. After an OOM the job frees what it held so the app,
the runner and other loaded models carry on. Whether an exception *is* an
out-of-memory is :func:`ocr_space.out_of_memory.is_out_of_memory`'s call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocr_space.errors import OcrSpaceError

if TYPE_CHECKING:
    from ocr_space.train.memory_fit import MemoryPlan


class TrainingOutOfMemory(OcrSpaceError):
    """The GPU ran out of memory while training; the message says what to lower."""


def oom_message(config, mode: str, memory: MemoryPlan | None = None) -> str:
    """What ran out and what to change, with this run's numbers (``memory``: the plan's, once decided).

    >>> from ocr_space.train.recipe import TrainConfig
    >>> "batch_size" in oom_message(TrainConfig(model="m", data="d"), "small")
    True
    """
    batch_size, grad_accum, checkpointing = ((memory.batch_size, memory.grad_accum, memory.gradient_checkpointing)
                                             if memory else
                                             (config.batch_size, config.grad_accum, config.gradient_checkpointing))
    fixes = [f"lower batch_size (now {batch_size}; raise grad_accum, now {grad_accum}, to keep the effective batch)"]
    if mode != "small":
        fixes.append(f"use resolution mode 'small' (now '{mode}'; tiles multiply the image tokens)")
    fixes.append(f"lower max_length (now {config.max_length})")
    if checkpointing != "on":
        fixes.append(f"set gradient_checkpointing to on (now {checkpointing})")
    if not config.load_in_4bit:
        # measured on DeepSeek-OCR-2 (bench/RESULTS.md, 2026-12-02 session 4): only its Linear layers quantize
        fixes.append("turn on load_in_4bit (QLoRA; on DeepSeek-OCR-2 it saves only ~0.6 GiB of weights, since "
                     "the routed experts stay 16-bit)")
    fixes.append("unload other models from the GPU")
    return ("The GPU ran out of memory while training (CUDA out of memory). Fixes: " + "; ".join(fixes)
            + ". The app is still running; the last checkpoint, if any, is kept and the run can be resumed.")
