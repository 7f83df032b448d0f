"""Character alignments between a reference and a hypothesis, from rapidfuzz's Levenshtein.

Metrics count the edit operations, confusions read the substitutions, and the
report draws the diff: all from this one alignment, so the numbers and the
highlighted text can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein


@dataclass(frozen=True)
class EditCounts:
    """Minimal edits turning the reference into the hypothesis."""

    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0

    @property
    def total(self) -> int:
        return self.substitutions + self.deletions + self.insertions


@dataclass(frozen=True)
class DiffSegment:
    """A run of the alignment: ``equal``, ``replace``, ``delete`` (reference only) or ``insert`` (hypothesis only)."""

    kind: str
    reference: str
    hypothesis: str


def edit_counts(reference: Sequence, hypothesis: Sequence) -> EditCounts:
    """Substitutions, deletions and insertions of one optimal alignment (strings or lists of words).

    >>> edit_counts("一二三", "一三三四")
    EditCounts(substitutions=1, deletions=0, insertions=1)
    """
    counts = {"replace": 0, "delete": 0, "insert": 0}
    for op in Levenshtein.editops(reference, hypothesis):
        counts[op.tag] += 1
    return EditCounts(substitutions=counts["replace"], deletions=counts["delete"], insertions=counts["insert"])


def substitutions(reference: str, hypothesis: str) -> list[tuple[str, str]]:
    """The (reference character, hypothesis character) pairs the alignment substitutes.

    >>> substitutions("一二三", "一二二")
    [('三', '二')]
    """
    return [(reference[op.src_pos], hypothesis[op.dest_pos])
            for op in Levenshtein.editops(reference, hypothesis) if op.tag == "replace"]


def diff_segments(reference: str, hypothesis: str) -> list[DiffSegment]:
    """The alignment as runs, for drawing a diff.

    >>> [s.kind for s in diff_segments("abcd", "abxd")]
    ['equal', 'replace', 'equal']
    """
    return [DiffSegment(op.tag, reference[op.src_start:op.src_end], hypothesis[op.dest_start:op.dest_end])
            for op in Levenshtein.opcodes(reference, hypothesis)]
