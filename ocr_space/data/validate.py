"""Decide, one candidate at a time, whether it becomes a clean sample or a rejection with a reason.

Checks, in order: what the source already found wrong (missing file, path
outside the root, zip-slip), the transcription (empty or whitespace only),
the image (0 bytes, unreadable, smaller than ``min_side``, above
``max_pixels`` — checked from the header, so a decompression bomb is never
decoded), and duplicate image content (a hash of the decoded pixels, so the
same picture saved twice, under other names or in another lossless format, is caught). Accepted
images are stored as RGB with EXIF rotation applied.
"""

from __future__ import annotations

import codecs
import hashlib
import io
from pathlib import Path

import numpy as np
from PIL import Image

from ocr_space.data.samples import Candidate, Rejection, Sample
from ocr_space.data.splits import DatasetError
from ocr_space.errors import ImageError
from ocr_space.images import DEFAULT_MAX_PIXELS, MIN_SIDE, load_image

#: What a manifest or .txt that is neither UTF-8 nor UTF-16 may be (GB18030 covers GBK/GB2312 from Windows);
#: charset-normalizer picks among them (see decode_text)
LEGACY_CJK_ENCODINGS = ("gb18030", "big5", "shift_jis", "euc_kr")
_KEEP_AS_IS = {"PNG", "JPEG"}
#: Room for headers, EXIF and colour profiles on top of 4 bytes a pixel; bigger files are refused unread.
FILE_SLACK_BYTES = 64 << 20
_EXIF_ORIENTATION = 0x0112


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode a manifest or transcription file and say which encoding it was.

    UTF-16 (with a BOM, or without one when every other byte is NUL), then UTF-8
    (BOM or not); anything else is told apart among the CJK legacy encodings
    GB18030, Big5, Shift-JIS and EUC-KR by ``charset-normalizer`` (almost any
    byte string decodes as GB18030, so trying it blindly would read a Big5 or
    Shift-JIS manifest as nonsense Chinese). When GB18030 is among the best fits
    it wins (short texts fit several); a decoding with control characters is
    refused, never guessed.

    Returns ``(text, encoding)``; raises :class:`DatasetError` naming the file when nothing fits.

    >>> decode_text("img_000.png 发票号码\\n".encode("gb18030"), "lines.txt")
    ('img_000.png 发票号码\\n', 'gb18030')
    >>> decode_text("img_000.png 發票號碼：二零二四年八月十五日\\n".encode("big5"), "lines.txt")[1]
    'big5'
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8-sig")
        return text, "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError:
        pass
    for text, encoding in (_utf16_without_bom(data), _legacy_cjk(data)):
        if text is not None and _plausible(text):
            return text, encoding
    raise DatasetError(f"{name} is not UTF-8, UTF-16, GB18030, Big5, Shift-JIS or EUC-KR text (or too garbled to "
                       "tell which); re-save it as UTF-8 (e.g. `iconv -f <encoding> -t utf-8`).")


def _utf16_without_bom(data: bytes) -> tuple[str | None, str]:
    """UTF-16 text saved without a BOM puts a NUL in every other byte for ASCII (file names, digits, spaces)."""
    if len(data) < 4 or len(data) % 2:
        return None, ""
    odd, even = data[1::2].count(0), data[0::2].count(0)
    encoding = "utf-16-le" if odd > len(data) / 4 else "utf-16-be" if even > len(data) / 4 else None
    if encoding is None:
        return None, ""
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        return None, ""


def _legacy_cjk(data: bytes) -> tuple[str | None, str]:
    from charset_normalizer import from_bytes

    matches = [match for match in from_bytes(data, cp_isolation=list(LEGACY_CJK_ENCODINGS)) if match.chaos <= 0.1]
    if not matches:
        return None, ""
    least = min(match.chaos for match in matches)
    best = [match for match in matches if match.chaos == least]
    chosen = next((match for match in best if match.encoding == "gb18030"), best[0])
    return str(chosen), chosen.encoding


def _plausible(text: str) -> bool:
    """No replacement characters and no control characters besides tab and line breaks."""
    return "\ufffd" not in text and not any(ord(char) < 32 and char not in "\t\n\r\f" for char in text)


def read_text_file(path: Path) -> tuple[str, str]:
    """:func:`decode_text` on a file's bytes."""
    return decode_text(path.read_bytes(), path.name)


class Validator:
    """Checks candidates one by one; remembers image hashes to reject duplicates.

    >>> validator = Validator(max_pixels=50_000_000, min_side=10)
    >>> validator.check(Candidate("a.png", Path("examples/lines/line_000.png"), "今天"))  # doctest: +SKIP
    Sample(ref='a.png', ...)
    """

    def __init__(self, max_pixels: int = DEFAULT_MAX_PIXELS, min_side: int = MIN_SIDE):
        self.max_pixels = max_pixels
        self.min_side = min_side
        self._seen: dict[str, str] = {}  # pixel hash -> ref of the first sample with that image
        self._max_file_bytes = 4 * max_pixels + FILE_SLACK_BYTES

    def check(self, candidate: Candidate) -> Sample | Rejection:
        ref, text = candidate.ref, candidate.text
        if candidate.problem:
            reason, detail = candidate.problem
            return Rejection(ref, reason, detail, text)
        if text is None or not text.strip():
            return Rejection(ref, "empty_text", "the transcription is empty" if not text else
                             "the transcription is only whitespace", text)
        text = text.strip()
        try:
            data = _image_bytes(candidate.image, self._max_file_bytes)
            image = load_image(data, max_pixels=self.max_pixels, min_side=self.min_side)
        except ImageError as exc:
            return Rejection(ref, exc.reason or "unreadable", str(exc), text)
        digest = hashlib.sha256(f"{image.size}".encode() + image.tobytes()).hexdigest()
        if digest in self._seen:
            return Rejection(ref, "duplicate", f"same image as {self._seen[digest]}", text)
        self._seen[digest] = ref
        return Sample(ref, _stored_bytes(data, image), text, image.width, image.height, candidate.split)


def _image_bytes(image, max_file_bytes: int) -> bytes:
    """The encoded bytes behind a candidate's image (a path is read; PIL images and arrays become PNG)."""
    if isinstance(image, Path):
        if not image.is_file():
            raise ImageError(f"Image file not found: {image}", reason="missing_file")
        size = image.stat().st_size
        if size > max_file_bytes:
            raise ImageError(f"Image file is {size:,} bytes, more than any image within the pixel limit needs.",
                             reason="too_large")
        data = image.read_bytes()
        if not data:
            raise ImageError(f"Image file is empty (0 bytes): {image.name}", reason="empty_file")
        return data
    if isinstance(image, (bytes, bytearray)):
        if not image:
            raise ImageError("The image is empty (0 bytes).", reason="empty_file")
        return bytes(image)
    if isinstance(image, (Image.Image, np.ndarray)):
        buffer = io.BytesIO()
        (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buffer, format="PNG")
        return buffer.getvalue()
    raise ImageError("No image given for this row.", reason="missing_file")


def _stored_bytes(original: bytes, rgb: Image.Image) -> bytes:
    """Keep the original file when it already is a plain RGB PNG/JPEG (no quality loss, no size blow-up);
    otherwise store the normalised RGB image as PNG (EXIF rotation applied, alpha flattened on white)."""
    with Image.open(io.BytesIO(original)) as source:
        untouched = (source.format in _KEEP_AS_IS and source.mode == "RGB"
                     and source.getexif().get(_EXIF_ORIENTATION, 1) == 1)
    if untouched:
        return original
    buffer = io.BytesIO()
    rgb.save(buffer, format="PNG")
    return buffer.getvalue()
