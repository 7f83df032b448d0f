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

from ocr_space.lazy import lazy_exports

#: Public name -> the module that defines it, imported on first use: `import ocr_space` loads no torch.
_EXPORTS = {
    "BuiltDataset": "ocr_space.data.build",
    "build_dataset": "ocr_space.data.build",
    "prelabel": "ocr_space.data.prelabel",
    "DatasetError": "ocr_space.data.splits",
    "Degradations": "ocr_space.data.synth",
    "synth_dataset": "ocr_space.data.synth",
    "ConfigError": "ocr_space.errors",
    "ImageError": "ocr_space.errors",
    "ModelLoadError": "ocr_space.errors",
    "OcrSpaceError": "ocr_space.errors",
    "compare": "ocr_space.evaluation.compare",
    "evaluate": "ocr_space.evaluation.compare",
    "cer": "ocr_space.evaluation.metrics",
    "Normalization": "ocr_space.evaluation.normalize",
    "EvaluationReport": "ocr_space.evaluation.results",
    "HubError": "ocr_space.hub",
    "PushResult": "ocr_space.hub",
    "push_adapter": "ocr_space.hub",
    "push_dataset": "ocr_space.hub",
    "push_merged": "ocr_space.hub",
    "LoadedModel": "ocr_space.models.loading",
    "load_model": "ocr_space.models.loading",
    "convert_from_v1": "ocr_space.models.deepseek_ocr_v1.convert",
    "convert_to_v1": "ocr_space.models.deepseek_ocr_v1.convert",
    "PROMPTS": "ocr_space.recognize",
    "Recognition": "ocr_space.recognize",
    "recognize": "ocr_space.recognize",
    "recognize_batch": "ocr_space.recognize",
    "Region": "ocr_space.grounding",
    "recognize_stream": "ocr_space.streaming",
    "TrainResult": "ocr_space.train",
    "merge": "ocr_space.train",
    "TrainConfig": "ocr_space.train",
    "resume": "ocr_space.train",
    "train": "ocr_space.train",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

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
    "Region",
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
    "recognize_stream",
    "resume",
    "synth_dataset",
    "train",
]
