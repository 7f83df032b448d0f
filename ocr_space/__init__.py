"""ocr-space: turn a general DeepSeek-OCR model into an expert on your documents.

The public API, one function per step of the pipeline (data -> train -> evaluate -> hub):

>>> from ocr_space import TrainConfig, build_dataset, compare, load_model, push_adapter, recognize, train
>>> build_dataset("examples/demo/manifest.txt", "/tmp/demo-ds").summary()  # doctest: +SKIP
{'train': 24, 'validation': 3, 'test': 3, 'rejected': 0}
>>> loaded = load_model("deepseek-community/DeepSeek-OCR-2")  # doctest: +SKIP
>>> recognize(loaded, "page.png").text  # doctest: +SKIP
>>> train(TrainConfig(model="deepseek-community/DeepSeek-OCR-2", data="/tmp/demo-ds"))  # doctest: +SKIP
>>> compare("/tmp/demo-ds", ["base=deepseek-community/DeepSeek-OCR-2", "tesseract"]).summary()  # doctest: +SKIP
>>> push_adapter("runs/lines", "me/deepseek-ocr2-lines-lora")  # doctest: +SKIP
"""

from ocr_space.data.build import BuiltDataset, build_dataset
from ocr_space.data.prelabel import prelabel
from ocr_space.data.splits import DatasetError
from ocr_space.data.synth import Degradations, synth_dataset
from ocr_space.errors import ConfigError, ImageError, ModelLoadError, OcrSpaceError
from ocr_space.evaluation.compare import compare, evaluate
from ocr_space.evaluation.metrics import cer
from ocr_space.evaluation.normalize import Normalization
from ocr_space.evaluation.results import EvaluationReport
from ocr_space.hub import HubError, PushResult, push_adapter, push_dataset, push_merged
from ocr_space.models.loading import LoadedModel, load_model
from ocr_space.models.v1_convert import convert_from_v1, convert_to_v1
from ocr_space.recognize import PROMPTS, Recognition, recognize, recognize_batch
from ocr_space.train import TrainConfig, TrainResult, merge, resume, train

__all__ = [
    "PROMPTS",
    "BuiltDataset",
    "ConfigError",
    "DatasetError",
    "Degradations",
    "EvaluationReport",
    "HubError",
    "ImageError",
    "LoadedModel",
    "ModelLoadError",
    "Normalization",
    "OcrSpaceError",
    "PushResult",
    "Recognition",
    "TrainConfig",
    "TrainResult",
    "build_dataset",
    "cer",
    "compare",
    "convert_from_v1",
    "convert_to_v1",
    "evaluate",
    "load_model",
    "merge",
    "prelabel",
    "push_adapter",
    "push_dataset",
    "push_merged",
    "recognize",
    "recognize_batch",
    "resume",
    "synth_dataset",
    "train",
]
