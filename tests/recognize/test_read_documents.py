"""recognize_batch on images and PDFs with the tiny model: one result per page, in order, JSON-ready."""

import json

import pytest

from ocr_space.errors import ImageError
from ocr_space.recognize import page_side, recognize, recognize_batch


def test_a_pdf_gives_one_result_per_page_after_the_images_before_it(tiny_loaded, example_lines, three_page_pdf):
    results = recognize_batch(tiny_loaded, [example_lines[0], three_page_pdf], max_new_tokens=6, batch_size=3)
    assert [(r.source, r.page) for r in results] == [(str(example_lines[0]), None)] + [
        (str(three_page_pdf), page) for page in (1, 2, 3)]
    for result in results:
        assert result.new_tokens > 0 and result.seconds > 0 and isinstance(result.text, str)
        json.dumps(result.as_dict())  # JSON-ready, no pixels inside


def test_pdf_pages_are_rendered_for_the_mode_that_reads_them(tiny_loaded, three_page_pdf):
    for mode in ("small", "tiles"):
        (first,) = recognize_batch(tiny_loaded, [three_page_pdf], max_new_tokens=2, mode=mode, pages="1")
        assert max(first.image.size) == page_side(tiny_loaded, mode)
        assert first.mode == mode
    assert page_side(tiny_loaded, "tiles") > page_side(tiny_loaded, "small")


def test_a_page_range_reads_only_those_pages(tiny_loaded, three_page_pdf):
    results = recognize_batch(tiny_loaded, [three_page_pdf], max_new_tokens=2, pages="2-3")
    assert [r.page for r in results] == [2, 3]


def test_without_an_adapter_the_family_default_mode_reads(tiny_loaded, example_lines):
    assert recognize(tiny_loaded, example_lines[0], max_new_tokens=2).mode == tiny_loaded.family.default_mode


def test_recognize_refuses_a_multi_page_pdf_and_points_to_the_batch_call(tiny_loaded, three_page_pdf):
    with pytest.raises(ImageError, match="recognize_batch"):
        recognize(tiny_loaded, three_page_pdf, max_new_tokens=2)
