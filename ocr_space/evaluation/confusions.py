"""Which characters an engine reads as which: the top substituted pairs, and how tuning changed them.

The classic reason to fine-tune an OCR model is a handful of systematic
confusions (一 read as 二, 1 read as l, a rare character read as a common
look-alike). Counting substitutions from the alignments shows them; a table
across engines shows which ones tuning fixed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ocr_space.evaluation.alignment import substitutions


@dataclass(frozen=True)
class Confusion:
    """``reference`` was read as ``hypothesis`` ``count`` times."""

    reference: str
    hypothesis: str
    count: int

    def as_dict(self) -> dict:
        return {"reference": self.reference, "hypothesis": self.hypothesis, "count": self.count}


def count_substitutions(references: Sequence[str], hypotheses: Sequence[str]) -> Counter:
    """(reference char, hypothesis char) -> count over normalised text pairs.

    >>> count_substitutions(["一二三", "一"], ["二二三", "二"])
    Counter({('一', '二'): 2})
    """
    counter: Counter = Counter()
    for reference, hypothesis in zip(references, hypotheses, strict=True):
        counter.update(substitutions(reference, hypothesis))
    return counter


def top_confusions(counter: Counter, limit: int = 20) -> list[Confusion]:
    """The ``limit`` most frequent pairs, ties broken by the characters for a stable order."""
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    return [Confusion(reference, hypothesis, count) for (reference, hypothesis), count in ranked[:limit]]


def confusion_table(counters: Mapping[str, Counter], limit: int = 20) -> list[dict]:
    """Rows ``{"reference", "hypothesis", <engine>: count, ...}`` for the pairs that are top in any engine.

    Sorted by the first engine's count (the "before"), then by the others', so
    a row like 一->二: base 12, tuned 0 reads as "tuning fixed this".

    >>> confusion_table({"base": Counter({("一", "二"): 3}), "tuned": Counter()})
    [{'reference': '一', 'hypothesis': '二', 'base': 3, 'tuned': 0}]
    """
    pairs: set[tuple[str, str]] = set()
    for counter in counters.values():
        pairs.update((c.reference, c.hypothesis) for c in top_confusions(counter, limit))
    engines = list(counters)
    rows = [{"reference": ref, "hypothesis": hyp, **{name: counters[name][(ref, hyp)] for name in engines}}
            for ref, hyp in pairs]
    rows.sort(key=lambda row: ([-row[name] for name in engines], row["reference"], row["hypothesis"]))
    return rows[:limit]
