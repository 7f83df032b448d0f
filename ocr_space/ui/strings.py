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
    # --- Share tab (ocr_space/ui/share_tab.py) ---
    "share.tab": "Share",
    "share.intro": "Push a fine-tuned adapter, a merged model or a dataset to the Hugging Face Hub (private by "
                   "default), with a generated card. Load an adapter back anywhere by its repo id.",
    "share.login_space": "Sign in with Hugging Face (needs write access), or paste a token below.",
    "share.login_local": "Uses the token typed here, else `HF_TOKEN` / `hf auth login` on this machine.",
    "share.token": "Hub token (optional; kept for this browser session only, never stored)",
    "share.login_first": "Sign in with the Login button (or paste a write token) before pushing: on a shared Space "
                         "the server's own token is never used for visitors.",
    "share.repo": "Repo id (USER/NAME, or NAME for your own namespace)",
    "share.private": "Private repo",
    "share.adapter": "Adapter",
    "share.run": "Training run folder (or its adapter/ folder)",
    "share.refresh": "↻ Refresh runs",
    "share.base_model": "Base model Hub id (only if training used a local copy)",
    "share.push_adapter": "Push adapter",
    "share.merged": "Merged model",
    "share.merged_folder": "Merged model folder",
    "share.push_merged": "Push merged model",
    "share.dataset": "Dataset",
    "share.dataset_folder": "Dataset folder ({prefix}_{split}.parquet files)",
    "share.push_dataset": "Push dataset",
    "share.result": "Result",
    "share.done": "Pushed the **{kind}** to [{repo_id}]({url}) ({visibility}): {count} files, {size}. "
                  "[Commit]({commit_url}).",
    "share.use_adapter": "Use it: in Recognize, set the adapter to `{repo_id}` (on its base model).",
    "error.no_image": "Upload an image first.",
    "error.unexpected": "Something went wrong inside ocr-space ({kind}). The app is still running; the details are "
                        "in the server log.",
}


def t(key: str, **values) -> str:
    return STRINGS[key].format(**values) if values else STRINGS[key]
