"""Every user-visible string of the UI, in one table (LLaMA-Factory's locales idea, English for now)."""

STRINGS = {
    "title": "# ocr-space\nTurn a general DeepSeek-OCR model into an expert on your documents.",
    "recognize.tab": "Recognize",
    "recognize.image": "Image (upload, paste or webcam)",
    "recognize.model": "Model (Hub repo id or local folder)",
    "recognize.adapter": "LoRA adapter (optional: folder or Hub repo id)",
    "recognize.prompt": "Prompt",
    "recognize.mode": "Resolution mode",
    "recognize.max_tokens": "Max new tokens",
    "recognize.run": "Recognize",
    "recognize.text": "Text",
    "recognize.stats": "Run details",
    "recognize.loading": "Loading model (first use only)…",
    "recognize.reading": "Reading…",
    # ---- Fine-tune tab
    "finetune.tab": "Fine-tune",
    "finetune.intro": "Train a LoRA adapter on your dataset. The job runs in the background: reload the page or "
                      "open a second browser and it re-attaches to the run shown under **Run**.",
    "finetune.model": "Base model (Hub repo id or local folder)",
    "finetune.data": "Dataset (folder from Build Dataset, or a Hub dataset id with image/text columns)",
    "finetune.out": "Run folder (optional; default: a new folder under the runs root)",
    "finetune.preset": "Preset",
    "finetune.preset_info": "Quick = the reference recipe (60 steps); Thorough = 300 steps, r=32, more test lines",
    "finetune.advanced": "Advanced settings",
    "finetune.train_modules": "Also train in full (comma-separated module names, e.g. lm_head)",
    "finetune.mode": "Resolution mode (empty = the model's training default)",
    "finetune.command": "Equivalent command",
    "finetune.start": "Start",
    "finetune.cancel": "Cancel",
    "finetune.resume": "Resume",
    "finetune.run": "Run (folder)",
    "finetune.progress": "Progress",
    "finetune.loss": "Training loss",
    "finetune.metrics": "Before / after",
    "finetune.adapter": "Adapter: paste this into the LoRA adapter field of Recognize or Compare",
    "finetune.log": "Log",
    "finetune.no_run": "No run yet: choose a model and a dataset, then Start.",
    "finetune.started": "Started {run}.",
    "finetune.cancel_sent": "Cancel requested: the run stops after the current step and keeps a checkpoint.",
    "finetune.nothing_to_cancel": "This run is not running.",
    "finetune.stale": "interrupted (the process running it is gone); **Resume** continues from {checkpoint}",
    "finetune.cer": "CER before **{before}** → after **{after}** ({change}) on {samples} test lines",
    "finetune.cer_before_only": "CER before training: **{before}** on {samples} test lines",
    "finetune.no_test": "No test split: no before/after CER for this run.",
    "finetune.use_adapter": "Use it: paste the adapter path into **Recognize** or **Compare** (with the same base "
                            "model), or run `{command}`.",
    "error.no_image": "Upload an image first.",
    "error.unexpected": "Something went wrong inside ocr-space ({kind}). The app is still running; the details are "
                        "in the server log.",
}


def t(key: str, **values) -> str:
    return STRINGS[key].format(**values) if values else STRINGS[key]
