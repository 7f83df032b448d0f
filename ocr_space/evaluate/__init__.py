"""Evaluate and compare OCR engines: CER with error bars, confusions, and the lines behind the numbers.

``compare`` and ``evaluate`` (re-exported from :mod:`ocr_space`) are the entry
points; :func:`cer` is the one CER every part of the project uses (training's
before/after numbers included).

Import submodules with ``from ocr_space.evaluate.metrics import cer`` rather than
``import ocr_space.evaluate.metrics as m``: ``ocr_space.evaluate`` as an attribute
of the top package is the public function :func:`evaluate`.
"""

from ocr_space.evaluate.bootstrap import CerDifference, paired_bootstrap
from ocr_space.evaluate.compare import compare, evaluate
from ocr_space.evaluate.engines import (Engine, LoadedModelEngine, ModelEngine, RapidOcrEngine, TesseractEngine,
                                        engine_from_spec)
from ocr_space.evaluate.metrics import MetricSummary, cer, score_texts, summarize
from ocr_space.evaluate.normalize import DEFAULT_NORMALIZATION, Normalization, normalize
from ocr_space.evaluate.results import EvaluationReport
from ocr_space.evaluate.runner import EvalSamples, EvaluationError

__all__ = [
    "DEFAULT_NORMALIZATION",
    "CerDifference",
    "Engine",
    "EvalSamples",
    "EvaluationError",
    "EvaluationReport",
    "LoadedModelEngine",
    "MetricSummary",
    "ModelEngine",
    "Normalization",
    "RapidOcrEngine",
    "TesseractEngine",
    "cer",
    "compare",
    "engine_from_spec",
    "evaluate",
    "normalize",
    "paired_bootstrap",
    "score_texts",
    "summarize",
]
