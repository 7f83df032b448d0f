"""The on-disk dataset contract every stage shares: one parquet file per split.

A dataset folder holds ``{prefix}_{split}.parquet`` for split in train /
validation / test, each with exactly two columns: ``image`` (a
``datasets.Image`` with the encoded bytes embedded) and ``text`` (str).
Building writes it, training reads ``train`` (and ``validation``),
evaluation reads ``test``; ``datasets.load_dataset("parquet", ...)`` and
``pandas.read_parquet`` read it too.
"""

from __future__ import annotations

import re
from pathlib import Path

from ocr_space.errors import OcrSpaceError

SPLITS = ("train", "validation", "test")
DEFAULT_PREFIX = "data"
#: A dataset's name or file prefix: one path component of letters, digits, ``_``, ``.`` and ``-``
#: (a folder name in the app, a file prefix in ``{prefix}_{split}.parquet``).
DATASET_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*$")
#: ``{prefix}_{split}.parquet``, any prefix: group 1 is the prefix, group 2 the split.
SPLIT_FILE = re.compile(rf"^(.+)_({'|'.join(SPLITS)})\.parquet$")


class DatasetError(OcrSpaceError):
    """A dataset is missing, malformed, or lacks what a step needs."""


def split_files(folder: str | Path, prefix: str | None = None) -> dict[str, Path]:
    """Map split name -> parquet file in ``folder``; the prefix is detected when not given.

    >>> split_files("examples/demo")  # doctest: +SKIP
    {'train': PosixPath('examples/demo/demo_train.parquet'), ...}
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"Dataset folder not found: {folder}")
    pattern = re.compile(rf"^({re.escape(prefix)})_({'|'.join(SPLITS)})\.parquet$") if prefix else SPLIT_FILE
    found: dict[str, dict[str, Path]] = {}
    for path in sorted(folder.glob("*.parquet")):
        match = pattern.match(path.name)
        if match:
            found.setdefault(match.group(1), {})[match.group(2)] = path
    if not found:
        raise DatasetError(f"No {{prefix}}_{{train,validation,test}}.parquet files in {folder}; build a dataset "
                           "first (python -m ocr_space dataset build ...).")
    if len(found) > 1:
        raise DatasetError(f"{folder} holds several datasets ({', '.join(sorted(found))}); name one with prefix=.")
    return next(iter(found.values()))


def load_split(folder: str | Path, split: str, prefix: str | None = None):
    """One split as a ``datasets.Dataset`` with ``image`` (decoded to PIL on access) and ``text``."""
    import datasets

    files = split_files(folder, prefix)
    if split not in files:
        raise DatasetError(f"{folder} has no {split!r} split (it has: {', '.join(files)}).")
    dataset = datasets.load_dataset("parquet", data_files={split: str(files[split])}, split=split)
    missing = {"image", "text"} - set(dataset.column_names)
    if missing:
        raise DatasetError(f"{files[split].name} lacks column(s) {', '.join(sorted(missing))}; "
                           "an ocr-space dataset has exactly 'image' and 'text'.")
    return dataset.cast_column("image", datasets.Image())


def write_split(dataset, folder: str | Path, split: str, prefix: str = DEFAULT_PREFIX) -> Path:
    """Write one split (columns ``image`` and ``text``) as ``{prefix}_{split}.parquet`` with image bytes embedded."""
    if split not in SPLITS:
        raise DatasetError(f"split must be one of {', '.join(SPLITS)}; got {split!r}.")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{prefix}_{split}.parquet"
    dataset.select_columns(["image", "text"]).to_parquet(str(path))
    return path
