"""Open the live app in headless Debian Chromium (Playwright), as the browser tests share it."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: screenshots the browser tests leave for a person to look at
ARTIFACTS = Path(__file__).resolve().parents[2] / ".pytest_cache" / "screens"
HAVE_CHROMIUM = Path(CHROMIUM).exists()


@contextmanager
def chromium_page(url: str, height: int = 1000):
    """A page on ``url`` (loaded, Recognize tab present) with ``page.page_errors`` collecting JavaScript errors."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": height})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url, wait_until="load", timeout=90_000)
        page.get_by_role("tab", name="Recognize").wait_for(timeout=60_000)
        page.page_errors = errors
        try:
            yield page
        finally:
            browser.close()
