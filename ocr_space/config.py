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


# ---- a public deployment (a Space, or any non-loopback address): who may do what, where files live, limits

USERS_DIR_ENV = "OCR_SPACE_USERS"
TRAINERS_ENV = "OCR_SPACE_TRAINERS"
SHARED_ROOTS_ENV = "OCR_SPACE_SHARED_ROOTS"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def public_mode() -> bool:
    """True when strangers can reach the app: on a Space, or listening on a non-loopback address.

    Then visitors get their own folders, typed paths are confined to them, and training needs a signed-in
    trainer (see :mod:`ocr_space.workspace` and ``ocr_space.ui.access``). On 127.0.0.1 everything stays open.
    """
    return on_space() or server_host() not in LOOPBACK_HOSTS


def users_root() -> Path:
    """Where each visitor's own folder lives in public mode: `$OCR_SPACE_USERS`, else `users/` next to the runs
    folder (`/data/ocr-space/users` on a Space with persistent storage, else `./users`)."""
    if os.environ.get(USERS_DIR_ENV):
        return Path(os.environ[USERS_DIR_ENV])
    return runs_root().parent / "users"


def space_owner() -> str | None:
    """The Space's owner (the platform sets `SPACE_AUTHOR_NAME`), None off a Space."""
    return os.environ.get("SPACE_AUTHOR_NAME") or None


def trainers() -> frozenset[str]:
    """Hub user names allowed to train in public mode: `$OCR_SPACE_TRAINERS` (comma-separated), else the owner."""
    listed = os.environ.get(TRAINERS_ENV)
    if listed is not None:
        return frozenset(name.strip() for name in listed.split(",") if name.strip())
    return frozenset({space_owner()} - {None})


def shared_roots() -> tuple[Path, ...]:
    """Read-only folders every visitor may read (examples, the owner's models): the package's `examples/`,
    the default model when it is a local folder, and `$OCR_SPACE_SHARED_ROOTS` (separated by `os.pathsep`)."""
    roots = [Path(__file__).resolve().parent.parent / "examples"]
    model = os.environ.get(DEFAULT_MODEL_ENV, "")
    if model and Path(model).expanduser().is_dir():
        roots.append(Path(model).expanduser())
    roots += [Path(part) for part in os.environ.get(SHARED_ROOTS_ENV, "").split(os.pathsep) if part.strip()]
    return tuple(roots)


def _env_number(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number") from None


class Limits:
    """Caps a public deployment needs, each from an env var (documented in the README's public-Space section).

    Read when asked (not at import), so tests and the owner can change them without restarting Python.
    """

    @property
    def max_file_mb(self) -> float:
        """`OCR_SPACE_MAX_FILE_MB`: the largest upload Gradio accepts (default 50 MB)."""
        return _env_number("OCR_SPACE_MAX_FILE_MB", 50)

    @property
    def queue_size(self) -> int:
        """`OCR_SPACE_QUEUE_SIZE`: events waiting in the queue before new ones are refused (default 32)."""
        return int(_env_number("OCR_SPACE_QUEUE_SIZE", 32))

    @property
    def event_seconds(self) -> float:
        """`OCR_SPACE_EVENT_SECONDS`: how long one Recognize / Compare / pre-label / build may take (default 900)."""
        return _env_number("OCR_SPACE_EVENT_SECONDS", 900)

    @property
    def gpu_wait_seconds(self) -> float:
        """`OCR_SPACE_GPU_WAIT_SECONDS`: how long a request waits for the GPU before giving up (default 600)."""
        return _env_number("OCR_SPACE_GPU_WAIT_SECONDS", 600)

    @property
    def max_pixels(self) -> int:
        """`OCR_SPACE_MAX_MEGAPIXELS`: the largest image Recognize decodes (default 50 MP)."""
        return int(_env_number("OCR_SPACE_MAX_MEGAPIXELS", 50) * 1_000_000)

    @property
    def max_prelabel(self) -> int:
        """`OCR_SPACE_MAX_PRELABEL`: images pre-labelled per click (default 200)."""
        return int(_env_number("OCR_SPACE_MAX_PRELABEL", 200))

    @property
    def max_compare_lines(self) -> int:
        """`OCR_SPACE_MAX_COMPARE_LINES`: lines one Compare run reads (default 2000)."""
        return int(_env_number("OCR_SPACE_MAX_COMPARE_LINES", 2000))

    @property
    def max_synth(self) -> int:
        """`OCR_SPACE_MAX_SYNTH`: synthetic lines one build renders (default 20000)."""
        return int(_env_number("OCR_SPACE_MAX_SYNTH", 20000))

    @property
    def max_steps(self) -> int:
        """`OCR_SPACE_MAX_STEPS`: training steps one run may ask for in public mode (default 2000)."""
        return int(_env_number("OCR_SPACE_MAX_STEPS", 2000))

    @property
    def temp_max_age_hours(self) -> float:
        """`OCR_SPACE_TEMP_HOURS`: upload and report temp folders older than this are deleted (default 24)."""
        return _env_number("OCR_SPACE_TEMP_HOURS", 24)


LIMITS = Limits()
