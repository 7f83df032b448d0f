"""The UI as a person sees it: headless Chromium (Debian's) driven by Playwright against the live app."""

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / ".pytest_cache" / "screens"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian chromium is not installed (make installs it)")


@pytest.fixture(scope="module")
def page(live_app):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(live_app, wait_until="load", timeout=90_000)
        page.get_by_role("tab", name="Recognize").wait_for(timeout=60_000)
        page.page_errors = errors
        yield page
        browser.close()


def test_recognize_tab_reads_an_uploaded_image(page, example_lines):
    page.get_by_role("tab", name="Recognize").click()
    page.locator("input[type=file]").first.set_input_files(str(example_lines[0]))
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
