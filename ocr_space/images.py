"""Turn whatever the user hands us into an RGB PIL image, safely.

One place decides what counts as a usable image so Recognize, dataset
building and evaluation reject the same things with the same words.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image, ImageOps

from ocr_space.errors import ImageError

ImageInput = Union[str, Path, bytes, Image.Image, np.ndarray]

#: Pillow's own bomb guard raises above 2x this; we check the header before decoding.
DEFAULT_MAX_PIXELS = 50_000_000
MIN_SIDE = 10


def load_image(image: ImageInput, max_pixels: int = DEFAULT_MAX_PIXELS, min_side: int = MIN_SIDE) -> Image.Image:
    """Open ``image`` (path, bytes, PIL or HxWxC array) as RGB with EXIF rotation applied.

    The header is checked against ``max_pixels`` before any pixel is decoded, so a
    decompression bomb costs nothing.

    >>> load_image("examples/lines/line_000.png").mode
    'RGB'
    """
    if isinstance(image, Image.Image):
        img = image
    elif isinstance(image, np.ndarray):
        img = Image.fromarray(image)
    elif isinstance(image, (bytes, bytearray)):
        if not image:
            raise ImageError("The image is empty (0 bytes).", reason="empty_file")
        img = _open(io.BytesIO(image), "the uploaded bytes", max_pixels)
    elif isinstance(image, (str, Path)):
        path = Path(image)
        if not path.is_file():
            raise ImageError(f"Image file not found: {path}", reason="missing_file")
        if path.stat().st_size == 0:
            raise ImageError(f"Image file is empty (0 bytes): {path}", reason="empty_file")
        img = _open(path, str(path), max_pixels)
    else:
        raise ImageError(f"Unsupported image input of type {type(image).__name__}.")

    width, height = img.size
    if width * height > max_pixels:
        raise ImageError(
            f"Image is {width}x{height} = {width * height:,} pixels, above the limit of {max_pixels:,}; "
            "downscale it first.", reason="too_large")
    if min(width, height) < min_side:
        raise ImageError(f"Image is {width}x{height}; both sides must be at least {min_side} px.", reason="too_small")
    try:
        img = ImageOps.exif_transpose(img)
        if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
            # convert("RGB") would drop alpha and leave whatever colour hides under it (often black ink on black)
            img = Image.alpha_composite(Image.new("RGBA", img.size, (255, 255, 255, 255)), img.convert("RGBA"))
        return img.convert("RGB")
    except (OSError, ValueError) as exc:
        raise ImageError(f"Image could not be decoded: {exc}", reason="unreadable") from exc


def _open(source, label: str, max_pixels: int) -> Image.Image:
    try:
        img = Image.open(source)
        img.size  # header only; pixels are decoded lazily by convert()
        return img
    except Image.DecompressionBombError as exc:
        # Pillow's own guard (above ~179 MP) fires at open, before our header check: same words as that check
        raise ImageError(f"Image {label} is above the limit of {max_pixels:,} pixels ({exc}); downscale it first.",
                         reason="too_large") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"Not a readable image: {label} ({exc})", reason="unreadable") from exc
