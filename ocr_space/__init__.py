"""ocr-space: turn a general DeepSeek-OCR model into an expert on your documents.

The public API, one function per step of the pipeline:

>>> from ocr_space import load_model, recognize
>>> loaded = load_model("deepseek-community/DeepSeek-OCR-2")  # doctest: +SKIP
>>> recognize(loaded, "page.png").text  # doctest: +SKIP

>>> from ocr_space import build_dataset, synth_dataset
>>> build_dataset("examples/demo/manifest.txt", "/tmp/demo-ds").summary()  # doctest: +SKIP
{'train': 24, 'validation': 3, 'test': 3, 'rejected': 0}
"""

from ocr_space.data.build import BuiltDataset, build_dataset
from ocr_space.data.prelabel import prelabel
from ocr_space.data.splits import DatasetError
from ocr_space.data.synth import Degradations, synth_dataset
from ocr_space.errors import ConfigError, ImageError, ModelLoadError, OcrSpaceError
from ocr_space.models.loading import LoadedModel, load_model
from ocr_space.recognize import PROMPTS, Recognition, recognize, recognize_batch

__all__ = [
    "PROMPTS",
    "BuiltDataset",
    "ConfigError",
    "DatasetError",
    "Degradations",
    "ImageError",
    "LoadedModel",
    "ModelLoadError",
    "OcrSpaceError",
    "Recognition",
    "build_dataset",
    "load_model",
    "prelabel",
    "recognize",
    "recognize_batch",
    "synth_dataset",
]
