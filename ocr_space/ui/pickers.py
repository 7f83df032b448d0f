"""Pickers, not paths: the visitor's datasets and runs as dropdowns, newest first, a Hub id still welcome.

A dataset picker offers the dataset folders under the visitor's datasets root
(``ocr_space.ui.access``: their own workspace on a public Space, the shared folder locally)
(each labelled with its name and rows per split), a run picker the run folders
under their runs root (name, state, step); both keep ``allow_custom_value`` so a
Hub dataset id or any folder can still be typed. The one just built or trained
is pre-selected: handlers return :func:`dataset_picker` / :func:`run_picker`
updates with it as ``selected``.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from ocr_space.data.splits import SPLIT_FILE
from ocr_space.train.run_dir import list_runs
from ocr_space.ui.access import visitor


def dataset_folders(root: Path) -> list[Path]:
    """Folders under ``root`` holding ``{prefix}_{split}.parquet`` files, newest first."""
    if not root.is_dir():
        return []
    found = [folder for folder in root.iterdir()
             if folder.is_dir() and any(SPLIT_FILE.match(path.name) for path in folder.glob("*.parquet"))]
    return sorted(found, key=lambda folder: folder.stat().st_mtime, reverse=True)


def dataset_choices(root: Path) -> list[tuple[str, str]]:
    """``(label, folder)`` per dataset under ``root``, newest first: ``"lines · train 24 · test 3"``."""
    choices = []
    for folder in dataset_folders(root):
        rows = _split_rows(folder)
        label = " · ".join([folder.name, *(f"{split} {count}" for split, count in rows.items())])
        choices.append((label, str(folder)))
    return choices


def run_choices(root: Path, finished_only: bool = False) -> list[tuple[str, str]]:
    """``(label, folder)`` per run under ``root``, newest first: ``"20260101-120000-lines · done · 60/60"``;
    ``finished_only`` keeps the runs with an adapter."""
    choices = []
    for run in list_runs(root):
        if finished_only and not (run.adapter / "adapter_config.json").is_file():
            continue
        status = run.read_status()
        state = "interrupted" if status.get("stale") else status.get("state", "?")
        label = f"{run.path.name} · {state} · {status.get('step') or 0}/{status.get('max_steps') or 0}"
        choices.append((label, str(run.path)))
    return choices


def dataset_picker(root: Path, selected: str | None = None):
    """An update for a dataset dropdown: the datasets under ``root``; ``selected`` (e.g. the one just built),
    else the newest, else what was typed stays."""
    choices = dataset_choices(root)
    return gr.update(choices=_with(choices, selected), value=selected or (choices[0][1] if choices else None))


def run_picker(root: Path, selected: str | None = None, finished_only: bool = False):
    """An update for a run dropdown, as :func:`dataset_picker` does for datasets."""
    choices = run_choices(root, finished_only)
    return gr.update(choices=_with(choices, selected), value=selected or (choices[0][1] if choices else None))


def visitor_datasets(request: gr.Request = None, profile: gr.OAuthProfile | None = None):
    """Page-load handler: the visitor's own datasets (their workspace; the shared folder locally), newest first."""
    return dataset_picker(visitor(request, profile).workspace.datasets)


def visitor_datasets_keeping(current: str | None, request: gr.Request = None,
                             profile: gr.OAuthProfile | None = None):
    """Tab-select handler: the visitor's datasets again, keeping what is picked (or typed), else the newest."""
    return dataset_picker(visitor(request, profile).workspace.datasets, current or None)


def _with(choices: list[tuple[str, str]], selected: str | None) -> list[tuple[str, str]]:
    if selected and selected not in {value for _, value in choices}:
        return [(Path(selected).name or selected, selected), *choices]
    return choices


def _split_rows(folder: Path) -> dict[str, int]:
    import pyarrow.parquet as pq

    rows = {}
    for path in sorted(folder.glob("*.parquet")):
        match = SPLIT_FILE.match(path.name)
        if match:
            try:
                rows[match.group(2)] = pq.ParquetFile(path).metadata.num_rows
            except OSError:  # a half-written or damaged file: listed without a count, the loader explains it
                rows[match.group(2)] = 0
    order = {"train": 0, "validation": 1, "test": 2}
    return dict(sorted(rows.items(), key=lambda item: order.get(item[0], 3)))
