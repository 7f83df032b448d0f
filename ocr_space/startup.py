"""What the app does once when it starts, on a Space or anywhere (``app.py`` calls these, in order).

1. :func:`prepare_process`, before gradio, torch or huggingface_hub are imported:
   the Hugging Face caches (``HF_HOME``) go to persistent storage when there is
   some (they read ``HF_HOME`` once, at import), and on ZeroGPU ``spaces`` is
   imported first (it must come before anything initialises CUDA).
2. :func:`on_start`, once the UI is built: the work folders on persistent
   storage, a GPU the app cannot use said out loud, the "work is lost on
   restart" warning on a Space without storage, and the runs a dead process
   left mid-training resumed when ``OCR_SPACE_AUTO_RESUME=1``.
"""

from __future__ import annotations

import logging

from ocr_space import config

log = logging.getLogger("ocr_space")


def prepare_process() -> None:
    """Environment decisions that must precede the heavy imports (see the module doc)."""
    from ocr_space.zerogpu import prepare_zero_gpu

    home = config.use_persistent_storage()
    if home is not None:
        log.info("Hugging Face caches in %s (persistent storage)", home)
    prepare_zero_gpu()


def on_start() -> list[str]:
    """Start-up checks and actions; returns the warnings it logged (the UI shows the same ones)."""
    warnings = []
    if config.persistent_root() is not None:
        for root in (config.runs_root(), config.datasets_root(), config.reports_root()):
            root.mkdir(parents=True, exist_ok=True)
    elif config.work_lost_on_restart():
        warnings.append("This Space has no persistent storage: runs, datasets and reports are lost when it "
                        "restarts. Turn on push-on-finish in Fine-tune, or add persistent storage to the Space.")
    from ocr_space.models.gpu_check import gpu_warning

    if gpu_warning():
        warnings.append(gpu_warning())
    for warning in warnings:
        log.warning(warning)
    if config.auto_resume():
        from ocr_space.train.runner import resume_interrupted

        job = resume_interrupted()
        if job is not None:
            log.info("resumed the interrupted run %s (OCR_SPACE_AUTO_RESUME=1)", job.run_dir)
    return warnings
