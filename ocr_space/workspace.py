"""Each visitor's own folders, and keeping every typed path inside them.

In public mode (a Space, or a non-loopback address; :func:`ocr_space.config.public_mode`)
every visitor works in a folder of their own under :func:`~ocr_space.config.users_root`:

    users/
      u-<hub user name>/      a signed-in visitor (the same folder after a restart or from another browser)
      s-<session id>/         an anonymous visitor (one browser session)
        runs/  datasets/  uploads/  reports/

A path a visitor types or picks is resolved (``..`` and symlinks too) and must
sit under their folder or a read-only shared root (the examples, the owner's
default model); anything else is refused with one message that does not say
whether the path exists. Hub ids stay allowed. Locally (127.0.0.1) the
workspace is *open*: the shared runs and datasets folders of today, no
confinement. No gradio here: the UI, the CLI and tests share this module.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path

from ocr_space.config import datasets_root, public_mode, runs_root, shared_roots, users_root
from ocr_space.errors import ConfigError
from ocr_space.hub_ids import REPO_ID

#: the only answer a refused path gets: it must not reveal whether the path exists
NOT_YOURS = "{value!r} is not one of your folders: use a folder this app made for you, an example, or a Hub id."

_KEY_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


class PathNotAllowed(ConfigError):
    """A typed path points outside the visitor's own folder and the shared read-only roots."""


@dataclass(frozen=True)
class Workspace:
    """Where one visitor's files live, and which paths they may use.

    >>> Workspace.open().confine("/anything") == Path("/anything")
    True
    """

    root: Path | None  # None: open (local use), nothing is confined
    shared: tuple[Path, ...] = ()

    @classmethod
    def open(cls) -> Workspace:
        """The local, unconfined workspace: today's runs/ and datasets/ folders, any path allowed."""
        return cls(None)

    @classmethod
    def for_visitor(cls, key: str) -> Workspace:
        """The workspace of ``key`` (see :func:`visitor_key`) in public mode, the open one otherwise."""
        if not public_mode():
            return cls.open()
        return cls(users_root().resolve() / key, tuple(root.resolve() for root in shared_roots()))

    @property
    def confined(self) -> bool:
        return self.root is not None

    # ---- the visitor's folders (created on first use)
    @property
    def runs(self) -> Path:
        return self._folder("runs", runs_root())

    @property
    def datasets(self) -> Path:
        return self._folder("datasets", datasets_root())

    @property
    def uploads(self) -> Path:
        return self._folder("uploads", None)

    @property
    def reports(self) -> Path:
        return self._folder("reports", None)

    def _folder(self, name: str, open_default: Path | None) -> Path:
        # not created here: listing an anonymous visitor's (empty) runs must not leave a folder per page load;
        # whatever writes into it creates it
        if self.root is None:
            if open_default is not None:
                return open_default
            import tempfile

            return Path(tempfile.gettempdir()) / "ocr-space" / name
        return self.root / name

    # ---- confinement
    def owns(self, path: str | Path) -> bool:
        """True when ``path`` (resolved) is inside the visitor's own folder (always, when open)."""
        if self.root is None:
            return True
        return _inside(_resolve(path), self.root)

    def confine(self, value: str | Path, *, writable: bool = False) -> Path:
        """``value`` as a resolved path the visitor may use; :class:`PathNotAllowed` otherwise.

        Relative paths are taken from the visitor's folder. ``writable`` leaves out the shared read-only roots.
        """
        text = str(value).strip()
        if self.root is None:
            return Path(text).expanduser()
        if not text or "\x00" in text:
            raise PathNotAllowed(NOT_YOURS.format(value=text))
        path = Path(text)
        if text.startswith("~"):
            raise PathNotAllowed(NOT_YOURS.format(value=text))
        resolved = _resolve(path if path.is_absolute() else self.root / path)
        allowed = (self.root,) if writable else (self.root, *self.shared)
        if not any(_inside(resolved, root) for root in allowed):
            raise PathNotAllowed(NOT_YOURS.format(value=text))
        return resolved

    def reference(self, value: str, *, owner_optional: bool = False) -> str:
        """A model / adapter / dataset reference the visitor may use: a Hub id as given, else a confined path.

        A bare ``owner/name`` is a Hub id unless the visitor's folder holds a path of that name.
        """
        text = str(value or "").strip()
        if self.root is None or not text:
            return text
        hub_id = REPO_ID.fullmatch(text) or (owner_optional and re.fullmatch(r"[A-Za-z0-9][\w.-]*", text))
        if hub_id and not (self.root / text).exists():
            if Path(text).exists():  # a relative path next to the server's working directory: confine it
                return str(self.confine(Path.cwd() / text))
            return text
        return str(self.confine(text))

    def unique_child(self, folder: Path, name: str) -> Path:
        """``folder/name``, or ``folder/name-2``, ``-3``, ... when taken: a name collision never overwrites."""
        return unique_path(folder / name)


def visitor_key(username: str | None, session: str | None) -> str:
    """The folder name for a visitor: ``u-<hub name>`` when signed in, else ``s-<session id>``.

    >>> visitor_key("Alice", "abc"), visitor_key(None, "abc")
    ('u-alice', 's-abc')
    """
    if username:
        return "u-" + _safe(username.lower())
    session = session or "anonymous"
    safe = _safe(session)
    if safe != session or len(safe) > 64:
        safe = hashlib.sha256(session.encode()).hexdigest()[:32]
    return "s-" + safe


def unique_path(path: Path) -> Path:
    """``path`` if free, else the first free ``path-2``, ``path-3``, ... beside it."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate


def unique_run_name(folder: Path, name: str) -> Path:
    """A new run folder ``YYYYmmdd-HHMMSS-name`` under ``folder``, created atomically: two starts in the same
    second get different folders (``mkdir`` without ``exist_ok`` is the lock)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    base, number = folder / f"{stamp}-{name}", 1
    while True:
        candidate = base if number == 1 else base.with_name(f"{base.name}-{number}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            number += 1


#: the temp folders ocr-space makes (reports, downloads, upload staging); swept when older than the limit
TEMP_PREFIXES = ("ocr-space-compare-", "ocr-space-download-", "ocr-space-upload-")


def clean_temp_folders(max_age_hours: float, folder: Path | None = None) -> int:
    """Delete ocr-space's temp folders older than ``max_age_hours`` (in the system temp dir) and, in public mode,
    anonymous visitors' folders (``s-*``: one browser session each) untouched for as long; how many went."""
    import tempfile

    cutoff = time.time() - max_age_hours * 3600
    removed = _sweep(Path(folder or tempfile.gettempdir()), TEMP_PREFIXES, cutoff)
    if public_mode():
        removed += _sweep(users_root(), ("s-",), cutoff)
    return removed


def _sweep(folder: Path, prefixes: tuple[str, ...], cutoff: float) -> int:
    import shutil

    removed = 0
    try:
        entries = list(folder.iterdir())
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry.name.startswith(prefixes) and entry.is_dir() and not entry.is_symlink() \
                    and _newest_change(entry) < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


def _newest_change(folder: Path) -> float:
    """The latest modification time of the folder or anything directly in it (a shallow look is enough)."""
    times = [folder.stat().st_mtime]
    for child in folder.iterdir():
        times.append(child.stat().st_mtime)
    return max(times)


def _safe(text: str) -> str:
    return _KEY_CHARS.sub("-", text).strip("-.") or "anonymous"


def _resolve(path: str | Path) -> Path:
    return Path(path).expanduser().resolve(strict=False)


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)
