"""Fine-tuning: LoRA adapters from an ocr-space dataset, as background jobs that report into a run folder.

>>> from ocr_space.train import TrainConfig, train
>>> result = train(TrainConfig(model="/tmp/tiny", data="datasets/lines"))  # doctest: +SKIP
"""

from ocr_space.train.job import TrainResult
from ocr_space.train.merge import merge
from ocr_space.train.recipe import PRESETS, TrainConfig, preset
from ocr_space.train.run_dir import RunDir, interrupted_runs, list_runs
from ocr_space.train.runner import RUNNER, TrainingBusyError, TrainingJob, resume, resume_interrupted, train

__all__ = ["PRESETS", "RUNNER", "RunDir", "TrainConfig", "TrainResult", "TrainingBusyError", "TrainingJob",
           "interrupted_runs", "list_runs", "merge", "preset", "resume", "resume_interrupted", "train"]
