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
    "error.no_image": "Upload an image first.",
    "error.unexpected": "Something went wrong inside ocr-space ({kind}). The app is still running; the details are "
                        "in the server log.",
}


def t(key: str, **values) -> str:
    return STRINGS[key].format(**values) if values else STRINGS[key]
