"""Settings read from environment variables, in one place.

Every knob a deployment may want to change without editing code lives here,
so the UI, the CLI and tests agree on defaults. A leaf: it imports nothing of
ours, so any module may read settings (the default *model*, which needs the
model families, is :func:`ocr_space.models.registry.default_model`).
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MODEL_ENV = "OCR_SPACE_MODEL"
RUNS_DIR_ENV = "OCR_SPACE_RUNS"
CACHE_DIR_ENV = "OCR_SPACE_CACHE"

DATASETS_DIR_ENV = "OCR_SPACE_DATASETS"
MAX_PDF_PAGES_ENV = "OCR_SPACE_MAX_PDF_PAGES"
#: pages read from one PDF unless the owner sets `$OCR_SPACE_MAX_PDF_PAGES` (a page costs seconds on a T4)
DEFAULT_MAX_PDF_PAGES = 50


def runs_root() -> Path:
    """Where training runs live: `$OCR_SPACE_RUNS`, else `/data/ocr-space/runs` on a
    Space with persistent storage (survives restarts), else `./runs`."""
    if os.environ.get(RUNS_DIR_ENV):
        return Path(os.environ[RUNS_DIR_ENV])
    if os.environ.get("SPACE_ID") and Path("/data").is_dir():
        return Path("/data/ocr-space/runs")
    return Path("runs")


def cache_root() -> Path:
    """Where derived files are kept between runs (e.g. DeepSeek-OCR v1 checkpoints converted to the native
    layout): `$OCR_SPACE_CACHE`, else `/data/ocr-space/cache` on a Space with persistent storage, else
    `~/.cache/ocr-space`."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    if os.environ.get("SPACE_ID") and Path("/data").is_dir():
        return Path("/data/ocr-space/cache")
    return Path.home() / ".cache" / "ocr-space"


def datasets_root() -> Path:
    """Where the app writes built datasets: `$OCR_SPACE_DATASETS`, else `datasets/` next to the runs folder
    (so `/data/ocr-space/datasets` on a Space with persistent storage, else `./datasets`)."""
    if os.environ.get(DATASETS_DIR_ENV):
        return Path(os.environ[DATASETS_DIR_ENV])
    return runs_root().parent / "datasets"


def max_pdf_pages() -> int:
    """The most pages read from one PDF: `$OCR_SPACE_MAX_PDF_PAGES` (a positive integer), else 50.

    A shared Space reads one page in seconds to minutes; the cap keeps one upload of a
    long book from holding the GPU for an hour. Pages past the cap are refused with a
    message that names it, never silently dropped.
    """
    value = os.environ.get(MAX_PDF_PAGES_ENV, "").strip()
    if not value:
        return DEFAULT_MAX_PDF_PAGES
    try:
        pages = int(value)
    except ValueError:
        pages = 0
    if pages < 1:  # a ValueError: config imports nothing of ours; documents.page_cap() words it as a ConfigError
        raise ValueError(f"{MAX_PDF_PAGES_ENV} must be a positive whole number of pages; got {value!r}.")
    return pages


def on_space() -> bool:
    """True inside a Hugging Face Space (the platform sets `SPACE_ID`)."""
    return bool(os.environ.get("SPACE_ID"))


def server_host() -> str:
    """Bind all interfaces on a Space (its proxy must reach us), loopback elsewhere."""
    return os.environ.get("OCR_SPACE_HOST") or ("0.0.0.0" if on_space() else "127.0.0.1")
