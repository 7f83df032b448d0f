"""PDF input: pages rendered near the mode's view size, page ranges, the owner's page cap; no model needed."""

import pytest

from ocr_space.config import DEFAULT_MAX_PDF_PAGES, MAX_PDF_PAGES_ENV
from ocr_space.documents import is_pdf, load_pages, page_cap, page_ranges, parse_page_range, render_pdf
from ocr_space.errors import ConfigError, ImageError
from ocr_space.models.mode_sizes import ModeSizes, mode_sizes


def test_a_pdf_is_recognised_by_its_bytes_not_its_name(three_page_pdf, example_lines, tmp_path):
    disguised = tmp_path / "scan.png"
    disguised.write_bytes(three_page_pdf.read_bytes())
    named_pdf = tmp_path / "line.pdf"
    named_pdf.write_bytes(example_lines[0].read_bytes())
    assert is_pdf(disguised) and is_pdf(three_page_pdf.read_bytes())
    assert not is_pdf(named_pdf) and not is_pdf(tmp_path / "missing.pdf")


def test_every_page_is_rendered_with_its_longer_side_at_the_target(three_page_pdf):
    pages = render_pdf(three_page_pdf, target_side=400)
    assert [page.page for page in pages] == [1, 2, 3]
    for page in pages:
        assert max(page.image.size) == 400 and page.image.size[0] < page.image.size[1]  # A4 portrait
        assert page.image.mode == "RGB" and page.source == str(three_page_pdf)


def test_pages_differ(three_page_pdf):
    first, second, _ = render_pdf(three_page_pdf, target_side=300)
    assert first.image.tobytes() != second.image.tobytes()


def test_a_page_range_picks_pages_in_order(three_page_pdf):
    assert [page.page for page in load_pages(three_page_pdf, 200, pages="3,1-2")] == [3, 1, 2]
    assert [page.page for page in load_pages(three_page_pdf.read_bytes(), 200, pages="2-")] == [2, 3]


@pytest.mark.parametrize("spec, expected", [("1-3, 5", [1, 2, 3, 5]), ("8-", [8, 9, 10]), ("-2", [1, 2]),
                                            ("2,2,1-2", [2, 1]), ("", list(range(1, 11)))])
def test_page_range_syntax(spec, expected):
    assert parse_page_range(spec, 10) == expected


@pytest.mark.parametrize("spec", ["x", "0", "3-1", "1-2-3", "-", "1;2"])
def test_malformed_page_ranges_are_config_errors(spec):
    with pytest.raises(ConfigError, match="pages"):
        page_ranges(spec)


def test_a_range_past_the_last_page_names_the_page_count(three_page_pdf):
    with pytest.raises(ConfigError, match="3 page"):
        render_pdf(three_page_pdf, 200, pages="2-5")


def test_the_owner_caps_pages_per_pdf(three_page_pdf, monkeypatch):
    monkeypatch.setenv(MAX_PDF_PAGES_ENV, "2")
    with pytest.raises(ConfigError, match=MAX_PDF_PAGES_ENV):
        render_pdf(three_page_pdf, 200)
    assert [page.page for page in render_pdf(three_page_pdf, 200, pages="2-3")] == [2, 3]


def test_page_cap_default_and_bad_values(monkeypatch):
    monkeypatch.delenv(MAX_PDF_PAGES_ENV, raising=False)
    assert page_cap() == DEFAULT_MAX_PDF_PAGES == 50
    for bad in ("none", "0"):
        monkeypatch.setenv(MAX_PDF_PAGES_ENV, bad)
        with pytest.raises(ConfigError, match="positive"):
            page_cap()


def test_a_damaged_pdf_is_an_image_error(tmp_path, three_page_pdf):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(three_page_pdf.read_bytes()[:200])
    with pytest.raises(ImageError, match="Not a readable PDF"):
        render_pdf(broken, 200)


def test_images_pass_through_as_one_page(example_lines):
    (page,) = load_pages(example_lines[0], 200)
    assert page.page is None and page.image.mode == "RGB"


def test_mode_sizes_of_the_tiny_processor(tiny_loaded):
    """The view sizes come from the processor each mode configures (the tiny one: 192-px views and tiles)."""
    family, processor = tiny_loaded.family, tiny_loaded.processor
    sizes = {name: mode_sizes(processor, family.mode(name).processor_kwargs(processor))
             for name in family.resolution_modes}
    assert sizes["small"] == ModeSizes(192, None, 0) and sizes["base"] == ModeSizes(192, None, 0)
    assert sizes["tiles"] == ModeSizes(192, 192, 6)
    assert sizes["tiles"].page_side == 3 * 192  # a portrait page gets a grid of 2 x 3 tiles
