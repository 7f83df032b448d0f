"""ocr-space: turn a general DeepSeek-OCR model into an expert on your documents.

The public API, one function per step of the pipeline:

>>> from ocr_space import load_model, recognize
>>> loaded = load_model("deepseek-community/DeepSeek-OCR-2")  # doctest: +SKIP
>>> recognize(loaded, "page.png").text  # doctest: +SKIP
"""

from ocr_space.errors import ConfigError, ImageError, ModelLoadError, OcrSpaceError
from ocr_space.models.loading import LoadedModel, load_model
from ocr_space.models.v1_convert import convert_from_v1, convert_to_v1
from ocr_space.recognize import PROMPTS, Recognition, recognize, recognize_batch

__all__ = [
    "PROMPTS",
    "ConfigError",
    "ImageError",
    "LoadedModel",
    "ModelLoadError",
    "OcrSpaceError",
    "Recognition",
    "convert_from_v1",
    "convert_to_v1",
    "load_model",
    "recognize",
    "recognize_batch",
]
