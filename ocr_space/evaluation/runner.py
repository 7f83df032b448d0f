"""Run engines over an evaluation set: batches, a sample cap, progress, throughput.

Images are decoded batch by batch from the dataset (not all at once), every
engine sees the same lines in the same order, and the time an engine spends
reading (not loading) gives lines/s and, for models, generated tokens/s.

Under a multi-process launch (``torchrun --nproc_per_node N``) each process
reads a contiguous share of whole batches (:mod:`ocr_space.distributed`) and
the shares are gathered back in input order, so every process ends with the
same readings a single process would have produced; reading time is the
slowest process's (the wall time of the parallel read).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ocr_space.errors import OcrSpaceError
from ocr_space.evaluation.engines import Engine, Reading

log = logging.getLogger(__name__)

#: ``progress(done, total, message)``: lines read so far over all engines.
ProgressCallback = Callable[[int, int, str], None]


class EvaluationError(OcrSpaceError):
    """An evaluation cannot run as asked (no samples, no engine able to run, ...)."""


class EvalSamples:
    """The lines to evaluate: texts up front, images fetched (and decoded) per batch.

    >>> samples = EvalSamples.from_split("datasets/receipts", "test", limit=200)  # doctest: +SKIP
    """

    def __init__(self, texts: Sequence[str], fetch_images: Callable[[int, int], list], source: dict):
        self.texts = list(texts)
        self._fetch = fetch_images
        self.source = source

    def __len__(self) -> int:
        return len(self.texts)

    def images(self, start: int, stop: int) -> list:
        return self._fetch(start, stop)

    @classmethod
    def from_split(cls, folder: str, split: str = "test", limit: int | None = None) -> EvalSamples:
        """The first ``limit`` lines (all when None) of a dataset folder's split, or of a Hub dataset's
        (only those rows are read: ``test[:200]``)."""
        from ocr_space.data.splits import load_split
        from ocr_space.hub_ids import is_hub_id

        if limit is not None and limit < 1:
            raise EvaluationError("limit must be at least 1 (or empty for the whole split).")
        if is_hub_id(str(folder)):
            dataset = _hub_split(str(folder), split, limit)  # only the rows asked for: the split's size is not known
            available = len(dataset)
        else:
            dataset = load_split(folder, split)
            available = len(dataset)
        if available == 0:
            raise EvaluationError(f"The {split!r} split of {folder} has no rows.")
        if limit is not None and limit < available:
            dataset = dataset.select(range(limit))
        source = {"data": str(folder), "split": split, "rows_in_split": available, "limit": limit}
        return cls(dataset["text"], lambda start, stop: dataset[start:stop]["image"], source)

    @classmethod
    def from_lists(cls, images: Sequence[Any], texts: Sequence[str], name: str = "in-memory") -> EvalSamples:
        """Lines already in memory (paths, bytes or PIL images), e.g. a validation set during training."""
        if len(images) != len(texts):
            raise EvaluationError(f"{len(images)} images but {len(texts)} texts; they must pair up.")
        if not texts:
            raise EvaluationError("Nothing to evaluate: no samples.")
        from ocr_space.images import load_image

        images = list(images)
        return cls(texts, lambda start, stop: [load_image(i) for i in images[start:stop]],
                   {"data": name, "split": None, "rows_in_split": len(texts), "limit": None})


def _hub_split(repo_id: str, split: str, limit: int | None):
    """``split`` of Hub dataset ``repo_id`` (its first ``limit`` rows), with ``image`` and ``text`` columns."""
    import datasets

    from ocr_space.hub_reads import hub_read_token

    wanted = f"{split}[:{limit}]" if limit else split
    try:
        dataset = datasets.load_dataset(repo_id, split=wanted, token=hub_read_token())
    except Exception as exc:  # noqa: BLE001 - offline, missing, gated, no such split: all mean "cannot use it"
        raise EvaluationError(f"Could not load {wanted!r} of the Hub dataset {repo_id!r}: {exc}.") from exc
    missing = {"image", "text"} - set(dataset.column_names)
    if missing:
        raise EvaluationError(f"Hub dataset {repo_id} lacks column(s) {', '.join(sorted(missing))}; it needs 'image' "
                              "and 'text'.")
    return dataset.select_columns(["image", "text"]).cast_column("image", datasets.Image())


@dataclass
class EngineRun:
    """One engine's readings of every sample, or the reason it could not run."""

    name: str
    description: dict
    readings: list[Reading] = field(default_factory=list)
    unavailable: str | None = None
    read_seconds: float = 0.0
    load_seconds: float = 0.0

    @property
    def available(self) -> bool:
        return self.unavailable is None

    def throughput(self) -> dict:
        """Lines/s and tokens/s over the reading time (model loading excluded)."""
        lines = len(self.readings)
        tokens = [r.new_tokens for r in self.readings if r.new_tokens is not None]
        seconds = self.read_seconds
        return {
            "lines": lines,
            "read_seconds": seconds,
            "load_seconds": self.load_seconds,
            "lines_per_second": lines / seconds if seconds > 0 else None,
            "new_tokens": sum(tokens) if tokens else None,
            "tokens_per_second": sum(tokens) / seconds if tokens and seconds > 0 else None,
        }


def run_engines(samples: EvalSamples, engines: Sequence[Engine],
                progress: ProgressCallback | None = None) -> list[EngineRun]:
    """Each engine reads every sample, one engine at a time (one model in memory at a time).

    Under a multi-process launch each process reads its share and every
    process returns the gathered runs; only rank 0 reports progress (its share).
    """
    from ocr_space.distributed import batch_aligned_share, topology

    place = topology()
    reasons = [engine.unavailable_reason() for engine in engines]
    shares = [batch_aligned_share(len(samples), max(engine.batch_size, 1)) for engine in engines]
    total = sum(len(share) for share, reason in zip(shares, reasons, strict=True) if reason is None)
    if place.distributed and progress is not None:
        progress = _main_share_progress(progress, place.world_size) if place.is_main else None
    done, runs = 0, []
    for engine, reason, share in zip(engines, reasons, shares, strict=True):
        if place.distributed:
            runs.append(_run_engine_share(samples, engine, reason, progress, done, total, share))
        else:
            runs.append(_run_engine(samples, engine, reason, progress, done, total, share))
        done += len(share) if reason is None else 0
    return runs


def _main_share_progress(progress: ProgressCallback, world_size: int) -> ProgressCallback:
    """Rank 0 reports its own share (the others read theirs at the same pace)."""
    return lambda done, total, message: progress(done, total, f"{message} (rank 0 of {world_size} processes)")


def _run_engine_share(samples: EvalSamples, engine: Engine, reason: str | None, progress: ProgressCallback | None,
                      done: int, total: int, share: range) -> EngineRun:
    """This process reads its share; the runs of all processes are merged (in rank order) on every process."""
    from ocr_space.distributed import run_everywhere

    return merge_shares(run_everywhere(lambda: _run_engine(samples, engine, reason, progress, done, total, share)))


def merge_shares(runs: Sequence[EngineRun]) -> EngineRun:
    """One run from each process's run of its share: readings in rank order, times of the slowest process.

    An engine unavailable on any process is unavailable (with that reason);
    the description comes from the first process that opened the engine.

    >>> a = EngineRun("m", {"d": 0}, [Reading("x", 1.0)], read_seconds=1.0)
    >>> b = EngineRun("m", {"d": 1}, [Reading("y", 2.0)], read_seconds=2.0)
    >>> merged = merge_shares([a, b])
    >>> [r.text for r in merged.readings], merged.read_seconds, merged.description
    (['x', 'y'], 2.0, {'d': 0})
    """
    unavailable = next((run for run in runs if not run.available), None)
    if unavailable is not None:
        return EngineRun(unavailable.name, unavailable.description, unavailable=unavailable.unavailable)
    description = next((run.description for run in runs if run.description), runs[0].description)
    return EngineRun(runs[0].name, description, readings=[r for run in runs for r in run.readings],
                     read_seconds=max(run.read_seconds for run in runs),
                     load_seconds=max(run.load_seconds for run in runs))


def _run_engine(samples: EvalSamples, engine: Engine, reason: str | None, progress: ProgressCallback | None,
                done: int, total: int, lines: range) -> EngineRun:
    """``engine`` reads ``lines`` (all of them in a single process), batch by batch."""
    if reason:
        log.warning("engine %s unavailable: %s", engine.name, reason)
        return EngineRun(engine.name, engine.describe(), unavailable=reason)
    if not lines:  # a process with no share of the batches does not load the engine at all
        return EngineRun(engine.name, {})
    if progress:
        progress(done, total, f"{engine.name}: loading")
    started = time.perf_counter()
    try:
        engine.open()
    except OcrSpaceError as exc:  # e.g. a model folder that does not exist: report it, run the others
        log.warning("engine %s could not open: %s", engine.name, exc)
        return EngineRun(engine.name, engine.describe(), unavailable=str(exc))
    run = EngineRun(engine.name, {}, load_seconds=time.perf_counter() - started)
    engine.lines_in_job = len(lines)
    try:
        step = max(engine.batch_size, 1)
        for start in range(lines.start, lines.stop, step):
            images = samples.images(start, min(start + step, lines.stop))
            began = time.perf_counter()
            run.readings.extend(engine.read(images))
            run.read_seconds += time.perf_counter() - began
            if progress:
                progress(done + len(run.readings), total, f"{engine.name}: {len(run.readings)}/{len(lines)} lines")
        run.description = engine.describe()
    finally:
        engine.close()
        gc.collect()
    return run
