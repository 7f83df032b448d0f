"""Evaluate and compare OCR engines: CER with error bars, confusions, and the lines behind the numbers.

``compare`` and ``evaluate`` (re-exported from :mod:`ocr_space`) are the entry
points; :func:`cer` is the one CER every part of the project uses (training's
before/after numbers included). The package is named ``evaluation`` so that
the public function ``ocr_space.evaluate`` does not shadow it.
"""

from ocr_space.evaluation.bootstrap import CerDifference, paired_bootstrap
from ocr_space.evaluation.compare import compare, evaluate
from ocr_space.evaluation.engines import (
                                        Engine,
                                        LoadedModelEngine,
                                        ModelEngine,
                                        RapidOcrEngine,
                                        TesseractEngine,
                                        engine_from_spec,
)
from ocr_space.evaluation.metrics import MetricSummary, cer, score_texts, summarize
from ocr_space.evaluation.normalize import DEFAULT_NORMALIZATION, Normalization, normalize
from ocr_space.evaluation.results import EvaluationReport
from ocr_space.evaluation.runner import EvalSamples, EvaluationError

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
