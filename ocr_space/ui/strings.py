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
    # Build Dataset tab
    "dataset.tab": "Build Dataset",
    "dataset.intro": "Turn images and transcriptions into a clean train/validation/test parquet dataset. Every "
                     "rejected sample is listed with its reason; nothing is dropped silently.",
    "dataset.settings": "Output and split",
    "dataset.name": "Dataset name (folder under {root})",
    "dataset.prefix": "File prefix ({prefix}_train.parquet …)",
    "dataset.split": "Split: train,validation,test ratios, 'keep' (the source's own) or 'auto'",
    "dataset.seed": "Seed",
    "dataset.max_mp": "Largest image (megapixels)",
    "dataset.min_side": "Smallest side (px)",
    "dataset.columns": "Column mapping (tables and existing datasets; empty = auto-detect)",
    "dataset.image_column": "Image column",
    "dataset.text_column": "Text column",
    "dataset.split_column": "Split column",
    "dataset.files.tab": "Upload files",
    "dataset.files.help": "A manifest (`<image> <text>` per line), CSV/TSV/JSONL (e.g. metadata.jsonl), parquet "
                          "files, a .zip of a folder, or images with same-stem .txt files. Several files are "
                          "read as one folder and a manifest's paths are matched by file name; to keep "
                          "subfolders, upload a .zip.",
    "dataset.files.input": "Files",
    "dataset.files.build": "Build from files",
    "dataset.existing.tab": "Existing dataset",
    "dataset.existing.source": "Hub dataset id or local parquet/arrow folder",
    "dataset.existing.split": "Splits and rows to read, e.g. train[:1000] (empty = all)",
    "dataset.existing.build": "Build from dataset",
    "dataset.label.tab": "Label images",
    "dataset.label.help": "Upload images, type or paste each transcription in the table, or let a model draft "
                          "them first and correct the drafts. Pre-labelling fills only empty cells.",
    "dataset.label.images": "Images",
    "dataset.label.table": "Transcriptions (edit the text column)",
    "dataset.label.model": "Model for pre-labelling (Hub repo id or local folder)",
    "dataset.label.adapter": "LoRA adapter (optional)",
    "dataset.label.prelabel": "Pre-label empty rows with the model",
    "dataset.label.build": "Build from table",
    "dataset.synth.tab": "Synthetic lines",
    "dataset.synth.help": "Render your domain text with CJK fonts and scan-like degradations, for when you have "
                          "vocabulary but few labelled images.",
    "dataset.synth.text": "Text lines (one sample per line)",
    "dataset.synth.file": "…or a text file",
    "dataset.synth.fonts": "Fonts",
    "dataset.synth.n": "Samples (0 = one per line)",
    "dataset.synth.font_min": "Smallest font size (px)",
    "dataset.synth.font_max": "Largest font size (px)",
    "dataset.synth.blur": "Blur (largest radius, px)",
    "dataset.synth.noise": "Noise (largest std, 0-255)",
    "dataset.synth.jpeg": "JPEG artefacts (lowest quality; 0 = off)",
    "dataset.synth.rotation": "Rotation (largest, degrees)",
    "dataset.synth.contrast": "Faded ink (lowest contrast; 1 = off)",
    "dataset.synth.background": "Scan-like paper background",
    "dataset.synth.preview": "Preview 8 lines",
    "dataset.synth.build": "Build synthetic dataset",
    "dataset.summary": "Result",
    "dataset.preview": "Samples (train split)",
    "dataset.rejected": "Rejected samples",
    "dataset.stats": "Statistics",
    "dataset.downloads": "Files (parquet, card, stats, rejection report)",
    "dataset.built": "**{train}** train · **{validation}** validation · **{test}** test · **{rejected}** rejected "
                     "— saved to `{folder}` (use this folder in Fine-tune).",
    "dataset.nothing": "No sample passed the checks; the table below says why.",
    "dataset.rejected_more": "Showing the first {shown} of {total} rejections; all are in rejected.jsonl.",
    "dataset.no_files": "Upload at least one file first.",
    "dataset.no_rows": "Upload images and fill the table first.",
    "dataset.no_text": "Type some lines or upload a text file first.",
    "dataset.bad_name": "The dataset name may hold letters, digits, '.', '_' and '-' only (it becomes a folder "
                        "name); got {name!r}.",
    "dataset.space_local": "On a Space, an existing dataset must be a Hub id or a dataset built here (under {root}).",
    "error.no_image": "Upload an image first.",
    "error.unexpected": "Something went wrong inside ocr-space ({kind}). The app is still running; the details are "
                        "in the server log.",
}


def t(key: str, **values) -> str:
    return STRINGS[key].format(**values) if values else STRINGS[key]
