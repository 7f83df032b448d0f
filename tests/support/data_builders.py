"""Small on-disk inputs for the dataset tests: distinct images, manifests, zips, hand-made PNG bombs."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def image_bytes(index: int, size: tuple[int, int] = (48, 24), fmt: str = "PNG", mode: str = "RGB") -> bytes:
    """A distinct little image per ``index`` (seeded noise), encoded as ``fmt``."""
    rng = np.random.default_rng(index)
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    image = Image.fromarray(pixels, "RGB").convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def write_image(path: Path, index: int, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image_bytes(index, **kwargs))
    return path


def write_pairs(folder: Path, texts: list[str], start: int = 0) -> list[tuple[str, str]]:
    """``img_000.png`` ... with distinct pixels; returns (file name, text) pairs."""
    pairs = []
    for offset, text in enumerate(texts):
        name = f"img_{start + offset:03d}.png"
        write_image(folder / name, start + offset)
        pairs.append((name, text))
    return pairs


def write_manifest(path: Path, pairs: list[tuple[str, str]], encoding: str = "utf-8", header: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((header + "".join(f"{name} {text}\n" for name, text in pairs)).encode(encoding))
    return path


def pixel_key(data: bytes) -> str:
    """Identity of an image by its decoded RGB pixels (independent of the file format)."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    return hashlib.sha256(f"{image.size}".encode() + image.tobytes()).hexdigest()


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature + IHDR claiming ``width`` x ``height``, with a few rows of data: a bomb's header."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\0" * (1 + width) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
