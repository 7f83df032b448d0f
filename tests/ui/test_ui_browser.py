"""The UI as a person sees it: headless Chromium (Debian's) driven by Playwright against the live app."""

import pytest

from support.browser_page import ARTIFACTS, HAVE_CHROMIUM, chromium_page

pytestmark = pytest.mark.skipif(not HAVE_CHROMIUM, reason="Debian chromium is not installed (make installs it)")


@pytest.fixture(scope="module")
def page(live_app):
    with chromium_page(live_app) as page:
        yield page


def test_recognize_tab_reads_an_uploaded_image(page, example_lines):
    page.get_by_role("tab", name="Recognize").click()
    page.locator("input[type=file]").first.set_input_files(str(example_lines[0]))
    tokens = page.get_by_label("number input for Max new tokens")  # a random tiny model would run to the cap
    tokens.fill("32")
    tokens.press("Enter")
    page.get_by_role("button", name="Recognize", exact=True).click()
    page.locator("#recognize-details", has_text="new tokens").wait_for(timeout=60_000)
    text = page.locator("#recognize-text textarea").input_value()
    page.screenshot(path=str(ARTIFACTS / "recognize.png"), full_page=True)
    assert text.strip()
    assert page.page_errors == []


def test_a_bad_model_path_shows_a_message_not_a_traceback(page, example_lines, tmp_path):
    page.locator("#recognize-model textarea, #recognize-model input").first.fill(str(tmp_path / "no-such-model"))
    page.get_by_role("button", name="Recognize", exact=True).click()
    toast = page.get_by_text("Model folder not found")
    toast.first.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "recognize-error.png"), full_page=True)
    assert "Traceback" not in page.content()
