"""What a built dataset contains, in numbers a user can act on.

Counts per split, the character inventory, how long the lines are, how big
the images are, and — the number that predicts trouble — characters in the
test (or validation) split that training never shows the model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from ocr_space.data.samples import Rejection

#: Text-length histogram bins (characters): [1, 5), [5, 10), ..., [160, inf).
LENGTH_EDGES = (1, 5, 10, 20, 40, 80, 160)


@dataclass
class DatasetStats:
    """Summary numbers of one build; ``as_dict()`` is what ``stats.json`` holds."""

    counts: dict[str, int]
    rejected: dict[str, int]
    unique_characters: int
    characters_per_split: dict[str, int]
    text_length: dict[str, float]
    length_histogram: list[dict]
    image_width: dict[str, float]
    image_height: dict[str, float]
    unseen_in_train: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    def markdown(self) -> str:
        """A short human summary (the UI and the dataset card show it)."""
        lines = ["| split | samples | distinct characters |", "| --- | ---: | ---: |"]
        lines += [f"| {split} | {count} | {self.characters_per_split.get(split, 0)} |"
                  for split, count in self.counts.items()]
        length = self.text_length
        lines += ["", f"- distinct characters overall: **{self.unique_characters}**",
                  f"- text length (characters): min {length['min']:g}, median {length['median']:g}, "
                  f"mean {length['mean']:.1f}, max {length['max']:g}",
                  f"- image width (px): min {self.image_width['min']:g}, median {self.image_width['median']:g}, "
                  f"max {self.image_width['max']:g}; height: min {self.image_height['min']:g}, "
                  f"median {self.image_height['median']:g}, max {self.image_height['max']:g}"]
        for split, unseen in self.unseen_in_train.items():
            shown = unseen if len(unseen) <= 80 else unseen[:80] + "…"
            lines.append(f"- characters in {split} never seen in train: **{len(unseen)}**"
                         + (f" ({shown})" if unseen else ""))
        if self.rejected:
            lines.append("- rejected: " + ", ".join(f"{reason} {n}" for reason, n in sorted(self.rejected.items())))
        lines += ["", "| text length | samples |", "| --- | ---: |"]
        lines += [f"| {row['range']} | {row['count']} |" for row in self.length_histogram]
        return "\n".join(lines)


def compute_stats(texts: Mapping[str, Sequence[str]], sizes: Sequence[tuple[int, int]],
                  rejected: Iterable[Rejection] = ()) -> DatasetStats:
    """Stats from the texts of each split and the (width, height) of every accepted image.

    >>> compute_stats({"train": ["你好"], "test": ["你们"]}, [(40, 20), (42, 20)]).unseen_in_train["test"]
    '们'
    """
    charsets = {split: set("".join(split_texts)) - {" "} for split, split_texts in texts.items()}
    everything = set().union(*charsets.values()) if charsets else set()
    train = charsets.get("train", set())
    unseen = {split: "".join(sorted(charsets[split] - train)) for split in ("validation", "test") if split in texts}
    lengths = np.array([len(text) for split_texts in texts.values() for text in split_texts], dtype=float)
    widths = np.array([w for w, _ in sizes], dtype=float)
    heights = np.array([h for _, h in sizes], dtype=float)
    return DatasetStats(
        counts={split: len(split_texts) for split, split_texts in texts.items()},
        rejected=dict(Counter(rejection.reason for rejection in rejected)),
        unique_characters=len(everything),
        characters_per_split={split: len(chars) for split, chars in charsets.items()},
        text_length=_summary(lengths, with_mean=True),
        length_histogram=_histogram(lengths),
        image_width=_summary(widths),
        image_height=_summary(heights),
        unseen_in_train=unseen,
    )


def _summary(values: np.ndarray, with_mean: bool = False) -> dict[str, float]:
    if not len(values):
        return {"min": 0, "median": 0, "max": 0, **({"mean": 0.0} if with_mean else {})}
    summary = {"min": float(values.min()), "median": float(np.median(values)), "max": float(values.max())}
    if with_mean:
        summary["mean"] = float(values.mean())
    return summary


def _histogram(lengths: np.ndarray) -> list[dict]:
    edges = list(LENGTH_EDGES) + [np.inf]
    counts = np.histogram(lengths, bins=edges)[0] if len(lengths) else np.zeros(len(edges) - 1, dtype=int)
    return [{"range": f"{lo}–{hi - 1}" if np.isfinite(hi) else f"{lo}+", "count": int(count)}
            for lo, hi, count in zip(edges[:-1], edges[1:], counts, strict=True)]
