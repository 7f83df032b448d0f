"""Turn what the user hands Recognize (an image, or a PDF) into the pages the model reads.

Most real documents are PDFs. A PDF is rendered page by page with
``pypdfium2`` (PDFium, permissively licensed, ships its own binary) at the
scale that makes each page's longer side about ``target_side`` pixels: the
size the chosen resolution mode looks at, so no detail is rendered only to be
thrown away by the processor, and none is missing. A page range picks pages;
the owner's page cap (``$OCR_SPACE_MAX_PDF_PAGES``) refuses longer requests
with a message instead of silently reading part of a book.

Everything else goes through :func:`ocr_space.images.load_image`, so an image
is refused here with the same words as everywhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ocr_space.errors import ConfigError, ImageError
from ocr_space.images import ImageInput, load_image

PDF_MAGIC = b"%PDF-"
#: PDF user-space units per inch: a page of W points is W / 72 inches wide
POINTS_PER_INCH = 72
#: renders never exceed this resolution, whatever the mode asks (a poster-sized page would be a bomb)
MAX_RENDER_DPI = 300


@dataclass(frozen=True)
class Page:
    """One image to read: a whole image file, or one rendered PDF page (``page`` is 1-based, None for images)."""

    source: str
    page: int | None
    image: Image.Image


def is_pdf(source: ImageInput) -> bool:
    """True for PDF bytes or a path to a PDF file, judged by the file's first bytes (not its name).

    >>> is_pdf(b"%PDF-1.4 ...")
    True
    >>> is_pdf("examples/lines/line_000.png")
    False
    """
    if isinstance(source, (bytes, bytearray)):
        return bytes(source[:len(PDF_MAGIC)]) == PDF_MAGIC
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            return False
        with path.open("rb") as handle:
            return handle.read(len(PDF_MAGIC)) == PDF_MAGIC
    return False


def page_ranges(spec: str | None) -> list[tuple[int, int | None]]:
    """The ``(first, last)`` pairs ``spec`` writes (``last`` None = to the end); checks the syntax only.

    >>> page_ranges("1-3, 5, 8-")
    [(1, 3), (5, 5), (8, None)]
    >>> page_ranges("")
    []
    """
    if spec is None or not str(spec).strip():
        return []
    ranges: list[tuple[int, int | None]] = []
    for part in str(spec).split(","):
        part = part.strip()
        match = re.fullmatch(r"(\d*)\s*-\s*(\d*)|(\d+)", part)
        if not match or part == "-":
            raise ConfigError(f"pages: {part!r} is not a page or a range; write e.g. '1-3,5' or '8-'.")
        if match.group(3):
            first, last = int(match.group(3)), int(match.group(3))
        else:
            first, last = int(match.group(1) or 1), int(match.group(2)) if match.group(2) else None
        if first < 1 or (last is not None and last < first):
            raise ConfigError(f"pages: {part!r} is not a valid range (pages count from 1, first <= last).")
        ranges.append((first, last))
    return ranges


def parse_page_range(spec: str | None, page_count: int) -> list[int]:
    """1-based page numbers that ``spec`` names, in order, without repeats; empty/None = all pages.

    ``spec`` is a comma-separated list of pages and ranges; an open end runs to the last page.

    >>> parse_page_range("1-3, 5", 10)
    [1, 2, 3, 5]
    >>> parse_page_range("8-", 10)
    [8, 9, 10]
    >>> parse_page_range(None, 3)
    [1, 2, 3]
    """
    ranges = page_ranges(spec)
    if not ranges:
        return list(range(1, page_count + 1))
    pages: list[int] = []
    for first, last in ranges:
        last = page_count if last is None else last
        if first > page_count or last > page_count:
            raise ConfigError(f"pages: {first}-{last} goes past the last page; the document has {page_count} "
                              "page(s).")
        pages.extend(page for page in range(first, last + 1) if page not in pages)
    return pages


def render_scale(page_width_pt: float, page_height_pt: float, target_side: int) -> float:
    """PDFium's scale (pixels per point) that makes the page's longer side ``target_side`` pixels, at most 300 dpi.

    >>> round(render_scale(595, 842, 1024), 3)  # an A4 page to a 1024-px view
    1.216
    >>> render_scale(595, 842, 10_000) == 300 / 72
    True
    """
    if target_side < 1:
        raise ConfigError(f"target_side must be at least 1 pixel; got {target_side}.")
    scale = target_side / max(page_width_pt, page_height_pt, 1.0)
    return min(scale, MAX_RENDER_DPI / POINTS_PER_INCH)


def pdf_page_count(source: str | Path | bytes) -> int:
    """How many pages the PDF has (a broken PDF is an :class:`ImageError`)."""
    document = _open_pdf(source, _label(source))
    try:
        return len(document)
    finally:
        document.close()


def render_pdf(source: str | Path | bytes, target_side: int, pages: str | None = None,
               max_pages: int | None = None) -> list[Page]:
    """The PDF's pages named by ``pages`` (default all) as RGB images whose longer side is about ``target_side``.

    ``max_pages`` defaults to the owner's cap (:func:`page_cap`); asking for more
    pages than that is a :class:`ConfigError` that says how to ask for fewer.

    >>> [p.page for p in render_pdf("report.pdf", 1024, pages="2-3")]  # doctest: +SKIP
    [2, 3]
    """
    from ocr_space.config import MAX_PDF_PAGES_ENV

    label = _label(source)
    cap = page_cap() if max_pages is None else max_pages
    document = _open_pdf(source, label)
    try:
        numbers = parse_page_range(pages, len(document))
        if not numbers:
            raise ImageError(f"{label} has no pages.", reason="empty_file")
        if len(numbers) > cap:
            raise ConfigError(f"{label}: {len(numbers)} pages asked for, above the limit of {cap} per PDF; choose "
                              f"a page range (e.g. pages 1-{cap}) or raise {MAX_PDF_PAGES_ENV}.")
        rendered = []
        for number in numbers:
            page = document[number - 1]
            try:
                width, height = page.get_size()
                bitmap = page.render(scale=render_scale(width, height, target_side))
                image = bitmap.to_pil().convert("RGB")
            except Exception as exc:  # noqa: BLE001 - PDFium raises its own types for damaged pages
                raise ImageError(f"{label}: page {number} could not be rendered ({exc}).",
                                 reason="unreadable") from exc
            finally:
                page.close()
            rendered.append(Page(source=label, page=number, image=load_image(image)))
        return rendered
    finally:
        document.close()


def page_cap() -> int:
    """The owner's cap on pages per PDF (``$OCR_SPACE_MAX_PDF_PAGES``, default 50); a bad value is a ConfigError."""
    from ocr_space.config import max_pdf_pages

    try:
        return max_pdf_pages()
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def load_pages(source: ImageInput, target_side: int, pages: str | None = None,
               max_pages: int | None = None) -> list[Page]:
    """One :class:`Page` for an image, one per chosen page for a PDF (see :func:`render_pdf`).

    >>> [p.page for p in load_pages("examples/lines/line_000.png", 768)]
    [None]
    """
    if is_pdf(source):
        return render_pdf(source, target_side, pages=pages, max_pages=max_pages)  # type: ignore[arg-type]
    return [Page(source=_label(source), page=None, image=load_image(source))]


def _label(source: ImageInput) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    if isinstance(source, (bytes, bytearray)):
        return "the uploaded PDF" if is_pdf(source) else "the uploaded image"
    return "the image"


def _open_pdf(source: str | Path | bytes, label: str):
    import pypdfium2

    if isinstance(source, (str, Path)) and not Path(source).is_file():
        raise ImageError(f"File not found: {source}", reason="missing_file")
    try:
        return pypdfium2.PdfDocument(bytes(source) if isinstance(source, bytearray) else source)
    except pypdfium2.PdfiumError as exc:
        raise ImageError(f"Not a readable PDF: {label} ({exc}); is it damaged or password-protected?",
                         reason="unreadable") from exc
