"""TrainerCallbacks that report progress into the run folder and stop a run on request.

The job thread never gets killed: cancelling sets a flag (or drops a
``cancel.request`` file, so another process can cancel too) and
:class:`CancelCallback` asks the Trainer to save a checkpoint and stop at the
end of the current optimizer step.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from transformers import TrainerCallback

from ocr_space.train.run_dir import RunDir

log = logging.getLogger("ocr_space.train")


def gpu_memory_gib() -> float | None:
    """Peak GPU memory reserved by this process so far (GiB), or None without CUDA."""
    import torch

    if not torch.cuda.is_available():
        return None
    return round(torch.cuda.max_memory_reserved() / 2**30, 3)


class EventLogCallback(TrainerCallback):
    """One ``events.jsonl`` line per logged step (every step, or about one a second on a GPU: :class:`LogPacing`):
    step, loss, lr, grad_norm, samples/s, elapsed, ETA, GPU memory.

    ``on_event`` (optional) receives each event too: the CLI prints it as a progress line. In a multi-process
    run only the first process reports (the loss the Trainer logs is already averaged over the processes), and
    ``samples_per_step`` counts the samples of all processes.
    """

    def __init__(self, run: RunDir, samples_per_step: int, on_event: Callable[[dict], None] | None = None):
        self.run = run
        self.samples_per_step = samples_per_step
        self.on_event = on_event
        self._started = 0.0
        self._first_step = 0
        self._last_step_end = 0.0
        self._step_seconds = 0.0

    def on_train_begin(self, args, state, control, **kwargs):
        self._started = self._last_step_end = time.monotonic()
        self._first_step = state.global_step  # > 0 after a resume
        if state.is_world_process_zero:
            self.run.update_status(state="training", step=state.global_step, max_steps=state.max_steps)

    def on_step_end(self, args, state, control, **kwargs):
        now = time.monotonic()
        self._step_seconds = now - self._last_step_end
        self._last_step_end = now
        if state.is_world_process_zero:
            self.run.update_status(step=state.global_step, max_steps=state.max_steps)

    def on_log(self, args, state, control, logs: dict[str, Any] | None = None, **kwargs):
        if not logs or "loss" not in logs or not state.is_world_process_zero:
            return  # the end-of-training summary has no step loss; other processes leave reporting to rank 0
        elapsed = time.monotonic() - self._started
        done = max(state.global_step - self._first_step, 1)
        remaining = max(state.max_steps - state.global_step, 0)
        event = {
            "step": state.global_step,
            "max_steps": state.max_steps,
            "loss": _number(logs.get("loss")),
            "lr": _number(logs.get("learning_rate")),
            "grad_norm": _number(logs.get("grad_norm")),
            "samples_per_s": round(self.samples_per_step / self._step_seconds, 3) if self._step_seconds else None,
            "elapsed": round(elapsed, 2),
            "eta": round(elapsed / done * remaining, 1),
            "gpu_mem": gpu_memory_gib(),
            "time": time.time(),
        }
        self.run.append_event(event)
        log.info("step %d/%d loss %.4f lr %.3g grad_norm %s eta %.0fs", event["step"], event["max_steps"],
                 event["loss"] if event["loss"] is not None else math.nan, event["lr"] or 0.0,
                 event["grad_norm"], event["eta"])
        if self.on_event:
            self.on_event(event)


class LogPacing(TrainerCallback):
    """Log the loss at most every ``min_interval_s`` seconds, and at the last step.

    Logging reads the loss and the gradient norm off the GPU (``.item()``), which makes the host wait until the
    GPU has finished the step. At one log per step the host can never run ahead, so a fast GPU idles while the
    next step is prepared. Logged losses stay exact: the Trainer averages the steps since the previous log.
    With ``min_interval_s`` 0 every step is logged (CPU runs, where nothing runs ahead anyway).
    """

    def __init__(self, min_interval_s: float, clock: Callable[[], float] = time.monotonic):
        self.min_interval_s = min_interval_s
        self.clock = clock
        self._last_log = 0.0

    def on_train_begin(self, args, state, control, **kwargs):
        self._last_log = self.clock()

    def on_step_end(self, args, state, control, **kwargs):
        now = self.clock()
        last = state.global_step >= state.max_steps or control.should_training_stop  # the end, or a cancel
        if last or now - self._last_log >= self.min_interval_s:
            control.should_log = True
            self._last_log = now
        return control


class CancelCallback(TrainerCallback):
    """Stop after the current optimizer step when the flag is set or ``cancel.request`` exists; save first.

    In a multi-process run the processes must stop at the same step (a process that steps on alone waits
    forever for the others' gradients), so after every step they agree: one asked, all stop.
    """

    def __init__(self, run: RunDir, flag: threading.Event):
        self.run = run
        self.flag = flag
        self.stopped_at: int | None = None

    def requested(self) -> bool:
        return self.flag.is_set() or self.run.cancel_file.exists()

    def on_step_end(self, args, state, control, **kwargs):
        from ocr_space.distributed import gather_objects, topology

        requested = self.requested()
        if topology().distributed:
            requested = any(gather_objects(requested))
        if requested:
            control.should_training_stop = True
            control.should_save = True  # keep this step's work: resume continues from here
            self.stopped_at = state.global_step
            log.info("cancel requested: stopping after step %d with a checkpoint", state.global_step)
        return control


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class DecoderOnlyCheckpointing(TrainerCallback):
    """Keep activation checkpointing on the language model's layers only (gradient_checkpointing="decoder").

    The decoder is where memory goes at full size (the per-expert LoRA deltas of
    every MoE layer are saved for backward); the vision encoder's layers are
    cheap to keep and costly to recompute, since each recomputation re-launches
    their many small LoRA kernels. The Trainer switches checkpointing on for
    every layer when training starts, so this runs right after it.
    """

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        switched_off = 0
        for name, module in model.named_modules():
            if getattr(module, "gradient_checkpointing", False) and "language_model" not in name:
                module.gradient_checkpointing = False
                switched_off += 1
        log.info("gradient checkpointing kept on decoder layers only (%d vision layers without)", switched_off)
