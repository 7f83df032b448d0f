"""Synthetic Chinese text-line datasets for the training tests, in the on-disk dataset contract.

Built with the real renderer and split writer (ocr_space.data), so training
reads them exactly as it reads a dataset the Build Dataset tab makes.
"""

from __future__ import annotations

import random
from pathlib import Path

#: the characters the synthetic lines use (the tiny reader's vocabulary: these + ASCII)
CHARACTERS = "一二三四"


def random_lines(characters: str, count: int, lengths: tuple[int, int], rng: random.Random,
                 exclude: set[str] = frozenset()) -> list[str]:
    """``count`` distinct lines of ``lengths[0]..lengths[1]`` characters, none of them in ``exclude``."""
    possible = sum(len(characters) ** length for length in range(lengths[0], lengths[1] + 1))
    if count > possible - len(exclude):
        raise ValueError(f"only {possible} distinct lines exist ({len(exclude)} excluded); cannot draw {count}")
    lines: dict[str, None] = {}
    while len(lines) < count:
        line = "".join(rng.choice(characters) for _ in range(rng.randint(*lengths)))
        if line not in exclude:
            lines[line] = None
    return list(lines)


def write_line_dataset(folder: Path, train_lines: list[str], test_lines: list[str], font_size: int = 28,
                       seed: int = 0) -> Path:
    """Render the lines with one CJK font and write ``data_train.parquet`` and ``data_test.parquet``."""
    import datasets

    from ocr_space.data.fonts import require_cjk_fonts
    from ocr_space.data.splits import write_split
    from ocr_space.data.synth import render_line

    font = require_cjk_fonts()[0]
    for split, lines in (("train", train_lines), ("test", test_lines)):
        images = [render_line(line, font, font_size=font_size) for line in lines]
        dataset = datasets.Dataset.from_dict({"image": images, "text": lines})
        write_split(dataset.cast_column("image", datasets.Image()), folder, split)
    return folder
