import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from ocr_space.errors import ImageError
from ocr_space.images import load_image


def test_accepts_path_bytes_pil_and_array(example_lines):
    path = example_lines[0]
    from_path = load_image(path)
    assert from_path.mode == "RGB"
    assert load_image(path.read_bytes()).size == from_path.size
    assert load_image(Image.open(path).convert("L")).mode == "RGB"
    assert load_image(np.zeros((20, 30, 3), dtype=np.uint8)).size == (30, 20)


def test_missing_empty_and_corrupt_files_are_named(tmp_path):
    with pytest.raises(ImageError, match="not found"):
        load_image(tmp_path / "nope.png")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(ImageError, match="empty"):
        load_image(empty)
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"this is not an image")
    with pytest.raises(ImageError, match="Not a readable image"):
        load_image(corrupt)


def test_too_small_images_are_rejected():
    with pytest.raises(ImageError, match="at least 10 px"):
        load_image(Image.new("RGB", (100, 5)))


def _bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header claiming a huge image, with almost no data behind it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + \
        chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(ImageError, match="pixels|too large"):
        load_image(_bomb_png(20_000, 20_000))


def test_exif_rotation_is_applied():
    image = Image.new("RGB", (40, 20), "white")
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    assert load_image(buffer.getvalue()).size == (20, 40)
