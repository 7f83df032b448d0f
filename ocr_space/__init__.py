"""ocr-space: turn a general DeepSeek-OCR model into an expert on your documents.

The public API, one function per step of the pipeline:

>>> from ocr_space import TrainConfig, load_model, recognize, train
>>> loaded = load_model("deepseek-community/DeepSeek-OCR-2")  # doctest: +SKIP
>>> recognize(loaded, "page.png").text  # doctest: +SKIP
>>> train(TrainConfig(model="deepseek-community/DeepSeek-OCR-2", data="datasets/lines"))  # doctest: +SKIP
"""

from ocr_space.errors import ConfigError, ImageError, ModelLoadError, OcrSpaceError
from ocr_space.models.loading import LoadedModel, load_model
from ocr_space.recognize import PROMPTS, Recognition, recognize, recognize_batch
from ocr_space.train import TrainConfig, TrainResult, merge, resume, train

__all__ = [
    "PROMPTS",
    "ConfigError",
    "ImageError",
    "LoadedModel",
    "ModelLoadError",
    "OcrSpaceError",
    "Recognition",
    "TrainConfig",
    "TrainResult",
    "load_model",
    "merge",
    "recognize",
    "recognize_batch",
    "resume",
    "train",
]
