"""Every user-visible string of the UI, in one table per language (LLaMA-Factory's locales idea).

English is :data:`STRINGS`; Simplified Chinese is ``strings_zh.STRINGS_ZH_CN``,
key for key. :func:`t` is the one way the UI gets a string, and it answers in
the visitor's language in both places text comes from:

- **Built once** (labels, buttons, tab names, intros, built inside
  :func:`static_text`): Gradio's own i18n (``gr.I18n``, :data:`I18N`) translates
  them in the browser, from the browser's language. ``t`` returns a key the
  frontend looks up; a string with values (``t("dataset.name", root=...)``) is
  formatted in every language at build time and registered under its own key.
- **Made by a handler** (status lines, ``gr.Info``, ``gr.Error`` messages):
  ``t`` reads the request's ``Accept-Language`` (Gradio keeps the request of the
  running event in a context variable) and formats the string in that language.

Outside both (tests calling handlers, the CLI) it is English.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Iterator
from contextvars import ContextVar

from ocr_space.ui.strings_zh import HELP_ZH_CN, STRINGS_ZH_CN

STRINGS = {
    "title": "# ocr-space\nTurn a general DeepSeek-OCR model into an expert on your documents.",
    "recognize.tab": "Recognize",
    "recognize.files": "Files: images and PDFs, several at once",
    "recognize.image": "Or one image (upload, paste or webcam)",
    "recognize.model": "Model (Hub repo id or local folder)",
    "recognize.adapter": "LoRA adapter (optional: folder or Hub repo id)",
    "recognize.prompt": "Prompt",
    "recognize.mode": "Resolution mode",
    "recognize.mode_info": "default: the mode the adapter was trained in, else the model family's default",
    "recognize.pages": "PDF pages (e.g. 1-3,5; empty = all)",
    "recognize.max_new_tokens": "Max new tokens",
    "recognize.details": "**{seconds} s**, **{tokens}** new tokens · mode `{mode}` ({mode_source}) · {family} on "
                         "{device} ({dtype})",
    "recognize.details_adapter": " · adapter `{adapter}`",
    "recognize.details_page": "{label}: ",
    "recognize.mode_chosen": "chosen",
    "recognize.mode_adapter": "the mode the adapter was trained in",
    "recognize.mode_default": "the model family's default",
    "recognize.streaming": "Reading {label} (page {index} of {total}): {tokens} tokens so far…",
    "recognize.stopped": "Stopped after {done} of {total} pages; the results so far are below.",
    "recognize.failed_files": "Could not read: {files}",
    "recognize.run": "Recognize",
    "recognize.stop": "Stop",
    "recognize.page": "Page shown",
    "recognize.boxes": "Page with the regions the model found (grounding and markdown prompts)",
    "recognize.markdown": "Rendered markdown",
    "recognize.text": "Text",
    "recognize.stats": "Run details",
    "recognize.results": "Results per page",
    "recognize.downloads": "Downloads (.txt, .md, .json per file; .zip of all)",
    "recognize.column.file": "file",
    "recognize.column.page": "page",
    "recognize.column.seconds": "seconds",
    "recognize.column.new_tokens": "new tokens",
    "recognize.column.characters": "characters",
    "recognize.column.regions": "regions",
    "recognize.column.mode": "mode",
    "recognize.column.error": "error",
    "recognize.loading": "Loading model (first use only)…",
    "recognize.reading": "Reading…",
    # Compare tab (issue 5)
    "compare.tab": "Compare",
    "compare.intro": "Score engines on the same dataset split: CER with a 95% bootstrap interval against the first "
                     "engine, the characters each engine confuses, and the lines behind the numbers.",
    "compare.data": "Dataset: one of yours, a folder ({prefix}_{train,validation,test}.parquet) or a Hub dataset id",
    "compare.split": "Split (of a Hub dataset too: only its first N lines are downloaded)",
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
    "compare.max_new_tokens": "Max new tokens",
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
    "compare.column.engine": "engine",
    "compare.column.cer": "CER %",
    "compare.column.delta": "Δ vs baseline (95% interval)",
    "compare.column.exact": "exact lines %",
    "compare.column.wer": "WER %",
    "compare.column.edits": "subs/del/ins",
    "compare.column.lines_per_s": "lines/s",
    "compare.column.tokens_per_s": "tokens/s",
    "compare.column.status": "status",
    "compare.baseline": "baseline",
    "compare.significant": "significant",
    "compare.ok": "ok",
    "compare.unavailable": "unavailable: {reason}",
    "compare.all_lines": "all lines",
    "compare.baseline_only": "Only one engine ran, so there is nothing to compare it with.",
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
    # Build Dataset tab
    "dataset.tab": "Build Dataset",
    "dataset.intro": "Turn images and transcriptions into a clean train/validation/test parquet dataset. Every "
                     "rejected sample is listed with its reason; nothing is dropped silently.",
    "dataset.settings": "Output and split",
    "dataset.name": "Dataset name (folder under {root})",
    "dataset.prefix": "File prefix ({prefix}_train.parquet …)",
    "dataset.split": "Split: train,validation,test ratios (0,0,1 = an evaluation-only test set), 'keep' (the "
                     "source's own) or 'auto'",
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
    "dataset.files.files": "Files",
    "dataset.files.build": "Build from files",
    "dataset.existing.tab": "Existing dataset",
    "dataset.existing.source": "Hub dataset id or local parquet/arrow folder",
    "dataset.existing.source_split": "Splits and rows to read, e.g. train[:1000] (empty = all)",
    "dataset.existing.build": "Build from dataset",
    "dataset.label.tab": "Label images",
    "dataset.label.help": "Upload images, type or paste each transcription in the table, or let a model draft "
                          "them first and correct the drafts. Pre-labelling fills only empty cells.",
    "dataset.label.images": "Images",
    "dataset.label.table": "Transcriptions (edit the text column)",
    "dataset.label.model": "Model for pre-labelling (Hub repo id or local folder)",
    "dataset.label.adapter": "LoRA adapter (optional)",
    "dataset.label.max_new_tokens": "Max new tokens",
    "dataset.label.prelabel": "Pre-label empty rows with the model",
    "dataset.label.build": "Build from table",
    "dataset.synth.tab": "Synthetic lines",
    "dataset.synth.help": "Render your domain text with CJK fonts and scan-like degradations, for when you have "
                          "vocabulary but few labelled images.",
    "dataset.synth.text": "Text lines (one sample per line)",
    "dataset.synth.text_file": "…or a text file",
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
    "dataset.synth.cannot_draw": "cannot draw {missing!r}: {text}",
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
    # the form's fields: the keys are TrainConfig field names (ocr_space/ui/form.py); help comes from the fields
    "finetune.steps": "Steps (optimizer updates)",
    "finetune.learning_rate": "Learning rate",
    "finetune.lora_r": "LoRA rank r",
    "finetune.lora_alpha": "LoRA alpha",
    "finetune.batch_size": "Batch size (samples per forward pass)",
    "finetune.grad_accum": "Gradient accumulation (forward passes per step)",
    "finetune.warmup_steps": "Warm-up steps",
    "finetune.mode": "Resolution mode (empty = the model's training default)",
    "finetune.max_length": "Longest sample (tokens)",
    "finetune.save_steps": "Checkpoint every N steps",
    "finetune.eval_samples": "Test lines for the before/after CER (0 = none)",
    "finetune.train_modules": "Also train in full (comma-separated module names, e.g. lm_head)",
    "finetune.load_in_4bit": "4-bit base weights (QLoRA, CUDA only)",
    "finetune.gradient_checkpointing": "Gradient checkpointing",
    "finetune.seed": "Seed",
    "finetune.all_gpus": "Use all {gpus} GPUs (one training process per GPU, same samples per step)",
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
    "finetune.step": "step {step}/{max_steps}",
    "finetune.eta": "ETA {eta}",
    "finetune.speed": "{rate} samples/s",
    "finetune.gpu_memory": "GPU {gib} GiB",
    "finetune.the_start": "the start",
    "finetune.started": "Started {run}.",
    "finetune.cancel_sent": "Cancel requested: the run stops after the current step and keeps a checkpoint.",
    "finetune.nothing_to_cancel": "This run is not running.",
    "finetune.stale": "interrupted (the process running it is gone); **Resume** continues from {checkpoint}",
    "finetune.cer": "CER before **{before}** → after **{after}** ({change}) on {samples} test lines",
    "finetune.cer_before_only": "CER before training: **{before}** on {samples} test lines",
    "finetune.no_test": "No test split: no before/after CER for this run.",
    "finetune.use_adapter": "Use it: paste the adapter path into **Recognize** or **Compare** (with the same base "
                            "model), or run `{command}`.",
    # Fine-tune: push on finish, tracking, Hub datasets (TrainConfig fields)
    "finetune.push": "Push on finish",
    "finetune.push_to": "Push to this Hub repo when training ends (USER/NAME or NAME; empty = no push)",
    "finetune.push_private": "Private repo",
    "finetune.push_kind": "What to push",
    "finetune.report_to": "Experiment tracking",
    "finetune.source_split": "Hub dataset: split and rows to train on, e.g. train[:1000] (empty = train)",
    "finetune.max_train_samples": "Training rows at most (0 = all)",
    "finetune.zero_gpu": "ZeroGPU",
    # Fine-tune: what to do with a run (ocr_space/ui/run_actions.py)
    "runs.title": "Finished run: merge, export, push",
    "runs.merge": "Merge (16-bit)",
    "runs.export_v1": "Export official v1 layout",
    "runs.files": "Files to download",
    "runs.repo": "Hub repo for the merged model (USER/NAME or NAME)",
    "runs.private": "Private repo",
    "runs.push_merged": "Push merged model",
    "runs.push_v1": "Push v1 export",
    "runs.result": "Result",
    "runs.merged.done": "Merged into `{folder}` (16-bit, the base model's dtype); {count} files below to download, "
                        "or push it.",
    "runs.merged-v1.done": "Exported in the official DeepSeek-OCR v1 layout to `{folder}` (vLLM and the official code "
                           "load it); {count} files below to download, or push it.",
    "runs.pushed": "Pushed to {url}: {count} files, {size}.",
    "runs.interrupted": "**Interrupted runs** ({count}): their process stopped mid-training (a crash or a restart). "
                        "Pick one under **Run** and press **Resume**:",
    "runs.interrupted_line": "- `{name}`: step {step}/{max_steps}, resumes from {checkpoint}",
    "runs.pick_run": "Pick a run first.",
    "runs.not_finished": "{run} has no finished adapter yet: merging and exporting need a run that finished training.",
    # notices above the tabs (ocr_space/ui/notices.py)
    "notice.work_lost": "⚠️ **This Space has no persistent storage: runs, datasets and reports are lost when it "
                        "restarts.** Turn on *push on finish* in Fine-tune (or push from Share), or add persistent "
                        "storage in the Space's settings.",
    "notice.gpu_unusable": "⚠️ **The GPU cannot be used: everything runs on the CPU (~90 s a line).** This machine "
                           "has {gpus} with NVIDIA driver {driver}, but the installed torch is a CUDA {cuda} build, "
                           "which needs driver {needed} or newer. Fix: install a CUDA 12.x build of the same torch "
                           "(README, *A GPU the app cannot use*) or update the driver.",
    "notice.gpu_cpu_torch": "⚠️ **The GPU cannot be used: everything runs on the CPU (~90 s a line).** This machine "
                            "has {gpus} (driver {driver}), but the installed torch is a CPU-only build; install its "
                            "CUDA build.",
    "notice.zero_gpu_training": "This Space runs on ZeroGPU, which lends a GPU for a few minutes per call: enough to "
                                "recognize and compare, not to train. Training needs a dedicated GPU (T4 or "
                                "better): duplicate the Space and pick the hardware under Settings → Space hardware, "
                                "or train on your own machine with `python -m ocr_space train`.",
    # ---- public deployment: roles, limits, the GPU (ocr_space/ui/access.py)
    "access.sign_in": "Sign in with Hugging Face (the Login button at the top) to {action}: on this public app "
                      "anonymous visitors may recognize, build datasets and compare.",
    "access.action.train": "train",
    "access.action.resume": "resume a run",
    "access.action.cancel": "cancel a run",
    "access.action.merge": "merge an adapter",
    "access.action.push": "push to the Hub",
    "access.not_trainer": "{user} is not on this Space's list of trainers (OCR_SPACE_TRAINERS); ask the Space "
                          "owner to add you, or duplicate the Space to train on your own hardware.",
    "access.note.anonymous": "You are not signed in: Recognize, Build Dataset and Compare work with your own files; "
                             "sign in to train, resume, cancel or push.",
    "access.note.not_trainer": "Signed in as **{user}**. Training on this Space is limited to its trainers "
                               "(OCR_SPACE_TRAINERS); you may push your datasets.",
    "access.note.trainer": "Signed in as **{user}**: you may train here.",
    "access.gpu_wait": "Waiting for the GPU ({holder}); position {position} in line…",
    "access.too_many": "{what}: at most {limit} on this app (set by its owner); got {count}.",
    "access.limit.steps": "Training steps",
    "access.limit.prelabel": "Images to pre-label per click",
    "access.limit.compare": "Compare lines",
    "access.limit.synth": "Synthetic samples",
    "dataset.your_root": "your own datasets folder",
    "dataset.renamed": "A dataset named `{name}` already existed, so this one was saved as `{new}` (nothing was "
                       "replaced).",
    "error.no_image": "Upload an image or a PDF first.",
    "error.out_of_memory": "The GPU ran out of memory. Lower the resolution mode or max new tokens, or unload "
                           "other models; the app is still running.",
    "error.unexpected": "Something went wrong inside ocr-space ({kind}). The app is still running; the details are "
                        "in the server log.",
}

#: language code -> table; the browser's language picks one (``zh``, ``zh-TW`` ... fall back to zh-CN, the rest to en)
TABLES = {"en": STRINGS, "zh-CN": STRINGS_ZH_CN}
#: translations of the settings' help texts (``help.CLASS.FIELD``), whose English is the field's metadata["help"]
HELP = {"zh-CN": HELP_ZH_CN}
DEFAULT_LANGUAGE = "en"

_building: ContextVar[bool] = ContextVar("ocr_space_ui_building", default=False)
_forced_language: ContextVar[str | None] = ContextVar("ocr_space_ui_language", default=None)


def language_of(accept_language: str | None) -> str:
    """The table for an ``Accept-Language`` header: the first listed language we have, by preference.

    >>> language_of("zh-CN,zh;q=0.9,en;q=0.8"), language_of("en-US,en;q=0.9"), language_of("zh-TW"), language_of("")
    ('zh-CN', 'en', 'zh-CN', 'en')
    """
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            ranked.append((-quality, position, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE


def current_language() -> str:
    """The language of the event being handled (its request's Accept-Language), else English."""
    forced = _forced_language.get()
    if forced:
        return forced
    try:
        from gradio.context import LocalContext
    except ImportError:  # pragma: no cover - gradio is a dependency of the UI; be safe anyway
        return DEFAULT_LANGUAGE
    request = LocalContext.request.get(None)
    headers = getattr(request, "headers", None)
    return language_of(headers.get("accept-language") if headers is not None else None)


@contextlib.contextmanager
def in_language(language: str) -> Iterator[None]:
    """Answer in ``language`` inside the block (a test, a background message); a request's language otherwise."""
    token = _forced_language.set(language)
    try:
        yield
    finally:
        _forced_language.reset(token)


def text(key: str, language: str | None = None, **values) -> str:
    """``key`` in ``language`` (default: the current request's), formatted; English where the table lacks it."""
    table = TABLES.get(language or current_language(), STRINGS)
    template = table.get(key, STRINGS[key])
    return template.format(**values) if values else template


def t(key: str, **values):
    """The string for ``key`` in the visitor's language (see the module doc): a browser-translated key while
    the UI is being built (:func:`static_text`), else text in the request's language."""
    if not _building.get():
        return text(key, **values)
    STRINGS[key]  # an unknown key fails here, at build time, not in the browser  # noqa: B018
    if not values:
        return I18N(key)
    return _registered(key, {language: text(key, language, **values) for language in TABLES})


def t_or(key: str, english: str):
    """Like :func:`t` for text whose English lives elsewhere (a settings field's help): ``key`` translates it
    where a table has it, else every language shows ``english``."""
    texts = {language: HELP.get(language, {}).get(key, english) for language in TABLES}
    if _building.get():
        return _registered(key, texts)
    return texts.get(current_language(), english)


@contextlib.contextmanager
def static_text() -> Iterator[None]:
    """While building the UI: :func:`t` gives keys Gradio's i18n translates in the browser."""
    token = _building.set(True)
    try:
        yield
    finally:
        _building.reset(token)


def _registered(key: str, texts: dict[str, str]):
    """A key for these exact ``texts`` (one per language), added to the browser's tables."""
    digest = hashlib.sha1(json.dumps(texts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]
    derived = f"{key}~{digest}"
    for language, value in texts.items():
        _FRONTEND[language][derived] = _icu_literal(value)
    return I18N(derived)


def _icu_literal(value: str) -> str:
    """``value`` as an ICU message that shows it verbatim (the browser's i18n would read ``{x}`` as a variable).

    >>> _icu_literal("{prefix}_train.parquet")
    "'{'prefix'}'_train.parquet"
    """
    return re.sub(r"([{}])", r"'\1'", value)


def _frontend_tables() -> dict[str, dict[str, str]]:
    tables = {language: {key: _icu_literal(value) for key, value in {**STRINGS, **table}.items()}
              for language, table in TABLES.items()}
    tables["zh"] = tables["zh-CN"]  # zh-TW, zh-HK ... and a bare zh read Simplified rather than English
    return tables


def _make_i18n():
    import gradio as gr

    return gr.I18n(**_FRONTEND)


_FRONTEND = _frontend_tables()
#: what ``launch(i18n=...)`` gets (``build_app`` arranges that): every table, plus the texts registered at build
I18N = _make_i18n()
