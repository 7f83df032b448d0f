"""Render text lines with real CJK fonts: test fixtures and synthetic training data.

Users with a domain vocabulary but few labelled images can train on lines
drawn in several fonts and roughened like scans (blur, noise, JPEG artefacts,
tilt, faded ink, uneven paper); tests get Chinese images without any download.
Every sample draws its look from its own seeded generator, so a seed
reproduces a dataset exactly, and a line is only drawn with a font that has
a glyph for each of its characters — the label always matches the picture.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ocr_space.data.fonts import missing_characters, resolve_fonts
from ocr_space.data.samples import Candidate, Source
from ocr_space.data.validate import read_text_file
from ocr_space.errors import ConfigError

if TYPE_CHECKING:
    from ocr_space.data.build import BuiltDataset, ProgressCallback


def render_line(text: str, font_path: str | Path, font_size: int = 32, padding: int = 8,
                ink: int = 20, paper: int = 245) -> Image.Image:
    """Draw ``text`` on one line, tightly cropped with ``padding`` px around the ink.

    >>> render_line("你好，世界", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").mode
    'RGB'
    """
    font = ImageFont.truetype(str(font_path), font_size)
    left, top, right, bottom = font.getbbox(text)
    width = max(right - left, 1) + 2 * padding
    height = max(bottom - top, font_size) + 2 * padding
    image = Image.new("RGB", (width, height), (paper, paper, paper))
    ImageDraw.Draw(image).text((padding - left, padding - top), text, font=font, fill=(ink, ink, ink))
    return image


@dataclass(frozen=True)
class Degradations:
    """How rough synthetic lines look; each sample draws its own amount in ``[0, maximum]``.

    Real scans are blurred, noisy, JPEG-compressed, slightly rotated, faded and on
    uneven paper; a model trained only on clean renders reads clean renders only.

    >>> Degradations(blur=1.5, rotation=3)  # doctest: +ELLIPSIS
    Degradations(blur=1.5, noise=8.0, jpeg=30, rotation=3, contrast=0.5, background=True)
    """

    blur: float = field(default=1.0, metadata={"help": "largest Gaussian blur radius, px"})
    noise: float = field(default=8.0, metadata={"help": "largest standard deviation of pixel noise (0-255 scale)"})
    jpeg: int = field(default=30, metadata={"help": "lowest JPEG quality drawn from [jpeg, 95]; 0 = no JPEG step"})
    rotation: float = field(default=2.0, metadata={"help": "largest tilt, degrees either way"})
    contrast: float = field(default=0.5, metadata={
        "help": "lowest contrast factor in [contrast, 1]; 1 = ink always at full strength"})
    background: bool = field(default=True, metadata={
        "help": "scan-like paper: tint, uneven light, texture, specks, sometimes a ruled line"})

    def __post_init__(self):
        if self.blur < 0 or self.noise < 0 or self.rotation < 0:
            raise ConfigError("blur, noise and rotation must be >= 0.")
        if not 0 <= self.jpeg <= 95:
            raise ConfigError(f"jpeg is the lowest JPEG quality, 0 (off) to 95; got {self.jpeg}.")
        if not 0 < self.contrast <= 1:
            raise ConfigError(f"contrast is the lowest contrast factor, in (0, 1]; got {self.contrast}.")

    @classmethod
    def none(cls) -> Degradations:
        """Clean renders: no blur, noise, JPEG, rotation or fading; plain paper."""
        return cls(blur=0, noise=0, jpeg=0, rotation=0, contrast=1, background=False)


@dataclass
class SynthLine:
    """One rendered line: encoded image bytes plus how it was made (font, size, drawn degradation amounts)."""

    text: str
    image_bytes: bytes
    font: Path
    font_size: int
    applied: dict


def render_degraded(text: str, font_path: str | Path, font_size: int, degradations: Degradations,
                    rng: np.random.Generator) -> SynthLine:
    """Draw ``text`` with ``font_path`` on (scan-like) paper, then blur, noise, rotate, fade and JPEG it.

    >>> line = render_degraded("发票号码", "/usr/share/fonts/truetype/arphic/ukai.ttc", 32, Degradations(),
    ...                        np.random.default_rng(0))  # doctest: +SKIP
    """
    font = ImageFont.truetype(str(font_path), font_size)
    left, top, right, bottom = font.getbbox(text)
    padding = int(font_size * rng.uniform(0.25, 0.6))
    width, height = max(right - left, 1) + 2 * padding, max(bottom - top, font_size) + 2 * padding
    mask = Image.new("L", (width, height), 0)
    ImageDraw.Draw(mask).text((padding - left, padding - top), text, font=font, fill=255)

    applied: dict = {}
    paper = _paper(width, height, degradations.background, rng)
    ink = np.array([rng.uniform(5, 60)] * 3) + (np.array([0, 0, rng.uniform(0, 70)]) if rng.random() < 0.2 else 0)
    strength = rng.uniform(degradations.contrast, 1.0)
    applied["contrast"] = round(float(strength), 3)
    alpha = np.asarray(mask, dtype=np.float32)[..., None] / 255.0 * strength
    pixels = paper * (1 - alpha) + ink * alpha
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")

    if degradations.rotation:
        angle = float(rng.uniform(-degradations.rotation, degradations.rotation))
        fill = tuple(int(v) for v in paper.reshape(-1, 3).mean(axis=0))
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
        applied["rotation"] = round(angle, 2)
    if degradations.blur:
        radius = float(rng.uniform(0, degradations.blur))
        image = image.filter(ImageFilter.GaussianBlur(radius))
        applied["blur"] = round(radius, 2)
    if degradations.noise:
        sigma = float(rng.uniform(0, degradations.noise))
        grain = rng.normal(0, sigma, (image.height, image.width, 1))
        image = Image.fromarray(np.clip(np.asarray(image, dtype=np.float32) + grain, 0, 255).astype(np.uint8))
        applied["noise"] = round(sigma, 2)
    buffer = io.BytesIO()
    if degradations.jpeg:
        quality = int(rng.integers(degradations.jpeg, 96))
        image.save(buffer, format="JPEG", quality=quality)
        applied["jpeg"] = quality
    else:
        image.save(buffer, format="PNG")
    return SynthLine(text, buffer.getvalue(), Path(font_path), font_size, applied)


def _paper(width: int, height: int, scan_like: bool, rng: np.random.Generator) -> np.ndarray:
    """An HxWx3 float background: plain light grey, or tinted paper with uneven light, grain and specks."""
    if not scan_like:
        return np.full((height, width, 3), 245.0, dtype=np.float32)
    level = rng.uniform(215, 250)
    tint = np.array([level, level - rng.uniform(0, 6), level - rng.uniform(2, 16)], dtype=np.float32)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    light = rng.uniform(-12, 12) * xs / max(width, 1) + rng.uniform(-8, 8) * ys / max(height, 1)
    grain = np.asarray(Image.fromarray(np.clip(128 + rng.normal(0, 10, (height, width)), 0, 255).astype(np.uint8))
                       .filter(ImageFilter.GaussianBlur(1.2)), dtype=np.float32) - 128
    paper = tint[None, None, :] + (light + grain * 0.5)[..., None]
    for _ in range(int(rng.integers(0, 7))):  # specks of dust and toner
        cy, cx, r = rng.uniform(0, height), rng.uniform(0, width), rng.uniform(0.6, 1.8)
        paper[(ys - cy) ** 2 + (xs - cx) ** 2 <= r * r] = rng.uniform(90, 180)
    if rng.random() < 0.25:  # a faint ruled line under the text, as on forms
        row = int(height * rng.uniform(0.85, 0.95))
        paper[row:row + 1] -= rng.uniform(25, 60)
    return paper


def synth_lines(lines: Sequence[str], n: int | None = None, fonts: Sequence[str | Path] | None = None,
                degradations: Degradations | None = None, seed: int = 0,
                font_size: tuple[int, int] = (28, 40)) -> Iterator[SynthLine | tuple[str, str]]:
    """Render ``n`` samples (default: one per line), cycling through ``lines``; deterministic for a seed.

    Each sample picks a font (among those that can draw every character of its
    line) and a size at random from its own seeded generator, so sample ``i``
    looks the same whatever ``n`` is. A line no font can draw yields
    ``(text, missing characters)`` instead of an image.

    >>> next(synth_lines(["你好，世界"], fonts=["ukai"], seed=1)).font.name  # doctest: +SKIP
    'ukai.ttc'
    """
    lines = [line.strip() for line in lines if line and line.strip()]
    if not lines:
        raise ConfigError("No text to render: give at least one non-empty line.")
    font_paths = resolve_fonts(fonts)
    degradations = degradations or Degradations()
    low, high = sorted(font_size)
    if low < 8:
        raise ConfigError(f"font sizes below 8 px are unreadable; got {font_size}.")
    count = len(lines) if n is None else n
    if count < 1:
        raise ConfigError(f"n must be at least 1; got {n}.")
    return _render_all(lines, count, font_paths, degradations, seed, low, high)


def _render_all(lines: list[str], count: int, font_paths: list[Path], degradations: Degradations, seed: int,
                low: int, high: int) -> Iterator[SynthLine | tuple[str, str]]:
    for index in range(count):
        text = lines[index % len(lines)]
        usable = [font for font in font_paths if not missing_characters(text, font)]
        if not usable:
            yield text, "".join(dict.fromkeys("".join(missing_characters(text, f) for f in font_paths)))
            continue
        rng = np.random.default_rng([seed, index])
        font = usable[int(rng.integers(len(usable)))]
        yield render_degraded(text, font, int(rng.integers(low, high + 1)), degradations, rng)


def read_lines(path: str | Path) -> list[str]:
    """Non-blank lines of a UTF-8 / GB18030 text file (a ``#`` is text here, not a comment)."""
    text, _ = read_text_file(Path(path))
    return [line.strip() for line in text.splitlines() if line.strip()]


def compose_lines(vocabulary: Sequence[str], count: int, seed: int = 0, min_chars: int = 6,
                  max_chars: int = 24) -> list[str]:
    """Lines made of random vocabulary terms (for users with a term list rather than running text).

    Terms are joined without spaces, except between two ASCII words.

    >>> compose_lines(["发票", "金额", "税号"], 2, seed=0, min_chars=4, max_chars=6)  # doctest: +SKIP
    ['金额发票', '税号发票金额']
    """
    terms = [term.strip() for term in vocabulary if term and term.strip()]
    if not terms:
        raise ConfigError("The vocabulary is empty.")
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(count):
        target, line = int(rng.integers(min_chars, max_chars + 1)), ""
        while len(line) < target:
            term = terms[int(rng.integers(len(terms)))]
            ascii_pair = line[-1:].isascii() and line[-1:].isalnum() and term[:1].isascii() and term[:1].isalnum()
            line += (" " if ascii_pair else "") + term
        lines.append(line[:max_chars].strip())
    return lines


def synth_source(lines: Sequence[str], n: int | None = None, fonts: Sequence[str | Path] | None = None,
                 degradations: Degradations | None = None, seed: int = 0, font_size: tuple[int, int] = (28, 40),
                 log: list[dict] | None = None) -> Source:
    """Synthetic lines as a build :class:`Source`; ``log`` (if given) receives one provenance record per sample.

    >>> from ocr_space.data.build import build_dataset
    >>> build_dataset(synth_source(["你好，世界"] * 3, n=10), "/tmp/synth-ds")  # doctest: +SKIP
    """
    rendered = synth_lines(lines, n, fonts, degradations, seed, font_size)

    def candidates() -> Iterator[Candidate]:
        for index, line in enumerate(rendered):
            if isinstance(line, tuple):
                text, missing = line
                yield Candidate(f"synth:{index}", None, text,
                                problem=("unrenderable", f"no chosen font has: {missing}"))
                continue
            if log is not None:
                log.append({"index": index, "text": line.text, "font": line.font.name, "font_size": line.font_size,
                            **line.applied, "sha256": hashlib.sha256(line.image_bytes).hexdigest()})
            yield Candidate(f"synth:{index} ({line.font.stem}, {line.font_size}px)", line.image_bytes, line.text)

    count = n if n is not None else len([line for line in lines if line and line.strip()])
    return Source(f"{count} synthetic lines", candidates(), total=count)


def synth_dataset(lines: Sequence[str], out: str | Path, *, n: int | None = None,
                  fonts: Sequence[str | Path] | None = None, degradations: Degradations | None = None,
                  seed: int = 0, font_size: tuple[int, int] = (28, 40), prefix: str | None = None,
                  split: str | Sequence[float] | None = None, progress: ProgressCallback | None = None
                  ) -> BuiltDataset:
    """Render lines of domain text into a split parquet dataset, plus ``synth.jsonl`` (font, size and
    degradation amounts of every sample, keyed by the SHA-256 of its image bytes).

    >>> from ocr_space import synth_dataset
    >>> built = synth_dataset(["发票号码：2024-0815", "金额￥1280.00"], "/tmp/synth", n=200,
    ...                       fonts=["ukai", "wqy-microhei"])  # doctest: +SKIP
    >>> built.summary()  # doctest: +SKIP
    {'train': 160, 'validation': 20, 'test': 20, 'rejected': 0}
    """
    from ocr_space.data.build import build_dataset
    from ocr_space.data.splits import DEFAULT_PREFIX

    log: list[dict] = []
    source = synth_source(lines, n, fonts, degradations, seed, font_size, log)
    built = build_dataset(source, out, prefix=prefix or DEFAULT_PREFIX, split=split, seed=seed, progress=progress)
    provenance = built.folder / "synth.jsonl"
    with open(provenance, "w", encoding="utf-8") as handle:
        for record in log:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    built.extra_files.append(provenance)
    return built


@dataclass
class SynthImages:
    """Rendered lines written as image files plus a plain manifest (``images/line_000.png <text>``)."""

    manifest: Path
    images: list[Path]
    unrenderable: list[tuple[str, str]]


def write_synth_images(lines: Sequence[str], folder: str | Path, *, n: int | None = None,
                       fonts: Sequence[str | Path] | None = None, degradations: Degradations | None = None,
                       seed: int = 0, font_size: tuple[int, int] = (28, 40), palette: int | None = None,
                       command: str | None = None) -> SynthImages:
    """Render lines to ``folder/images/*.png`` and ``folder/manifest.txt`` (how ``examples/demo`` is made).

    ``palette`` (e.g. 16) stores each PNG with that many colours: grain and noise make
    full-colour PNGs large, and a few grey levels still look like a scan.

    >>> write_synth_images(read_lines("examples/demo/text.txt"), "examples/demo", n=30)  # doctest: +SKIP
    """
    folder = Path(folder)
    rendered = synth_lines(lines, n, fonts, degradations, seed, font_size)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    count = n if n is not None else len([line for line in lines if line and line.strip()])
    width = max(3, len(str(count - 1)))
    entries, images, unrenderable = [], [], []
    for index, line in enumerate(rendered):  # one image in memory at a time
        if isinstance(line, tuple):
            unrenderable.append(line)
            continue
        name = f"images/line_{index:0{width}d}.png"
        image = Image.open(io.BytesIO(line.image_bytes)).convert("RGB")
        if palette:
            image = image.quantize(palette)
        image.save(folder / name, format="PNG", optimize=bool(palette))  # optimising full colour costs 3x time
        images.append(folder / name)
        entries.append(f"{name} {line.text}")
    header = ["# Synthetic text lines rendered by ocr_space.data.synth: <image path> <transcription>."]
    if command:
        header.append(f"# Regenerate: {command}")
    manifest = folder / "manifest.txt"
    manifest.write_text("\n".join(header + entries) + "\n", encoding="utf-8")
    return SynthImages(manifest, images, unrenderable)
