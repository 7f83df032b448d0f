"""ocr-space: turn a general DeepSeek-OCR model into an expert on your documents.

The public API, one function per step of the pipeline:

>>> from ocr_space import load_model, recognize
>>> loaded = load_model("deepseek-community/DeepSeek-OCR-2")  # doctest: +SKIP
>>> recognize(loaded, "page.png").text  # doctest: +SKIP
>>> push_adapter("runs/lines", "me/deepseek-ocr2-lines-lora")  # doctest: +SKIP
"""

from ocr_space.errors import ConfigError, ImageError, ModelLoadError, OcrSpaceError
from ocr_space.hub import HubError, PushResult, push_adapter, push_dataset, push_merged
from ocr_space.models.loading import LoadedModel, load_model
from ocr_space.recognize import PROMPTS, Recognition, recognize, recognize_batch

__all__ = [
    "PROMPTS",
    "ConfigError",
    "HubError",
    "ImageError",
    "LoadedModel",
    "ModelLoadError",
    "OcrSpaceError",
    "PushResult",
    "Recognition",
    "load_model",
    "push_adapter",
    "push_dataset",
    "push_merged",
    "recognize",
    "recognize_batch",
]
