"""ocr-space: turn a general DeepSeek-OCR model into an expert on your documents.

The public API, one function per step of the pipeline:

>>> from ocr_space import load_model, recognize
>>> loaded = load_model("deepseek-community/DeepSeek-OCR-2")  # doctest: +SKIP
>>> recognize(loaded, "page.png").text  # doctest: +SKIP
>>> from ocr_space import compare
>>> compare("datasets/receipts", ["base=deepseek-community/DeepSeek-OCR-2", "tesseract"]).summary()  # doctest: +SKIP
>>> push_adapter("runs/lines", "me/deepseek-ocr2-lines-lora")  # doctest: +SKIP
"""

from ocr_space.errors import ConfigError, ImageError, ModelLoadError, OcrSpaceError
from ocr_space.evaluation.compare import compare, evaluate
from ocr_space.evaluation.metrics import cer
from ocr_space.evaluation.normalize import Normalization
from ocr_space.evaluation.results import EvaluationReport
from ocr_space.hub import HubError, PushResult, push_adapter, push_dataset, push_merged
from ocr_space.models.loading import LoadedModel, load_model
from ocr_space.models.v1_convert import convert_from_v1, convert_to_v1
from ocr_space.recognize import PROMPTS, Recognition, recognize, recognize_batch

__all__ = [
    "PROMPTS",
    "ConfigError",
    "EvaluationReport",
    "HubError",
    "ImageError",
    "LoadedModel",
    "ModelLoadError",
    "Normalization",
    "OcrSpaceError",
    "PushResult",
    "Recognition",
    "cer",
    "compare",
    "evaluate",
    "convert_from_v1",
    "convert_to_v1",
    "load_model",
    "push_adapter",
    "push_dataset",
    "push_merged",
    "recognize",
    "recognize_batch",
]
