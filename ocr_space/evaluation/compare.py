"""The public entry points: ``evaluate`` one model, ``compare`` several engines, on a dataset split.

Both read the split, run the engines (batched, capped, with progress), score
with one normalisation, bootstrap every engine against the first, and write
``report.json``, ``report.csv`` and ``report.html`` when ``out`` is given.
Launched as N processes (``torchrun --nproc_per_node N -m ocr_space eval ...``),
the processes split the lines, every process gets the same report, and rank 0
writes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

from ocr_space.distributed import is_main_process, topology
from ocr_space.evaluation.bootstrap import DEFAULT_RESAMPLES
from ocr_space.evaluation.engines import Engine, ModelEngine, check_unique_names, engine_from_spec
from ocr_space.evaluation.normalize import DEFAULT_NORMALIZATION, Normalization
from ocr_space.evaluation.results import EvaluationReport, build_report
from ocr_space.evaluation.runner import EvalSamples, EvaluationError, ProgressCallback, run_engines


def compare(data: str | Path | EvalSamples, engines: Sequence[str | Engine], split: str = "test",
            limit: int | None = None, out: str | Path | None = None,
            normalization: Normalization = DEFAULT_NORMALIZATION, *, batch_size: int = 8,
            max_new_tokens: int = 512, mode: str | None = None, prompt: str = "ocr", device: str = "auto",
            dtype: Any = "auto", resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
            progress: ProgressCallback | None = None, loader: Callable | None = None) -> EvaluationReport:
    """Run several engines on the same lines and say, with a 95% interval, which reads them best.

    ``engines`` are specs (``"base=MODEL"``, ``"tuned=MODEL+ADAPTER"``, ``"merged=FOLDER"``,
    ``"tesseract"``, ``"rapidocr"``) or :class:`~ocr_space.evaluation.engines.Engine` objects; the
    first one that runs is the baseline every other engine is bootstrapped against.

    >>> from ocr_space import compare
    >>> report = compare("datasets/receipts", ["base=deepseek-community/DeepSeek-OCR-2",
    ...                  "tuned=deepseek-community/DeepSeek-OCR-2+runs/r1/adapter", "tesseract", "rapidocr"],
    ...                  limit=200, out="reports/r1")  # doctest: +SKIP
    >>> report.summary()  # doctest: +SKIP
    {'base': 0.081, 'tuned': 0.012, 'tesseract': 0.35, 'rapidocr': 0.06}
    """
    if not engines:
        raise EvaluationError("Name at least one engine to evaluate.")
    model_options = dict(batch_size=batch_size, max_new_tokens=max_new_tokens, mode=mode, prompt=prompt,
                         device=device, dtype=dtype, loader=loader)
    engine_objects = [engine_from_spec(e, **model_options) if isinstance(e, str) else e for e in engines]
    check_unique_names(engine_objects)
    samples = data if isinstance(data, EvalSamples) else EvalSamples.from_split(str(data), split, limit)
    runs = run_engines(samples, engine_objects, progress)
    if not any(run.available for run in runs):
        reasons = "; ".join(f"{run.name}: {run.unavailable}" for run in runs)
        raise EvaluationError(f"No engine could run: {reasons}")
    report = build_report(samples, runs, normalization, resamples=resamples, seed=seed,
                          settings={"batch_size": batch_size, "max_new_tokens": max_new_tokens, "mode": mode,
                                    "prompt": prompt, "processes": topology().world_size})
    if out is not None and is_main_process():  # every process holds the whole report; one writes it
        from ocr_space.evaluation.report import write_report

        write_report(report, out)
    return report


def evaluate(model: str, data: str | Path | EvalSamples, adapter: str | None = None, split: str = "test",
             limit: int | None = None, out: str | Path | None = None,
             normalization: Normalization = DEFAULT_NORMALIZATION, *, name: str | None = None, batch_size: int = 8,
             max_new_tokens: int = 512, mode: str | None = None, prompt: str = "ocr", device: str = "auto",
             dtype: Any = "auto", progress: ProgressCallback | None = None,
             loader: Callable | None = None) -> EvaluationReport:
    """Score one model (optionally with a LoRA adapter) on a dataset split.

    Unlike :func:`compare`, a model that cannot load is an error here (there is nothing else to report).

    >>> from ocr_space import evaluate
    >>> report = evaluate("deepseek-community/DeepSeek-OCR-2", "datasets/receipts",
    ...                   adapter="runs/r1/adapter", limit=100, out="reports/r1")  # doctest: +SKIP
    >>> report.engines[0].summary.cer  # doctest: +SKIP
    0.012
    """
    engine = ModelEngine(name or _model_label(model, adapter), model, adapter, device=device, dtype=dtype, mode=mode,
                         prompt=prompt, max_new_tokens=max_new_tokens, batch_size=batch_size, loader=loader)
    samples = data if isinstance(data, EvalSamples) else EvalSamples.from_split(str(data), split, limit)
    engine.open()  # a model that does not load raises ModelLoadError here, not "no engine could run"
    return compare(samples, [engine], out=out, normalization=normalization, batch_size=batch_size,
                   max_new_tokens=max_new_tokens, mode=mode, prompt=prompt, progress=progress)


def _model_label(model: str, adapter: str | None) -> str:
    label = Path(str(model).rstrip("/")).name or str(model)
    return f"{label}+{Path(str(adapter).rstrip('/')).name}" if adapter else label
