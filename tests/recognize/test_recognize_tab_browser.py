"""The Recognize tab as a person sees it (headless Debian Chromium): boxes on the page, rendered markdown, PDFs."""

import pytest

from support.browser_page import ARTIFACTS, HAVE_CHROMIUM, chromium_page

pytestmark = pytest.mark.skipif(not HAVE_CHROMIUM, reason="Debian chromium is not installed (make installs it)")


@pytest.fixture(scope="module")
def page(live_app):
    with chromium_page(live_app, height=1200) as page:
        page.get_by_role("tab", name="Recognize").click()
        yield page


def _read(page, files, model, max_new_tokens=40):
    clear = page.locator("#recognize-files button[aria-label='Clear']")
    if clear.count():
        clear.first.click()  # the previous test's upload
    page.locator("#recognize-model textarea, #recognize-model input").first.fill(str(model))
    tokens = page.get_by_label("number input for Max new tokens")
    tokens.fill(str(max_new_tokens))
    tokens.press("Enter")
    page.locator("#recognize-files input[type=file]").set_input_files([str(path) for path in files])
    page.get_by_role("button", name="Recognize", exact=True).click()


def test_boxes_are_drawn_on_the_uploaded_image_and_the_markdown_is_rendered(page, grounded_model_dir,
                                                                            example_lines):
    _read(page, [example_lines[0]], grounded_model_dir)
    page.locator("#recognize-details", has_text="new tokens").wait_for(timeout=120_000)
    boxes = page.locator("#recognize-boxes")
    boxes.locator("img.base-image").wait_for(timeout=30_000)
    assert boxes.locator("img.mask").count() >= 1  # one overlay per box
    assert boxes.locator(".legend-item", has_text="title").count() == 1
    heading = page.locator("#recognize-markdown h1")  # "# 标题" rendered, not shown as text
    assert heading.inner_text() == "标题"
    assert "# 标题" in page.locator("#recognize-text textarea").input_value()
    assert "mode `small`" not in page.locator("#recognize-details").inner_text()  # rendered as code, not backticks
    assert "small" in page.locator("#recognize-details code").all_inner_texts()
    page.screenshot(path=str(ARTIFACTS / "recognize-boxes.png"), full_page=True)
    assert page.page_errors == []


def test_a_three_page_pdf_is_read_page_by_page_and_each_page_can_be_shown(page, tiny_model_dir, three_page_pdf):
    _read(page, [three_page_pdf], tiny_model_dir, max_new_tokens=8)
    # the downloads come when every page is read
    page.locator("#recognize-downloads").get_by_text("three-pages", exact=True).first.wait_for(timeout=180_000)
    table = page.locator("#recognize-results").inner_text()
    assert table.count("three-pages.pdf") == 3
    page.locator("#recognize-page input").click()
    options = page.get_by_role("option")
    labels = [text.replace("✓", "").strip() for text in options.all_inner_texts()]  # ✓ marks the page shown
    assert labels == [f"three-pages.pdf · page {number}" for number in (1, 2, 3)]
    page.get_by_role("option", name="three-pages.pdf · page 2").click()
    page.locator("#recognize-details", has_text="three-pages.pdf · page 2").wait_for(timeout=30_000)
    assert page.locator("#recognize-boxes img.base-image").count() == 1
    page.screenshot(path=str(ARTIFACTS / "recognize-pdf.png"), full_page=True)
    assert page.page_errors == []
