"""Turn engine runs into one report: scores per sample and engine, summaries, intervals, confusions.

Everything a report file, the CLI summary or the Compare tab shows comes from
the :class:`EvaluationReport` built here, so they always agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ocr_space.evaluation.bootstrap import DEFAULT_RESAMPLES, CerDifference, paired_bootstrap
from ocr_space.evaluation.confusions import Confusion, confusion_table, count_substitutions, top_confusions
from ocr_space.evaluation.metrics import MetricSummary, SampleScore, score_pair, summarize
from ocr_space.evaluation.normalize import Normalization, normalize
from ocr_space.evaluation.runner import EngineRun, EvalSamples


@dataclass
class EngineResult:
    """One engine's outcome; ``summary`` is None when it could not run (``unavailable`` says why)."""

    name: str
    description: dict
    unavailable: str | None = None
    summary: MetricSummary | None = None
    throughput: dict | None = None
    hypotheses: list[str] = field(default_factory=list)
    normalized_hypotheses: list[str] = field(default_factory=list)
    scores: list[SampleScore] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    new_tokens: list[int | None] = field(default_factory=list)
    confusions: list[Confusion] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return self.unavailable is None

    def as_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "available": self.available,
                "unavailable": self.unavailable, "summary": self.summary.as_dict() if self.summary else None,
                "throughput": self.throughput, "top_confusions": [c.as_dict() for c in self.confusions]}


@dataclass
class EvaluationReport:
    """All numbers of one evaluation; the first available engine is the baseline of the comparisons."""

    source: dict
    normalization: Normalization
    references: list[str]
    normalized_references: list[str]
    engines: list[EngineResult]
    comparisons: list[CerDifference]
    confusion_rows: list[dict]
    settings: dict
    created: str
    files: dict[str, Path] = field(default_factory=dict)

    def engine(self, name: str) -> EngineResult:
        return next(e for e in self.engines if e.name == name)

    @property
    def available_engines(self) -> list[EngineResult]:
        return [e for e in self.engines if e.available]

    def summary(self) -> dict[str, float | None]:
        """engine -> micro CER (None where the engine could not run): the CLI's one-line JSON."""
        return {e.name: e.summary.cer if e.summary else None for e in self.engines}

    def sample_rows(self) -> list[dict]:
        """One row per (sample, available engine): the CSV and the per-sample table."""
        rows = []
        for engine in self.available_engines:
            for index, score in enumerate(engine.scores):
                rows.append({
                    "sample": index,
                    "engine": engine.name,
                    "reference": self.references[index],
                    "hypothesis": engine.hypotheses[index],
                    "reference_normalized": self.normalized_references[index],
                    "hypothesis_normalized": engine.normalized_hypotheses[index],
                    **score.as_dict(),
                    "seconds": engine.seconds[index],
                    "new_tokens": engine.new_tokens[index],
                })
        return rows

    def to_dict(self) -> dict:
        return {
            "created": self.created,
            "source": self.source,
            "samples": len(self.references),
            "normalization": self.normalization.as_dict(),
            "settings": self.settings,
            "summary": self.summary(),
            "engines": [e.as_dict() for e in self.engines],
            "comparisons": [c.as_dict() for c in self.comparisons],
            "confusions": self.confusion_rows,
            "rows": self.sample_rows(),
        }


def build_report(samples: EvalSamples, runs: Sequence[EngineRun], normalization: Normalization,
                 resamples: int = DEFAULT_RESAMPLES, seed: int = 0, confusion_limit: int = 20,
                 settings: dict | None = None) -> EvaluationReport:
    """Score every run against the references, bootstrap each engine against the baseline, count confusions."""
    references = samples.texts
    normalized_references = [normalize(text, normalization) for text in references]
    engines = [_score_run(run, normalized_references, normalization, confusion_limit) for run in runs]
    available = [e for e in engines if e.available]
    comparisons = []
    if available:
        baseline = available[0]
        reference_chars = [s.reference_chars for s in baseline.scores]
        comparisons = [paired_bootstrap([s.edits for s in baseline.scores], [s.edits for s in other.scores],
                                        reference_chars, baseline.name, other.name, resamples=resamples, seed=seed)
                       for other in available[1:]]
    counters = {e.name: count_substitutions(normalized_references, e.normalized_hypotheses) for e in available}
    return EvaluationReport(
        source=samples.source, normalization=normalization, references=list(references),
        normalized_references=normalized_references, engines=engines, comparisons=comparisons,
        confusion_rows=confusion_table(counters, confusion_limit) if counters else [],
        settings={"bootstrap_resamples": resamples, "bootstrap_seed": seed, **(settings or {})},
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def _score_run(run: EngineRun, normalized_references: list[str], normalization: Normalization,
               confusion_limit: int) -> EngineResult:
    if not run.available:
        return EngineResult(run.name, run.description, unavailable=run.unavailable)
    hypotheses = [r.text for r in run.readings]
    normalized = [normalize(text, normalization) for text in hypotheses]
    scores = [score_pair(ref, hyp) for ref, hyp in zip(normalized_references, normalized, strict=True)]
    counter = count_substitutions(normalized_references, normalized)
    return EngineResult(
        name=run.name, description=run.description, summary=summarize(scores, normalization),
        throughput=run.throughput(), hypotheses=hypotheses, normalized_hypotheses=normalized, scores=scores,
        seconds=[r.seconds for r in run.readings], new_tokens=[r.new_tokens for r in run.readings],
        confusions=top_confusions(counter, confusion_limit),
    )
