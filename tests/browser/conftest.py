"""A real browser for tests of Multaqa's web pages: Debian's Chromium driven by Playwright.

Playwright's Python wheel ships its driver; the browser is the system's `chromium` package
(the README's test command installs it), never one downloaded by `playwright install`.

    async def test_page_shows_figures(page: Page, my_server: str) -> None:
        await page.goto(my_server)
        await expect(page.get_by_text("Registrations")).to_be_visible()
        await snapshot(page, "figures")          # artifacts/<test name>-figures.png

Every test using `page` also leaves `artifacts/<test name>.png`, the page as it ended (pass
or fail), to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_path() -> str:
    """The system Chromium (CHROMIUM overrides); a clear failure when it is not installed."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(
            "Chromium is not installed: run the README's test command "
            "(apt-get install -y chromium fonts-noto-core)"
        )
    return path


def artifact_path(page: Page, name: str) -> Path:
    """Where a screenshot of the current test goes: artifacts/<test>-<name>.png."""
    test = getattr(page, "_multaqa_test_name", "page")
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{test}-{name}.png" if name else ARTIFACTS / f"{test}.png"


async def snapshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact and return its path."""
    path = artifact_path(page, name)
    await page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Chromium, one per test (each test has its own event loop)."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=chromium_path(), args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    """A fresh page (1280x800, French locale); its last state is saved as an artifact."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    new_page = await context.new_page()
    new_page._multaqa_test_name = re.sub(r"[^\w.-]+", "_", request.node.name)  # type: ignore[attr-defined]
    try:
        yield new_page
    finally:
        try:
            await snapshot(new_page, "")
        finally:
            await context.close()
