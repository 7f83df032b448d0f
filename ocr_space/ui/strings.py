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
    # Compare tab (issue 5)
    "compare.tab": "Compare",
    "compare.intro": "Score engines on the same dataset split: CER with a 95% bootstrap interval against the first "
                     "engine, the characters each engine confuses, and the lines behind the numbers.",
    "compare.data": "Dataset folder ({prefix}_{train,validation,test}.parquet)",
    "compare.split": "Split",
    "compare.limit": "Lines (first N; 0 = all)",
    "compare.model": "Base model (Hub repo id or local folder)",
    "compare.adapter": "LoRA adapter for 'tuned' (folder or Hub repo id)",
    "compare.merged": "Merged model folder for 'merged'",
    "compare.engines": "Engines (the first ticked one is the baseline)",
    "compare.availability": "Classic baselines here: {status}",
    "compare.available": "available",
    "compare.normalization": "Text normalisation",
    "compare.nfkc": "Unicode NFKC",
    "compare.fold_width": "Fold full-/half-width",
    "compare.fold_punctuation": "Fold CJK punctuation to ASCII",
    "compare.whitespace": "Whitespace",
    "compare.model_settings": "Model settings",
    "compare.batch_size": "Batch size",
    "compare.max_tokens": "Max new tokens",
    "compare.mode": "Resolution mode",
    "compare.run": "Compare",
    "compare.verdict": "Verdict",
    "compare.summary": "Summary",
    "compare.chart": "CER per engine (%)",
    "compare.samples": "Lines where engines err most (normalised; deleted, inserted, substituted marked)",
    "compare.confusions": "Character confusions (reference -> read as, count per engine)",
    "compare.files": "Reports",
    "compare.no_data": "Give a dataset folder first.",
    "compare.no_engines": "Tick at least one engine.",
    "compare.no_adapter": "'tuned' needs a LoRA adapter: fill in the adapter field or untick 'tuned'.",
    "compare.no_merged": "'merged' needs a merged model folder: fill it in or untick 'merged'.",
    "compare.baseline_only": "Only one engine ran, so there is nothing to compare it with.",
    "error.no_image": "Upload an image first.",
    "error.unexpected": "Something went wrong inside ocr-space ({kind}). The app is still running; the details are "
                        "in the server log.",
}


def t(key: str, **values) -> str:
    return STRINGS[key].format(**values) if values else STRINGS[key]
