"""The sandbox's web chat in a real browser: a person registers in Arabic, an organizer
broadcasts from the next pane, and the clock is moved to the morning of the event."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Locator, Page, expect

from bot.cli.event import check_file
from bot.cli.sandbox import DEFAULT_EVENT, PERSONAS, SandboxClock, add_personas, rehearsal_offset
from sandbox import BotApiEmulator
from storage.clock import OffsetClock
from tests.browser.conftest import snapshot
from tests.harness import RunningBot, settings_for

ORGANIZER = next(p for p in PERSONAS if p.role == "organizer")


@dataclass
class WebChat:
    """A sandbox as `multaqa sandbox` builds it, on a free port, with the bot running."""

    url: str
    emulator: BotApiEmulator
    bot: RunningBot


@pytest.fixture
async def web_chat(tmp_path: Path) -> AsyncIterator[WebChat]:
    definition, problems = check_file(DEFAULT_EVENT)
    assert definition is not None, problems
    emu = BotApiEmulator()
    await emu.start()
    add_personas(emu)
    clock = OffsetClock(rehearsal_offset(definition, datetime.now(definition.zone)))
    emu.clock = lambda: clock.now().timestamp()
    settings = settings_for(
        emu,
        tmp_path / "sandbox.db",
        organizer_ids=[ORGANIZER.user_id],
        event_file=DEFAULT_EVENT,
    )
    bot = await RunningBot(settings, clock).start()
    emu.clock_control = SandboxClock(clock, bot.services, definition.zone)
    try:
        yield WebChat(emu.url, emu, bot)
    finally:
        await bot.stop()
        await emu.stop()


async def say(pane: Locator, text: str) -> None:
    """Type a message in a pane and send it with Enter."""
    box = pane.locator("input.text")
    await box.fill(text)
    await box.press("Enter")


def last_bot_message(pane: Locator) -> Locator:
    return pane.locator(".msg.bot").last


async def next_reminder(page: Page) -> dict:  # type: ignore[type-arg]
    """Press "Next reminder"; the clock's answer comes once the due rows are sent and settled."""
    async with page.expect_response(
        lambda r: r.url.endswith("/sandbox/clock") and r.request.method == "POST"
    ) as moved:
        await page.locator("#clock-next").click()
    return await (await moved.value).json()


async def tap(pane: Locator, label: str) -> None:
    """Tap the inline button with this label on the newest message showing it."""
    await pane.locator(".inline-kb button", has_text=label).last.click()


async def test_register_in_arabic_broadcast_and_morning_reminder(
    page: Page, web_chat: WebChat
) -> None:
    await page.goto(web_chat.url)
    amina = page.locator(".pane").nth(0)
    await expect(amina.locator(".personas button.active")).to_contain_text("Amina")
    await expect(page.locator("#clock-now")).to_contain_text("2019-01-29 09:00")

    # Registration in Arabic, through the page.
    await say(amina, "/start")
    await expect(last_bot_message(amina)).to_contain_text("ملتقى")
    await tap(amina, "العربية")
    await expect(last_bot_message(amina)).to_contain_text("قبل البدء")
    await tap(amina, "✅ أوافق")
    await expect(last_bot_message(amina)).to_contain_text("اسمكم الكامل")
    await say(amina, "فاطمة الزهراء الإدريسي")
    await tap(amina, "مفتش(ة)")
    await tap(amina, "سوس - ماسة")
    await expect(last_bot_message(amina)).to_contain_text("وحدتكم")
    await say(amina, "مندوبية خريبكة")
    # The phone question comes with a reply keyboard: share the contact from it.
    contact = amina.locator(".keyboard button", has_text="📞")
    await expect(contact).to_be_visible()
    await contact.click()
    await expect(last_bot_message(amina)).to_contain_text("المرجو التحقق من معلوماتكم")
    summary = last_bot_message(amina)
    await expect(summary).to_contain_text("فاطمة الزهراء الإدريسي")
    await snapshot(page, "summary")
    await tap(amina, "✅ تأكيد")
    await expect(amina.locator(".msg.bot", has_text="تم تسجيلكم")).to_be_visible()
    # Registering planned the reminders: the clock bar shows the next one at once.
    await expect(page.locator("#clock-due")).to_contain_text("day-before reminder", timeout=2000)
    participant = await web_chat.bot.services.participants.get(PERSONAS[0].user_id)
    assert participant is not None and participant.full_name == "فاطمة الزهراء الإدريسي"
    assert participant.phone is not None and participant.region_code == "souss_massa"

    # Arabic paragraphs read right to left, in the browser's own layout.
    paragraph = amina.locator(".msg.bot p", has_text="تم تسجيلكم").first
    assert await paragraph.evaluate("p => getComputedStyle(p).direction") == "rtl"
    # Its text starts at the right edge of the bubble (measured on the rendered glyphs).
    gap = await paragraph.evaluate(
        """p => { const r = document.createRange(); r.selectNodeContents(p);
                  return p.getBoundingClientRect().right - r.getBoundingClientRect().right; }"""
    )
    assert abs(gap) < 2
    typed = amina.locator(".msg.me p", has_text="مندوبية خريبكة")
    assert await typed.evaluate("p => getComputedStyle(p).direction") == "rtl"

    # The organizer, side by side, broadcasts; it arrives in Amina's chat.
    await page.locator("#split").check()
    nadia = page.locator(".pane").nth(1)
    await expect(nadia.locator(".personas button.active")).to_contain_text(ORGANIZER.name)
    await say(nadia, "/admin")
    await tap(nadia, "📣 Diffuser un message")
    await expect(last_bot_message(nadia)).to_be_visible()
    announcement = "Rappel : la plénière d'ouverture commence à 08:30, salle Atlas."
    await say(nadia, announcement)
    await tap(nadia, "➡️ Continuer")
    await tap(nadia, "Tout le monde (1)")
    await tap(nadia, "✅ Envoyer maintenant")
    await expect(amina.locator(".msg.bot", has_text="salle Atlas")).to_be_visible(timeout=15_000)
    await snapshot(page, "broadcast")

    # Back to one pane: the organizer's chat can also be opened from the persona tabs.
    await page.locator("#split").uncheck()
    await amina.locator(".personas button", has_text=ORGANIZER.name).click()
    await expect(amina.locator(".msg.me", has_text="salle Atlas")).to_be_visible()
    await amina.locator(".personas button", has_text="Amina").click()

    # The clock: the day-before reminder at 18:00, then the morning agenda at 07:30.
    await expect(page.locator("#clock-due")).to_contain_text("day-before reminder")
    assert (await next_reminder(page))["reached"] == "day_before"
    await expect(page.locator("#clock-now")).to_contain_text("2019-01-29 18:00")
    # In between, at 19:00, the organizer's daily summary (registration is still open).
    await expect(page.locator("#clock-due")).to_contain_text(
        "organizers' daily summary at 2019-01-29 19:00"
    )
    assert (await next_reminder(page))["reached"] == "daily_summary"
    await expect(page.locator("#clock-due")).to_contain_text("morning agenda at 2019-01-30 07:30")
    before = await amina.locator(".msg.bot").count()
    assert (await next_reminder(page))["reached"] == "morning_agenda"
    await expect(page.locator("#clock-now")).to_contain_text("2019-01-30 07:30")
    await expect(amina.locator(".msg.bot")).to_have_count(before + 1)
    morning = last_bot_message(amina)
    await expect(morning).to_contain_text("08:30")
    await morning.scroll_into_view_if_needed()
    await snapshot(page, "morning")
    prompts = await web_chat.bot.services.prompts.of_user(PERSONAS[0].user_id)
    states = {key.split(":")[0]: state for key, state, _ in prompts}
    assert states.get("day_before") == "sent" and states.get("morning") == "sent", prompts


async def test_files_blocking_and_faults_from_the_page(
    page: Page, web_chat: WebChat, tmp_path: Path
) -> None:
    await page.goto(web_chat.url)
    pane = page.locator(".pane").nth(0)
    await pane.locator(".personas button", has_text="Karim").click()
    await say(pane, "/start")
    await expect(last_bot_message(pane)).to_contain_text("Choisissez votre langue")

    # A document chosen on the page reaches the bot, and shows as a file in the chat.
    table = tmp_path / "recommandations.csv"
    table.write_text("atelier,texte\nws1,Renforcer les partenariats\n", encoding="utf-8")
    before = await pane.locator(".msg.bot").count()
    await pane.locator("input.file").set_input_files(str(table))
    sent = pane.locator(".msg.me .doc", has_text="recommandations.csv")
    await expect(sent).to_be_visible()
    await expect(pane.locator(".msg.bot").nth(before)).to_be_visible()  # the bot answered it
    href = await sent.get_attribute("href")
    async with httpx.AsyncClient(base_url=web_chat.url) as http:
        assert (await http.get(str(href))).text.startswith("atelier,texte")

        # Blocking the bot as Karim: the bot is told, the chat says so, unblocking undoes it.
        await pane.locator("button.block").click()
        await expect(pane.locator(".blocked-banner")).to_be_visible()
        karim = next(p for p in PERSONAS if p.name == "Karim").user_id
        assert (await http.get("/sandbox/block")).json() == {"blocked": [karim]}
        await snapshot(page, "blocked")
        await pane.locator("button.unblock").click()
        await expect(pane.locator(".blocked-banner")).to_be_hidden()
        assert (await http.get("/sandbox/block")).json() == {"blocked": []}

        # Faults: flood limits, server errors and timeouts switched from the panel.
        await page.locator("#faults-toggle").click()
        await page.locator("#flood").check()
        await expect(page.locator("#faults-status")).to_contain_text("429 answered: 0")
        assert (await http.get("/sandbox/flood")).json()["enabled"] is True
        await page.locator("#errors").select_option("0.3")
        await page.locator("#timeouts").select_option("0.1")
        await expect(page.locator("#faults-status")).to_contain_text("faults hit")
        random = (await http.get("/sandbox/faults")).json()["random"]
        assert random["error"]["rate"] == 0.3 and random["timeout"]["rate"] == 0.1
        await snapshot(page, "faults")
        await page.locator("#faults-clear").click()
        await expect(page.locator("#flood")).not_to_be_checked()
        assert (await http.get("/sandbox/faults")).json()["random"] == {}
        assert (await http.get("/sandbox/flood")).json()["enabled"] is False


async def test_the_clock_bar_names_the_follow_up_rows_in_words(
    page: Page, web_chat: WebChat
) -> None:
    """A recommendation with an owner brings follow-up prompts, escalations and weekly
    summaries: the bar says what they are, never the row's code (`weekly_summary`)."""
    from datetime import date

    from storage.participants import ProfileFields

    services = web_chat.bot.services
    delegate = next(p for p in PERSONAS if p.role == "delegate")
    await services.participants.save_profile(
        delegate.user_id,
        delegate.user_id,
        ProfileFields("ar", services.clock.now(), "يوسف", "inspector", None, "oriental", "U", None),
    )
    rec_id = await services.recommendations.create(
        "partnerships", "Signer des conventions", "fr", None, date(2019, 2, 15), ORGANIZER.user_id
    )
    assert await services.followup.assign(rec_id, delegate.user_id, ORGANIZER.user_id)
    await page.goto(web_chat.url)
    seen = set()
    for _ in range(12):
        reached = (await next_reminder(page)).get("reached")
        if reached is None:  # nothing left to reach
            break
        seen.add(reached)
        await expect(page.locator("#clock-due")).not_to_have_text("")
        due = await page.locator("#clock-due").inner_text()
        assert "_" not in due and " followup " not in due, due
    assert {"followup", "escalation", "weekly_summary"} <= seen, seen


async def test_the_top_bar_wraps_on_a_narrow_window_instead_of_hiding_anything(
    page: Page, web_chat: WebChat
) -> None:
    """At 900 px (a laptop's half screen) every control of the bar stays whole and apart, and
    the next due row is read to its end (it used to overlap the buttons, then be cut)."""
    await page.set_viewport_size({"width": 900, "height": 700})
    await page.goto(web_chat.url)
    await expect(page.locator("#clock-due")).not_to_have_text("")
    boxes = await page.eval_on_selector_all(
        ".topbar button, .topbar label, #clock-now, #clock-due, .brand",
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return [r.left, r.top, r.right, r.bottom, e.scrollWidth <= e.clientWidth + 1]; })",
    )
    for box in boxes:
        assert box[4], box  # nothing cut
        assert box[2] <= 900, box  # nothing beyond the window
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, (a, b)
