"""Paired bootstrap over samples: is engine B's CER really lower than engine A's?

Both engines read the same lines, so the honest error bar resamples *lines*
(with replacement) and recomputes both micro-averaged CERs on each resample.
The 95% interval of the difference decides: "B beats A" only when the whole
interval lies below zero. Seeded, so a report can be reproduced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ocr_space.errors import ConfigError

DEFAULT_RESAMPLES = 1000


@dataclass(frozen=True)
class CerDifference:
    """CER(engine) - CER(baseline) with its bootstrap interval; negative means the engine makes fewer errors."""

    baseline: str
    engine: str
    baseline_cer: float
    engine_cer: float
    difference: float
    low: float
    high: float
    confidence: float
    resamples: int
    seed: int

    @property
    def significant(self) -> bool:
        return self.high < 0 or self.low > 0

    @property
    def verdict(self) -> str:
        """One sentence a user can quote."""
        interval = (f"CER {self.baseline_cer:.2%} -> {self.engine_cer:.2%}, {100 * self.difference:+.2f} pts, "
                    f"{self.confidence:.0%} interval [{100 * self.low:+.2f}, {100 * self.high:+.2f}]")
        if self.high < 0:
            return f"{self.engine} beats {self.baseline} ({interval})"
        if self.low > 0:
            return f"{self.engine} is worse than {self.baseline} ({interval})"
        return f"no clear difference between {self.engine} and {self.baseline} ({interval})"

    def as_dict(self) -> dict:
        return {**asdict(self), "significant": self.significant, "verdict": self.verdict}


def paired_bootstrap(baseline_edits: Sequence[int], engine_edits: Sequence[int], reference_chars: Sequence[int],
                     baseline: str = "A", engine: str = "B", resamples: int = DEFAULT_RESAMPLES,
                     confidence: float = 0.95, seed: int = 0) -> CerDifference:
    """Bootstrap interval of CER(engine) - CER(baseline) from per-sample edit counts.

    >>> paired_bootstrap([3, 2, 4], [0, 1, 0], [10, 10, 10], "base", "tuned").difference
    -0.26666666666666666
    """
    a = np.asarray(baseline_edits, dtype=np.int64)
    b = np.asarray(engine_edits, dtype=np.int64)
    n_chars = np.asarray(reference_chars, dtype=np.int64)
    if not (len(a) == len(b) == len(n_chars)) or len(a) == 0:
        raise ConfigError("The bootstrap needs the same non-empty set of samples for both engines.")
    if resamples < 1 or not 0 < confidence < 1:
        raise ConfigError("resamples must be >= 1 and confidence between 0 and 1.")
    rng = np.random.default_rng(seed)
    differences = np.empty(resamples)
    chunk = max(1, 2_000_000 // len(a))  # bound the index matrix to ~16 MB
    for start in range(0, resamples, chunk):
        stop = min(start + chunk, resamples)
        index = rng.integers(0, len(a), size=(stop - start, len(a)))
        denominator = np.maximum(n_chars[index].sum(axis=1), 1)
        differences[start:stop] = (b[index].sum(axis=1) - a[index].sum(axis=1)) / denominator
    tail = (1 - confidence) / 2
    low, high = np.quantile(differences, [tail, 1 - tail])
    total = max(int(n_chars.sum()), 1)
    baseline_cer, engine_cer = a.sum() / total, b.sum() / total
    return CerDifference(baseline=baseline, engine=engine, baseline_cer=float(baseline_cer),
                         engine_cer=float(engine_cer), difference=float(engine_cer - baseline_cer),
                         low=float(low), high=float(high), confidence=confidence, resamples=resamples, seed=seed)
