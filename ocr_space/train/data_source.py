"""Open a dataset for training: an ocr-space folder or a Hub dataset id, as train (+ test) splits.

Both give ``datasets.Dataset`` objects with an ``image`` column (decoded to PIL
on access) and a ``text`` column, the contract of :mod:`ocr_space.data.splits`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocr_space.data.splits import DatasetError, load_split, split_files


@dataclass
class TrainingData:
    train: Any
    test: Any | None  # None when the dataset has no test split (then no before/after CER)


def open_training_data(data: str, max_train_samples: int = 0, source_split: str = "",
                       eval_samples: int | None = None) -> TrainingData:
    """The train split (first ``max_train_samples`` rows if > 0) and the test split if there is one.

    For a Hub dataset only what is used is read: ``source_split`` (e.g. ``train[:1000]``;
    empty = ``train``, cut to ``max_train_samples`` rows when set) and the first
    ``eval_samples`` rows of its test split (all when None).

    >>> open_training_data("datasets/lines").train.num_rows  # doctest: +SKIP
    800
    """
    reference = str(data).strip()
    path = Path(reference).expanduser()
    if path.exists() or reference.startswith(("/", ".", "~")) or reference.count("/") != 1:
        train, test = _from_folder(path)
    else:
        train_split = source_split.strip() or (f"train[:{max_train_samples}]" if max_train_samples else "train")
        test_split = f"test[:{eval_samples}]" if eval_samples else ("test" if eval_samples is None else None)
        train, test = _from_hub(reference, train_split, test_split)
    if train.num_rows == 0:
        raise DatasetError(f"The train split of {reference} is empty: there is nothing to train on. Build the "
                           "dataset with a train share (e.g. --split 0.8,0.1,0.1) or choose another dataset.")
    if max_train_samples and train.num_rows > max_train_samples:
        train = train.select(range(max_train_samples))
    return TrainingData(train=train, test=test)


def _from_folder(folder: Path):
    files = split_files(folder)
    if "train" not in files:
        raise DatasetError(f"{folder} has no training rows (it has only: {', '.join(files)}), so there is nothing "
                           "to train on. An evaluation-only set (built with --split 0,0,1) is for Compare and eval; "
                           "train on a dataset with a train split ({prefix}_train.parquet).")
    return load_split(folder, "train"), load_split(folder, "test") if "test" in files else None


def _from_hub(repo_id: str, train_split: str = "train", test_split: str | None = "test"):
    """``train_split`` (and ``test_split`` if the dataset has a test split) of Hub dataset ``repo_id``, with only
    ``image`` and ``text``; the slices (``train[:1000]``) keep the rest of a big dataset off the disk."""
    import datasets

    from ocr_space.hub_reads import hub_read_token

    try:
        train = datasets.load_dataset(repo_id, split=train_split, token=hub_read_token())
    except Exception as exc:  # noqa: BLE001 - offline, missing, gated, a bad split...: all mean "cannot use it"
        raise DatasetError(f"Could not load {train_split!r} of the Hub dataset {repo_id!r}: {exc}. Check the id and "
                           "the split (e.g. train[:1000]), log in for private datasets, or build a local dataset "
                           "folder.") from exc
    test = None
    if test_split:
        try:
            test = datasets.load_dataset(repo_id, split=test_split, token=hub_read_token())
        except ValueError:  # "Unknown split": no test split, so no before/after CER
            test = None
    for name, split in (("train", train), ("test", test)):
        if split is None:
            continue
        missing = {"image", "text"} - set(split.column_names)
        if missing:
            raise DatasetError(f"Hub dataset {repo_id} ({name}) lacks column(s) {', '.join(sorted(missing))}; it "
                               "needs 'image' and 'text' (columns: " + ", ".join(split.column_names) + ").")
    cast = [split.select_columns(["image", "text"]).cast_column("image", datasets.Image()) if split is not None
            else None for split in (train, test)]
    return cast[0], cast[1]
