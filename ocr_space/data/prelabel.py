"""Pre-label: let the current model transcribe unlabelled images, so a person only corrects.

Correcting a near-right line is several times faster than typing it; the UI
puts these drafts in an editable table, the CLI writes them to a TSV the user
edits before ``dataset build``.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ocr_space.errors import ConfigError, ImageError
from ocr_space.images import load_image

if TYPE_CHECKING:
    from ocr_space.models.loading import LoadedModel


@dataclass
class Draft:
    """The model's draft transcription of one image; ``error`` says why an image got none."""

    image: Path
    text: str
    error: str | None = None


def prelabel(loaded: LoadedModel, images: Sequence[str | Path], *, prompt: str = "ocr", max_new_tokens: int = 256,
             mode: str | None = None, batch_size: int = 8,
             progress: Callable[[int, int, str], None] | None = None) -> list[Draft]:
    """Draft transcriptions for ``images`` (in order); unreadable images get an empty draft and an error.

    >>> from ocr_space import load_model
    >>> drafts = prelabel(load_model("deepseek-community/DeepSeek-OCR-2"), ["scan1.png", "scan2.png"])  # doctest: +SKIP
    >>> drafts[0].text  # doctest: +SKIP
    """
    from ocr_space.recognize import recognize_batch

    if batch_size < 1:
        raise ConfigError("batch_size must be at least 1.")
    drafts = [Draft(Path(image), "") for image in images]
    readable = []
    for draft in drafts:
        try:
            load_image(draft.image)
            readable.append(draft)
        except ImageError as exc:
            draft.error = str(exc)
    for start in range(0, len(readable), batch_size):
        if progress:
            progress(start, len(readable), "Pre-labelling")
        batch = readable[start:start + batch_size]
        results = recognize_batch(loaded, [draft.image for draft in batch], prompt=prompt,
                                  max_new_tokens=max_new_tokens, mode=mode, batch_size=batch_size)
        for draft, result in zip(batch, results, strict=True):
            draft.text = result.text.strip()
    if progress:
        progress(len(readable), len(readable), "Pre-labelling")
    return drafts


def write_drafts(drafts: Sequence[Draft], path: str | Path) -> Path:
    """A ``file_name<TAB>text`` table for a person to correct, then ``dataset build`` it.

    Image paths are written relative to the table's folder when the images sit under it
    (a build only reads images inside the manifest's folder unless told otherwise).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    base = path.parent.resolve()
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["file_name", "text"])
        for draft in drafts:
            image = draft.image.resolve()
            name = image.relative_to(base).as_posix() if image.is_relative_to(base) else os.fspath(image)
            writer.writerow([name, draft.text])
    return path
