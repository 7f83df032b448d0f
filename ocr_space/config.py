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
REPORTS_DIR_ENV = "OCR_SPACE_REPORTS"
#: a folder standing in for a Space's persistent storage (tests, a rehearsal, a self-hosted box)
PERSISTENT_DIR_ENV = "OCR_SPACE_DATA"
#: "1": on start, resume the runs that were training when the process died
AUTO_RESUME_ENV = "OCR_SPACE_AUTO_RESUME"
#: a Space's persistent storage, when the Space has it
SPACE_STORAGE = Path("/data")


def persistent_root() -> Path | None:
    """Storage that survives a restart: `$OCR_SPACE_DATA`, else `/data` on a Space that has persistent storage;
    None when there is none (a Space without storage, or any machine outside a Space: its disk just stays)."""
    if os.environ.get(PERSISTENT_DIR_ENV):
        return Path(os.environ[PERSISTENT_DIR_ENV])
    if on_space() and SPACE_STORAGE.is_dir():
        return SPACE_STORAGE
    return None


def work_lost_on_restart() -> bool:
    """True on a Space without persistent storage: runs, datasets and reports vanish when it restarts."""
    return on_space() and persistent_root() is None


def _work_root(env: str, name: str, local: Path) -> Path:
    """`$env`, else `<persistent storage>/ocr-space/<name>`, else ``local``."""
    if os.environ.get(env):
        return Path(os.environ[env])
    storage = persistent_root()
    return storage / "ocr-space" / name if storage else local


def runs_root() -> Path:
    """Where training runs live: `$OCR_SPACE_RUNS`, else `ocr-space/runs` on persistent storage (`/data` on a
    Space with storage: survives restarts), else `./runs`."""
    return _work_root(RUNS_DIR_ENV, "runs", Path("runs"))


def cache_root() -> Path:
    """Where derived files are kept between runs (e.g. DeepSeek-OCR v1 checkpoints converted to the native
    layout): `$OCR_SPACE_CACHE`, else `ocr-space/cache` on persistent storage, else `~/.cache/ocr-space`."""
    return _work_root(CACHE_DIR_ENV, "cache", Path.home() / ".cache" / "ocr-space")


def datasets_root() -> Path:
    """Where the app writes built datasets: `$OCR_SPACE_DATASETS`, else `ocr-space/datasets` on persistent
    storage, else `datasets/` next to the runs folder (so `./datasets`)."""
    if os.environ.get(DATASETS_DIR_ENV) or persistent_root():
        return _work_root(DATASETS_DIR_ENV, "datasets", Path("datasets"))
    return runs_root().parent / "datasets"


def reports_root() -> Path:
    """Where the app writes comparison reports: `$OCR_SPACE_REPORTS`, else `ocr-space/reports` on persistent
    storage, else `./reports`."""
    return _work_root(REPORTS_DIR_ENV, "reports", Path("reports"))


def hf_home() -> Path | None:
    """The Hugging Face cache folder (`HF_HOME`) to use: `huggingface/` on persistent storage, so downloaded
    models and datasets survive a restart; None to leave the default (no persistent storage, or `HF_HOME` set)."""
    storage = persistent_root()
    if os.environ.get("HF_HOME") or storage is None:
        return None
    return storage / "huggingface"


def use_persistent_storage() -> Path | None:
    """Point `HF_HOME` at persistent storage (see :func:`hf_home`); returns it, or None if nothing changed.

    Must run before huggingface_hub, datasets or transformers are imported: they read `HF_HOME` once.
    """
    home = hf_home()
    if home is not None:
        os.environ["HF_HOME"] = str(home)
    return home


def auto_resume() -> bool:
    """`OCR_SPACE_AUTO_RESUME=1`: resume interrupted runs on start without a click."""
    return os.environ.get(AUTO_RESUME_ENV, "").strip().lower() in {"1", "true", "yes"}


def on_space() -> bool:
    """True inside a Hugging Face Space (the platform sets `SPACE_ID`)."""
    return bool(os.environ.get("SPACE_ID"))


def server_host() -> str:
    """Bind all interfaces on a Space (its proxy must reach us), loopback elsewhere."""
    return os.environ.get("OCR_SPACE_HOST") or ("0.0.0.0" if on_space() else "127.0.0.1")
