"""Build a dataset folder from any accepted input: check, stage on disk, split, write parquet, stats, card.

Samples stream through: each candidate is read, checked and encoded, then
handed to ``datasets.Dataset.from_generator``, which writes them to an Arrow
file on disk in batches. Only then — when the number of good samples is
known — is the seeded split drawn, and each split is written from the
memory-mapped staging file. At no point do all images sit decoded in memory,
so 10,000 rows cost the same RAM as 100.

The result (:class:`BuiltDataset`) names the folder and its files, so the Hub
step can push the folder as it is (README.md card included).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocr_space.data.card import write_card
from ocr_space.data.samples import Rejection, Source
from ocr_space.data.sources import ColumnMapping, canonical_split, open_source
from ocr_space.data.splits import DATASET_NAME, DEFAULT_PREFIX, SPLIT_FILE, SPLITS, DatasetError, write_split
from ocr_space.data.stats import DatasetStats, compute_stats
from ocr_space.data.validate import Validator
from ocr_space.errors import ConfigError, OcrSpaceError
from ocr_space.images import DEFAULT_MAX_PIXELS, MIN_SIDE

#: ``progress(done, total or None, description)``; called at most ~10 times a second.
ProgressCallback = Callable[[int, "int | None", str], None]
DEFAULT_SPLIT = (0.8, 0.1, 0.1)
DEFAULT_SEED = 42


@dataclass
class BuiltDataset:
    """A dataset folder on disk and what went into it; ``summary()`` is the CLI's JSON line."""

    folder: Path
    prefix: str
    counts: dict[str, int]
    files: dict[str, Path]
    rejected: list[Rejection]
    stats: DatasetStats
    source: str
    split_mode: str
    seed: int
    notes: list[str] = field(default_factory=list)
    extra_files: list[Path] = field(default_factory=list)

    @property
    def rejected_file(self) -> Path:
        return self.folder / "rejected.jsonl"

    @property
    def card_file(self) -> Path | None:
        return self.folder / "README.md" if self.files else None

    @property
    def stats_file(self) -> Path:
        return self.folder / "stats.json"

    def summary(self) -> dict[str, int]:
        return {**{split: self.counts.get(split, 0) for split in SPLITS}, "rejected": len(self.rejected)}

    def output_files(self) -> list[Path]:
        """Everything the build wrote, e.g. for downloads or a Hub upload."""
        extra = [self.card_file] if self.card_file else []
        return [*self.files.values(), *extra, self.stats_file, self.rejected_file, *self.extra_files]


def parse_split(spec: str | Sequence[float] | None) -> tuple[float, float, float] | str:
    """``None``/``"auto"``, ``"keep"``, ``"0.8,0.1,0.1"`` or three numbers (normalised to sum 1).

    ``auto`` keeps the source's own train/validation/test assignment when every
    sample has one (and there are at least two splits), else draws 80/10/10.
    A zero train share is allowed: ``0,0,1`` builds an evaluation-only set (a
    held-out benchmark for Compare), which training refuses with its own message.

    >>> parse_split("8,1,1")
    (0.8, 0.1, 0.1)
    >>> parse_split("0,0,1")
    (0.0, 0.0, 1.0)
    """
    if spec is None or (isinstance(spec, str) and spec.strip().lower() in {"", "auto"}):
        return "auto"
    if isinstance(spec, str) and spec.strip().lower() == "keep":
        return "keep"
    try:
        values = [float(v) for v in (spec.split(",") if isinstance(spec, str) else spec)]
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"split must be 'auto', 'keep' or three numbers like 0.8,0.1,0.1; got {spec!r}.") from exc
    if len(values) != 3 or any(v < 0 for v in values) or sum(values) <= 0:
        raise ConfigError(f"split needs three non-negative numbers (train, validation, test), not all 0 (0,0,1 "
                          f"is an evaluation-only set); got {spec!r}.")
    total = sum(values)
    return tuple(round(v / total, 6) for v in values)  # type: ignore[return-value]


def split_sizes(n: int, ratios: Sequence[float]) -> list[int]:
    """Sizes that add up to ``n``, as close to ``ratios`` as whole numbers allow (largest remainder);
    every split with a non-zero ratio gets at least one sample when ``n`` allows.

    >>> split_sizes(30, (0.8, 0.1, 0.1))
    [24, 3, 3]
    """
    exact = [n * r for r in ratios]
    sizes = [int(x) for x in exact]
    for index in sorted(range(len(exact)), key=lambda i: exact[i] - sizes[i], reverse=True)[: n - sum(sizes)]:
        sizes[index] += 1
    wanted = [i for i, r in enumerate(ratios) if r > 0]
    if n >= len(wanted):
        for index in wanted:
            if sizes[index] == 0:
                sizes[max(range(len(sizes)), key=lambda i: sizes[i])] -= 1
                sizes[index] = 1
    return sizes


def build_dataset(input: str | Path | Source, out: str | Path, *, prefix: str = DEFAULT_PREFIX,
                  split: str | Sequence[float] | None = None, seed: int = DEFAULT_SEED, kind: str = "auto",
                  columns: ColumnMapping | str | Mapping[str, str] | None = None, source_split: str | None = None,
                  root: str | Path | None = None, max_pixels: int = DEFAULT_MAX_PIXELS, min_side: int = MIN_SIDE,
                  progress: ProgressCallback | None = None) -> BuiltDataset:
    """Turn ``input`` (manifest, table, folder, zip, parquet/arrow, Hub id or a :class:`Source`) into
    ``out/{prefix}_{train,validation,test}.parquet`` plus ``rejected.jsonl``, ``stats.json`` and ``README.md``.

    >>> built = build_dataset("examples/demo/manifest.txt", "/tmp/demo-ds", prefix="demo")  # doctest: +SKIP
    >>> built.summary()  # doctest: +SKIP
    {'train': 24, 'validation': 3, 'test': 3, 'rejected': 0}
    """
    mode = parse_split(split)
    if not DATASET_NAME.match(prefix):
        raise ConfigError(f"prefix may hold letters, digits, '.', '_' and '-' only; got {prefix!r}.")
    if max_pixels < 1 or min_side < 1:
        raise ConfigError("max_pixels and min_side must be positive.")
    out = Path(out)
    _check_out_folder(out, prefix)
    report = _Reporter(progress)
    with open_source(input, kind=kind, columns=columns, source_split=source_split, root=root) as source:
        rejected: list[Rejection] = []
        with tempfile.TemporaryDirectory(prefix="ocr-space-build-") as staging_dir:
            # Nothing in `out` changes until every sample has been read and the split drawn.
            rejected_path = Path(staging_dir) / "rejected.jsonl"
            with open(rejected_path, "w", encoding="utf-8") as rejected_log:
                staged = _stage(source, Validator(max_pixels, min_side), rejected, rejected_log, report,
                                staging_dir)
            assignment, split_mode = _assign_splits(_column(staged, "given_split"), mode, seed)
            # everything is written into a fresh sibling folder and moved into `out` only once complete: a build
            # that fails (disk full, a bad row, Ctrl-C) leaves `out` as it was, never old and new splits mixed
            out.parent.mkdir(parents=True, exist_ok=True)
            building = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
            try:
                shutil.copyfile(rejected_path, building / "rejected.jsonl")
                written: dict[str, Path] = {}
                for name in SPLITS:
                    indices = assignment.get(name, [])
                    if indices:
                        report(0, len(indices), f"Writing {name} ({len(indices)} samples)", force=True)
                        written[name] = write_split(staged.select(indices), building, name, prefix)
                texts = _column(staged, "text")
                stats = compute_stats({name: [texts[i] for i in assignment.get(name, [])] for name in SPLITS},
                                      list(zip(_column(staged, "width"), _column(staged, "height"), strict=True)), rejected)
                del staged  # release the memory-mapped staging file before its folder goes
                (building / "stats.json").write_text(json.dumps(stats.as_dict(), ensure_ascii=False, indent=1),
                                                     encoding="utf-8")
                if written:
                    write_card(building, prefix, written, stats, _public(source.description), split_mode, seed)
                stale = [out / f"{prefix}_{name}.parquet" for name in SPLITS if name not in written]
                _move_into(building, out, stale + ([] if written else [out / "README.md"]))
            finally:
                shutil.rmtree(building, ignore_errors=True)
            files = {name: out / path.name for name, path in written.items()}
        report(1, 1, "Done", force=True)
        return BuiltDataset(out, prefix, dict(stats.counts), files, rejected, stats, source.description, split_mode,
                            seed, list(source.notes))


def _stage(source: Source, validator: Validator, rejected: list[Rejection], rejected_log, report,
           staging_dir: str):
    """Check every candidate; stream the accepted ones into an on-disk Arrow file (``None`` if none)."""
    import datasets
    from datasets.exceptions import DatasetGenerationError

    features = datasets.Features({"image": datasets.Image(), "text": datasets.Value("string"),
                                  "width": datasets.Value("int32"), "height": datasets.Value("int32"),
                                  "given_split": datasets.Value("string")})
    accepted = 0

    def rows() -> Iterator[dict]:
        nonlocal accepted
        for done, candidate in enumerate(source, start=1):
            outcome = validator.check(candidate)
            report(done, source.total, "Checking samples")
            if isinstance(outcome, Rejection):
                rejected.append(outcome)
                rejected_log.write(json.dumps(outcome.as_dict(), ensure_ascii=False) + "\n")
                continue
            accepted += 1
            yield {"image": {"bytes": outcome.image_bytes, "path": None}, "text": outcome.text,
                   "width": outcome.width, "height": outcome.height, "given_split": outcome.split}

    try:
        staged = datasets.Dataset.from_generator(rows, features=features, cache_dir=staging_dir,
                                                 fingerprint=uuid.uuid4().hex)
    except DatasetGenerationError as exc:
        if isinstance(exc.__cause__, OcrSpaceError):  # a user mistake found mid-stream (e.g. a Hub error)
            raise exc.__cause__ from None
        raise
    except ValueError:
        if accepted == 0:  # nothing passed: datasets refuses an empty split ("corresponds to no data")
            return None
        raise
    return staged


def _column(staged, name: str) -> list:
    """One small column of the staging file as a list (never the image column)."""
    return staged.data.column(name).to_pylist() if staged is not None else []


def _assign_splits(given: list[str | None], mode, seed: int) -> tuple[dict[str, list[int]], str]:
    """Indices per split: kept from the source, or a seeded shuffle cut by ratios."""
    n = len(given)
    canonical = [canonical_split(name) for name in given]
    complete = n > 0 and all(name in SPLITS for name in canonical)
    if mode == "keep" or (mode == "auto" and complete and len(set(canonical)) > 1):
        if not complete:
            unknown = sorted({str(g) for g, c in zip(given, canonical, strict=True) if c is None})
            raise DatasetError(f"Cannot keep the source's splits: {sum(c is None for c in canonical)} sample(s) "
                               f"have none or an unknown one ({', '.join(unknown[:5])}). Split by ratios instead.")
        kept = {name: [i for i, c in enumerate(canonical) if c == name] for name in SPLITS}
        return kept, "kept from the source"
    ratios = DEFAULT_SPLIT if mode in ("auto", "keep") else mode
    order = np.random.default_rng(seed).permutation(n).tolist()
    sizes = split_sizes(n, ratios)
    bounds = np.cumsum([0, *sizes]).tolist()
    assignment = {name: order[bounds[i]:bounds[i + 1]] for i, name in enumerate(SPLITS)}
    return assignment, "random " + "/".join(f"{r:g}" for r in ratios)


def _move_into(building: Path, out: Path, stale: list[Path]) -> None:
    """Put a complete build in place: a new folder is one rename; an existing one gets each file replaced
    (renames only: nothing left to fail for lack of space) and stale split files of the old build removed."""
    try:
        building.rename(out)  # fails when `out` exists (non-empty) or is on another device
        return
    except OSError:
        pass
    out.mkdir(parents=True, exist_ok=True)
    for path in building.iterdir():
        os.replace(path, out / path.name)
    for path in stale:
        path.unlink(missing_ok=True)


def _check_out_folder(out: Path, prefix: str) -> None:
    if out.exists() and not out.is_dir():
        raise DatasetError(f"Output {out} exists and is not a folder.")
    if out.is_dir():
        others = sorted({m.group(1) for p in out.glob("*.parquet") if (m := SPLIT_FILE.match(p.name))} - {prefix})
        if others:
            raise DatasetError(f"{out} already holds another dataset (prefix {', '.join(others)}); choose an empty "
                               f"folder or prefix={others[0]!r} to replace it.")


def _public(description: str) -> str:
    """The source description without absolute paths (the card may go to the Hub)."""
    return re.sub(r"(/[^\s,;()]+)+/", "", description)


class _Reporter:
    """Forward progress to the callback at most ~10 times a second (and always on forced steps)."""

    def __init__(self, callback: ProgressCallback | None):
        self.callback = callback
        self.last = 0.0

    def __call__(self, done: int, total: int | None, description: str, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if force or done == total or now - self.last >= 0.1:
            self.last = now
            self.callback(done, total, description)
