"""Experiment tracking for those who use it: TensorBoard or Trackio, off by default.

The run folder is already the record of a run (``events.jsonl``, ``status.json``);
a tracker is an extra view of it. TensorBoard writes its event files into the
run folder itself, so ``tensorboard --logdir $OCR_SPACE_RUNS`` lists every run by
its folder name; Trackio logs to project ``ocr-space`` with the run folder's name
as the run name (its own local store, or a Space if the user configures one).
"""

from __future__ import annotations

import importlib.util
from typing import Any

from ocr_space.errors import ConfigError
from ocr_space.train.run_dir import RunDir

TRACKIO_PROJECT = "ocr-space"
#: the package each tracker needs, and how to get it
_PACKAGES = {"tensorboard": "tensorboard", "trackio": "trackio"}


def check_tracker(report_to: str) -> str:
    """``report_to`` if its package imports here, else a :class:`ConfigError` saying what to install.

    >>> check_tracker("none")
    'none'
    """
    package = _PACKAGES.get(report_to)
    if package and importlib.util.find_spec(package) is None:
        raise ConfigError(f"report_to: {report_to} needs the {package} package here (pip install {package}); "
                          "or set report_to to none.")
    return report_to


def trainer_arguments(report_to: str, run: RunDir) -> dict[str, Any]:
    """The ``TrainingArguments`` keywords for ``report_to`` (TensorBoard is a callback: see :func:`callbacks`)."""
    if report_to == "trackio":
        return {"report_to": ["trackio"], "project": TRACKIO_PROJECT, "run_name": run.path.name}
    return {"report_to": []}


def callbacks(report_to: str, run: RunDir) -> list:
    """Trainer callbacks for ``report_to``: TensorBoard's, writing into the run folder."""
    if report_to != "tensorboard":
        return []
    from transformers.integrations import TensorBoardCallback

    callback = TensorBoardCallback()
    # set before on_train_begin, which otherwise picks output_dir/runs/DATE (the checkpoints folder)
    callback.logging_dir = str(run.path)
    return [callback]
