"""CER, WER, exact-line accuracy and edit counts, per sample and over a set.

Definitions (the README repeats them):

- CER = character edits (substitutions + deletions + insertions of one
  minimal alignment) / reference characters. Over a set it is micro-averaged:
  all edits / all reference characters, so long lines weigh more than short
  ones, and ``cer(refs, hyps) == jiwer.cer(refs, hyps)``.
- Empty reference: it counts as one character in the denominator only when
  *every* reference in the set is empty. So one empty reference with an empty
  hypothesis scores 0; with a hypothesis of n characters its per-sample CER is
  n (n insertions), and in a set those n insertions add to the numerator while
  the empty line adds nothing to the denominator. This is jiwer's rule too.
- WER uses the same rule on whitespace-separated words; it is reported only
  where words make sense: not when whitespace is removed, and not when no
  reference has two or more words (unspaced Chinese lines, where WER would just
  be the line error rate).
- Exact-line accuracy: share of samples whose normalised texts are equal.

Scores are computed on normalised texts (see :mod:`ocr_space.evaluation.normalize`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from ocr_space.errors import ConfigError
from ocr_space.evaluation.alignment import edit_counts
from ocr_space.evaluation.normalize import DEFAULT_NORMALIZATION, Normalization, normalize


@dataclass(frozen=True)
class SampleScore:
    """Edit counts of one (normalised) reference/hypothesis pair."""

    reference_chars: int
    substitutions: int
    deletions: int
    insertions: int
    reference_words: int
    word_edits: int

    @property
    def edits(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def cer(self) -> float:
        return self.edits / max(self.reference_chars, 1)

    @property
    def exact(self) -> bool:
        return self.edits == 0

    def as_dict(self) -> dict:
        return {**asdict(self), "edits": self.edits, "cer": self.cer, "exact": self.exact}


@dataclass(frozen=True)
class MetricSummary:
    """A set's scores; ``wer`` is None where words make no sense (see the module docstring)."""

    samples: int
    cer: float
    mean_sample_cer: float
    wer: float | None
    exact_line_accuracy: float
    reference_chars: int
    edits: int
    substitutions: int
    deletions: int
    insertions: int

    def as_dict(self) -> dict:
        return asdict(self)


def score_pair(reference: str, hypothesis: str) -> SampleScore:
    """Score texts that are already normalised.

    >>> score_pair("一二三", "一二").cer
    0.3333333333333333
    """
    chars = edit_counts(reference, hypothesis)
    reference_words, hypothesis_words = reference.split(), hypothesis.split()
    return SampleScore(reference_chars=len(reference), substitutions=chars.substitutions,
                       deletions=chars.deletions, insertions=chars.insertions,
                       reference_words=len(reference_words),
                       word_edits=edit_counts(reference_words, hypothesis_words).total)


def score_texts(references: Sequence[str], hypotheses: Sequence[str],
                normalization: Normalization = DEFAULT_NORMALIZATION) -> list[SampleScore]:
    """Normalise each pair, then score it; the lists must be equally long."""
    if len(references) != len(hypotheses):
        raise ConfigError(f"{len(references)} references but {len(hypotheses)} hypotheses; they must pair up.")
    return [score_pair(normalize(ref, normalization), normalize(hyp, normalization))
            for ref, hyp in zip(references, hypotheses, strict=True)]


def summarize(scores: Sequence[SampleScore], normalization: Normalization = DEFAULT_NORMALIZATION) -> MetricSummary:
    """Micro-averaged CER/WER, exact-line accuracy and edit totals of a scored set."""
    if not scores:
        raise ConfigError("Nothing to score: the evaluation set is empty.")
    reference_chars = sum(s.reference_chars for s in scores)
    edits = sum(s.edits for s in scores)
    return MetricSummary(
        samples=len(scores),
        cer=micro_rate(edits, reference_chars),
        mean_sample_cer=sum(s.cer for s in scores) / len(scores),
        wer=_wer(scores, normalization),
        exact_line_accuracy=sum(s.exact for s in scores) / len(scores),
        reference_chars=reference_chars,
        edits=edits,
        substitutions=sum(s.substitutions for s in scores),
        deletions=sum(s.deletions for s in scores),
        insertions=sum(s.insertions for s in scores),
    )


def micro_rate(edits: int, reference_units: int) -> float:
    """Edits per reference unit; a set of only empty references counts as one unit (jiwer's rule)."""
    return edits / max(reference_units, 1)


def cer(references: str | Sequence[str], hypotheses: str | Sequence[str],
        normalization: Normalization | None = DEFAULT_NORMALIZATION) -> float:
    """Micro-averaged character error rate of hypotheses against references (jiwer's argument order).

    ``normalization=None`` compares the texts exactly as given.

    >>> cer(["今天天气很好", "一二三"], ["今天天气很好", "一二"])
    0.1111111111111111
    """
    references, hypotheses = _as_list(references), _as_list(hypotheses)
    scores = score_texts(references, hypotheses, normalization or Normalization.off())
    return micro_rate(sum(s.edits for s in scores), sum(s.reference_chars for s in scores))


def _wer(scores: Iterable[SampleScore], normalization: Normalization) -> float | None:
    scores = list(scores)
    if normalization.whitespace == "remove" or not any(s.reference_words >= 2 for s in scores):
        return None
    return micro_rate(sum(s.word_edits for s in scores), sum(s.reference_words for s in scores))


def _as_list(texts: str | Sequence[str]) -> list[str]:
    return [texts] if isinstance(texts, str) else list(texts)
