"""The records that flow through a dataset build: candidates in, samples or rejections out.

A source (manifest, folder, zip, existing dataset, UI rows, synthetic
renderer) only says what it *found*: a :class:`Candidate` with a reference
the user recognises ("lines.txt:12"). Validation turns each candidate into an
accepted :class:`Sample` or a :class:`Rejection` with a reason, so nothing is
ever dropped without a line in the report.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Union

import numpy as np
from PIL import Image

#: Every reason a candidate can be rejected for, with the sentence the report shows.
REJECTION_REASONS: dict[str, str] = {
    "missing_file": "image file not found",
    "outside_root": "path points outside the dataset folder (or a zip entry escapes it)",
    "empty_file": "image file is empty (0 bytes)",
    "unreadable": "not a readable image (corrupt, truncated or not an image)",
    "too_small": "image is smaller than the minimum side length",
    "too_large": "image is above the pixel limit (or a decompression bomb)",
    "missing_text": "no transcription found for this image",
    "empty_text": "transcription is empty or whitespace only",
    "bad_encoding": "text is in none of the encodings read (UTF-8, UTF-16, GB18030, Big5, Shift-JIS, EUC-KR)",
    "bad_row": "row could not be parsed",
    "duplicate": "same image content as an earlier sample",
    "unrenderable": "no chosen font can draw every character of this line",
}

CandidateImage = Union[Path, bytes, Image.Image, np.ndarray, None]


@dataclass
class Candidate:
    """One would-be sample exactly as its source found it, not yet checked.

    ``problem`` is set when the source already knows the sample is unusable
    (a path escaping the root, a zip-slip entry, an image without a .txt):
    ``(reason, detail)`` with ``reason`` a key of :data:`REJECTION_REASONS`.
    """

    ref: str
    image: CandidateImage
    text: str | None
    split: str | None = None
    problem: tuple[str, str] | None = None


@dataclass
class Sample:
    """An accepted pair: encoded RGB image bytes (EXIF rotation applied) and its transcription."""

    ref: str
    image_bytes: bytes
    text: str
    width: int
    height: int
    split: str | None = None


@dataclass
class Rejection:
    """Why a candidate did not make it into the dataset; one line of ``rejected.jsonl``."""

    ref: str
    reason: str
    detail: str
    text: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Source:
    """What a build reads from: candidates (consumed once, lazily) plus what the report says about them.

    ``total`` is the number of candidates when known up front (for progress), ``None`` otherwise.
    Sources that need cleanup (an extracted zip) register it on ``cleanup``; use the
    source as a context manager.
    """

    description: str
    candidates: Iterable[Candidate]
    total: int | None = None
    notes: list[str] = field(default_factory=list)
    cleanup: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def __iter__(self) -> Iterator[Candidate]:
        return iter(self.candidates)

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.cleanup.close()
