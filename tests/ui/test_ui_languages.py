"""The UI in the browser's language: Simplified Chinese for a zh-CN browser, English for en-US (headless Chromium)."""

import shutil
from pathlib import Path

import pytest

from ocr_space.ui.strings import STRINGS
from ocr_space.ui.strings_zh import STRINGS_ZH_CN

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / ".pytest_cache" / "screens"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian chromium is not installed (make installs it)")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


def _open(browser, url: str, locale: str, first_tab: str):
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.page_errors = []
    page.on("pageerror", lambda exc: page.page_errors.append(str(exc)))
    page.goto(url, wait_until="load", timeout=90_000)
    page.get_by_role("tab", name=first_tab).wait_for(timeout=60_000)
    return page


@pytest.mark.parametrize("locale, table", [("zh-CN", STRINGS_ZH_CN), ("en-US", STRINGS)])
def test_tabs_buttons_and_errors_follow_the_browser_language(browser, live_app, locale, table):
    page = _open(browser, live_app, locale, table["recognize.tab"])
    for tab in ("recognize.tab", "dataset.tab", "finetune.tab", "compare.tab", "share.tab"):
        assert page.get_by_role("tab", name=table[tab], exact=True).count() == 1, tab

    page.get_by_role("tab", name=table["compare.tab"], exact=True).click()
    button = page.get_by_role("button", name=table["compare.run"], exact=True)
    button.wait_for(timeout=30_000)
    page.get_by_text(table["compare.intro"][:20]).first.wait_for(timeout=10_000)  # a Markdown intro, translated too
    button.click()  # no dataset given: the handler's error comes back in the request's language
    page.get_by_text(table["compare.no_data"]).first.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / f"compare-error-{locale}.png"), full_page=True)

    other = STRINGS if table is STRINGS_ZH_CN else STRINGS_ZH_CN
    assert page.get_by_role("tab", name=other["finetune.tab"], exact=True).count() == 0
    assert page.page_errors == []
