"""Fixtures for reading documents: a 3-page PDF made here with the CJK line renderer and PIL's PDF writer."""

from pathlib import Path

import pytest

#: one line of text per page, so a test can tell the pages apart
PAGE_LINES = ("第一页 发票", "第二页 合计", "第三页 日期")


def make_pdf(path: Path, lines=PAGE_LINES, page_size=(595, 842)) -> Path:
    """A PDF with one rendered CJK line per page, pages of ``page_size`` points (A4 by default)."""
    from PIL import Image

    from ocr_space.data.fonts import require_cjk_fonts
    from ocr_space.data.synth import render_line

    font = require_cjk_fonts()[0]
    pages = []
    for line in lines:
        page = Image.new("RGB", page_size, "white")
        page.paste(render_line(line, font, font_size=40), (40, 60))
        pages.append(page)
    # resolution 72 dpi: one pixel per PDF point, so the page is page_size points
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=72.0)
    return path


@pytest.fixture(scope="session")
def three_page_pdf(tmp_path_factory) -> Path:
    return make_pdf(tmp_path_factory.mktemp("pdf") / "three-pages.pdf")
