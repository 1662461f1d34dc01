"""A minimal Playwright fixture for the dashboard test (Debian's chromium, never a download);
the shared fixture of tests/browser/conftest.py replaces it once both are on main."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parents[2] / "artifacts"


@pytest.fixture
async def chromium_browser() -> AsyncIterator[object]:
    """Chromium driven by Playwright (skipped where no chromium is installed)."""
    playwright_api = pytest.importorskip("playwright.async_api")
    executable = shutil.which(str(CHROMIUM)) or shutil.which("chromium")
    if not executable:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(executable), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()
