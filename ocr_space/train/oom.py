"""CUDA out-of-memory during training: a result with its cause and the fixes, not a crash.

A T4 has 16 GB; which setting to lower depends on the run, so the message
names this run's values. After an OOM the job frees what it held so the app,
the runner and other loaded models carry on.
"""

from __future__ import annotations

from ocr_space.errors import OcrSpaceError


class TrainingOutOfMemory(OcrSpaceError):
    """The GPU ran out of memory while training; the message says what to lower."""


def is_out_of_memory(exc: BaseException) -> bool:
    """True for torch's CUDA OOM type and for the plain RuntimeErrors some kernels raise instead."""
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def oom_message(config, mode: str) -> str:
    """What ran out and what to change, with this run's numbers.

    >>> from ocr_space.train.recipe import TrainConfig
    >>> "batch_size" in oom_message(TrainConfig(model="m", data="d"), "small")
    True
    """
    fixes = [f"lower batch_size (now {config.batch_size}; raise grad_accum, now {config.grad_accum}, "
             "to keep the effective batch)"]
    if mode != "small":
        fixes.append(f"use resolution mode 'small' (now '{mode}'; tiles multiply the image tokens)")
    fixes.append(f"lower max_length (now {config.max_length})")
    if not config.load_in_4bit:
        fixes.append("turn on load_in_4bit (QLoRA)")
    if config.gradient_checkpointing != "on":
        fixes.append(f"set gradient_checkpointing to on (now {config.gradient_checkpointing})")
    fixes.append("unload other models from the GPU")
    return ("The GPU ran out of memory while training (CUDA out of memory). Fixes: " + "; ".join(fixes)
            + ". The app is still running; the last checkpoint, if any, is kept and the run can be resumed.")
