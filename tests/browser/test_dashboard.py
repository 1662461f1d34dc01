"""The organizers' dashboard in a real browser: sign in through the personal link, read the
figures, switch language, download an export; refused without a session, with a used link,
and once the organizer's role is gone."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from sandbox import BotApiEmulator
from storage.clock import FakeClock
from tests.browser.dashboard_fixtures import ARTIFACTS, chromium_browser  # noqa: F401
from tests.conftest import ORGANIZER_ID
from tests.harness import RunningBot, said, said_text
from tests.organizers.seed import SATURDAY, seed


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def web_bot(make_bot: Callable[..., RunningBot]) -> AsyncIterator[RunningBot]:
    """The seeded bot serving its dashboard on a free loopback port."""
    clock = FakeClock(SATURDAY)
    bot = await make_bot(clock=clock, web_port=_free_port()).start()
    await seed(bot.services, clock)
    try:
        yield bot
    finally:
        await bot.stop()


async def _sign_in_link(emulator: BotApiEmulator) -> str:
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await organizer.send("/admin")
    await said(organizer)
    await organizer.press("🖥 Dashboard")
    text = await said_text(organizer)
    assert "one use, valid 15 minutes" in text
    found = re.search(r"http://\S+/signin/\S+", text)
    assert found is not None
    return found.group(0)


async def test_sign_in_read_switch_language_download_and_refusals(
    emulator: BotApiEmulator,
    web_bot: RunningBot,
    chromium_browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    base = f"http://127.0.0.1:{web_bot.settings.web_port}"
    context = await chromium_browser.new_context(accept_downloads=True, locale="en-GB")
    page = await context.new_page()
    # No session: nothing is shown, not even a file.
    response = await page.goto(base + "/")
    assert response is not None and response.status == 401
    assert "Please sign in" in await page.inner_text("body")
    response = await page.goto(base + "/export/xlsx")
    assert response is not None and response.status == 401
    # The personal link signs in once and sets an HttpOnly, SameSite cookie.
    link = await _sign_in_link(emulator)
    # Opening the link (as a link preview would) does not use it: the button does.
    for _ in range(2):
        response = await page.goto(link)
        assert response is not None and response.status == 200
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert page.url == base + "/"
    response = await page.reload()
    assert response is not None and response.headers["cache-control"] == "no-store"
    # A strict policy (no script, the page's own style by its hash) and no software versions;
    # the page still looks as designed under it.
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["server"] == "Multaqa"
    assert await page.evaluate("getComputedStyle(document.querySelector('header')).display") == (
        "flex"
    )
    [cookie] = await context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["expires"] > 0
    assert await page.inner_text("[data-kpi=registered]") == "6"
    assert await page.inner_text("[data-kpi=checkins]") == "2"
    assert await page.inner_text("[data-kpi=waiting]") == "1"
    # Each figure's word agrees with it (not "1 recommendations", "3 مسجل").
    words = await page.eval_on_selector_all(
        "[data-kpi] + span", "els => els.map(e => e.textContent)"
    )
    assert words[:2] == ["people registered", "people checked in"]
    body = await page.inner_text("body")
    assert "Recommendations board" in body and "Un guide commun pour tous" in body
    assert "Nadia Amrani" in body  # the owner, on the organizers' board
    assert "Recommendations per workshop" in body
    charts = await page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
    assert len(charts) == 4 and all(width > 0 for width in charts)
    # Arabic: right to left, labels in Arabic.
    async with page.expect_navigation():
        await page.click("button[lang=ar]")
    assert await page.get_attribute("html", "dir") == "rtl"
    assert "لوحة التوصيات" in await page.inner_text("body")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.screenshot(path=str(ARTIFACTS / "dashboard-ar.png"), full_page=True)
    await page.set_viewport_size({"width": 390, "height": 844})  # a phone
    await page.reload()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone: no sideways scrolling of the page
    await page.screenshot(path=str(ARTIFACTS / "dashboard-ar-phone.png"))
    async with page.expect_download() as download_info:
        await page.click("a[href='/export/xlsx']")
    download = await download_info.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    assert saved.suffix == ".xlsx"
    assert load_workbook(saved).sheetnames[0] == "المشاركون"
    # A used link is refused, in another browser too.
    other = await chromium_browser.new_context(locale="fr-FR")
    stranger = await other.new_page()
    response = await stranger.goto(link)
    assert response is not None and response.status == 403
    assert "n'est plus valable" in await stranger.inner_text("body")
    await other.close()
    # A removed organizer's session ends at once.
    await web_bot.services.db.execute("DELETE FROM roles WHERE user_id = ?", (ORGANIZER_ID,))
    response = await page.goto(base + "/")
    assert response is not None and response.status == 401
    await context.close()


async def test_public_board_is_off_unless_the_event_file_says_so(
    web_bot: RunningBot,
    chromium_browser,  # noqa: F811
) -> None:
    from bot.event.file import EventDefinition

    base = f"http://127.0.0.1:{web_bot.settings.web_port}"
    page = await (await chromium_browser.new_context()).new_page()
    response = await page.goto(base + "/board")
    assert response is not None and response.status == 404
    event = await web_bot.services.event.current()
    assert event is not None
    data = event.model_dump()
    data["organizers"]["public_board"] = True
    await web_bot.services.event.load(EventDefinition.model_validate(data), None)
    response = await page.goto(base + "/board?lang=fr")
    assert response is not None and response.status == 200
    body = await page.inner_text("body")
    assert "Un guide commun pour tous" in body and "pas commencée" in body
    assert "Nadia Amrani" not in body  # no personal data on the public board
    await page.screenshot(path=str(ARTIFACTS / "board-fr.png"), full_page=True)


async def test_other_sites_cannot_sign_in_out_or_switch_language_for_the_organizer(
    emulator: BotApiEmulator, web_bot: RunningBot
) -> None:
    """Login CSRF: a page elsewhere posting a sign-in link of its owner's would sign the
    visitor in as someone else; posting /signout or /lang would act for them."""
    base = f"http://127.0.0.1:{web_bot.settings.web_port}"
    web = web_bot.services.organizers.web
    session = await web.redeem(await web.new_link(ORGANIZER_ID, "en"))
    assert session is not None
    link = await _sign_in_link(emulator)
    token = link.rsplit("/", 1)[1]
    cookies = {"multaqa_session": session}
    english = {"Accept-Language": "en"}
    async with httpx.AsyncClient(base_url=base, cookies=cookies, headers=english) as client:
        for headers in (
            {"Origin": "https://attacker.example"},
            {"Origin": "null"},
            {"Sec-Fetch-Site": "cross-site"},
            {"Origin": base, "Sec-Fetch-Site": "same-site"},
        ):
            for path in (f"/signin/{token}", "/signout", "/lang/ar"):
                refused = await client.post(path, headers=headers)
                assert refused.status_code == 403, (path, headers)
                assert "came from another site" in refused.text
        # Changing the language is not a link any more.
        assert (await client.get("/lang/ar")).status_code == 405
        assert await web.link_valid(token)  # not used up
        kept = await web.session(session)
        assert kept is not None and kept.locale == "en"  # still signed in, still English
        # From the dashboard's own page, all three work.
        own = {"Origin": base, "Sec-Fetch-Site": "same-origin"}
        switched = await client.post("/lang/ar", headers=own)
        assert switched.status_code == 302
        kept = await web.session(session)
        assert kept is not None and kept.locale == "ar"
        assert (await client.post("/signout", headers=own)).status_code == 302
        assert await web.session(session) is None
        signed_in = await client.post(f"/signin/{token}", headers=own)
        assert signed_in.status_code == 302 and "multaqa_session" in signed_in.cookies
        banner = await client.get("/nowhere")
        assert banner.headers["server"] == "Multaqa"
        assert "content-security-policy" in banner.headers
