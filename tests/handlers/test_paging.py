"""Messages that always fit: lists that grow come in pages under Telegram's limits (the
emulator refuses more than 4,096 UTF-16 units or 100 buttons), and every item is reachable
with ◀️ ▶️. Extreme content: 2,000 recommendations, a proposal of 4,096 UTF-16 units,
60 and 120 workshops."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.event.file import parse_event_text
from bot.views.paging import Entry, cut, paged, split, utf16_len
from sandbox import BotApiEmulator, BotMessage, SimUser
from storage.clock import FakeClock
from storage.proposals import NewRecommendation
from tests.conftest import ORGANIZER_ID
from tests.handlers.test_broadcast import enrol
from tests.handlers.test_workshop_buttons import dump_yaml, load_yaml
from tests.harness import RunningBot, plain, shown

EXAMPLE = Path(__file__).parents[2] / "examples" / "study-day.yaml"
MONDAY = datetime(2019, 1, 28, 9, 0, tzinfo=UTC)
PAGE = re.compile(r"^(\d+)/(\d+)$")


def _fits(message: BotMessage) -> None:
    assert utf16_len(message.text) <= 4096
    assert len(message.labels) <= 100


async def _next_page(user: SimUser) -> BotMessage:
    """The next page: a new message, or the pressed one edited (a page of buttons only may
    keep its text); an edit that only removes buttons is not a page."""
    while True:
        message = await user.next_message(30)
        if message.kind != "edit" or message.labels:
            return message


async def every_page(user: SimUser, first: BotMessage) -> list[BotMessage]:
    """The first page, then ▶️ until the last (at a person's pace: tests/conftest.py), each
    page checked against the limits and numbered in order (`n/N` on the middle button)."""
    pages = [first]
    _fits(first)
    while "▶️" in pages[-1].labels:
        await user.press("▶️")
        page = await _next_page(user)
        _fits(page)
        pages.append(page)
    numbers = [next((m.groups() for lb in p.labels if (m := PAGE.match(lb))), None) for p in pages]
    if len(pages) > 1:
        assert numbers == [(str(i + 1), str(len(pages))) for i in range(len(pages))]
    return pages


def _event_with_workshops(count: int, description: str) -> str:
    data = load_yaml(EXAMPLE.read_text(encoding="utf-8"))
    data["workshops"] = [
        {
            "id": f"w{i:03d}",
            "title": {loc: f"Atelier {i} — {description[:20]}" for loc in ("ar", "fr", "en")},
            "description": {loc: description for loc in ("ar", "fr", "en")},
            "room": f"Salle {i}",
            "capacity": 20,
            "slot": "workshops",
        }
        for i in range(1, count + 1)
    ]
    return dump_yaml(data)


@pytest.mark.slow
async def test_2000_recommendations_page_through_all(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    await bot.services.recommendations.create_many(  # seeded in one transaction
        [
            NewRecommendation(
                None,
                f"Recommandation numéro {i} : " + "former & accompagner " * 5,
                "fr",
                None,
                None,
            )
            for i in range(1, 2001)
        ],
        None,
    )
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await organizer.send("/admin")
    await shown(organizer)
    await organizer.press("📌 Recommendations")
    pages = await every_page(organizer, await shown(organizer, timeout=30))
    assert len(pages) > 20
    refs = [int(n) for p in pages for n in re.findall(r"\bR-(\d+)\b", plain(p.text))]
    assert sorted(set(refs)) == list(range(1, 2001))
    opened = {lb for p in pages for lb in p.labels if lb.startswith("✏️")}
    assert len(opened) == 2000
    await organizer.press("◀️")  # and back
    _fits(await shown(organizer, timeout=30))


async def test_a_proposal_of_4096_utf16_units_is_cut_on_its_card_and_sent_whole(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    author = emulator.user(first_name="Long", language_code="en")
    await enrol(bot, author, "en", "central")
    text = "😀" * 2048  # 4,096 UTF-16 units: the longest message Telegram accepts
    await author.send(text)
    await shown(author)
    await author.press("💡 General (not tied to a workshop)")
    await shown(author)
    proposal = await bot.services.proposals.get(1)
    assert proposal is not None and proposal.text == text
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await organizer.send("/admin")
    await shown(organizer)
    await organizer.press("🗂 Proposals")
    await shown(organizer)
    await organizer.press("All themes")
    document = await shown(organizer)
    assert document.kind == "document" and document.document["file_name"] == "P-0001.txt"
    assert emulator.files.get(document.document["file_id"]).data.decode("utf-8") == text
    card = await shown(organizer)
    _fits(card)
    assert "P-0001 (1/1)" in plain(card.text)
    assert "✂️" in card.text and "😀" * 100 in card.text
    assert "✅ Accept" in card.labels  # the queue goes on: the card was sent


async def test_60_workshops_every_one_reachable_in_workshops_agenda_and_review(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    bot = await make_bot(clock=FakeClock(MONDAY)).start()
    try:
        description = "Une description longue et détaillée de l'atelier. " * 6
        await bot.services.event.load(
            parse_event_text(_event_with_workshops(60, description)), None
        )
        user = emulator.user(first_name="Many", language_code="fr")
        await enrol(bot, user, "fr", "central")
        await user.send("/workshops")
        pages = await every_page(user, await shown(user))
        assert len(pages) > 1
        labels = [lb for p in pages for lb in p.labels if lb.startswith("➕")]
        assert labels == [f"➕ S'inscrire à l'atelier {i}" for i in range(1, 61)]
        await user.press("➕ S'inscrire à l'atelier 60")  # on the last page
        assert "Atelier 60" in plain((await shown(user)).text)
        assert [s.workshop_id for s in await bot.services.signups.seats_of(user.id)] == ["w060"]

        newcomer = emulator.user(first_name="Agenda", language_code="fr")
        await enrol(bot, newcomer, "fr", "central")
        await newcomer.send("/agenda")
        pages = await every_page(newcomer, await shown(newcomer))
        agenda = "\n".join(plain(p.text) for p in pages)
        assert all(f"Salle {i}" in agenda for i in range(1, 61))

        organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Dir", language_code="fr")
        await organizer.send("/admin")
        await shown(organizer)
        await organizer.press("🗂 Propositions")
        menu = await shown(organizer)
        _fits(menu)
        themes = [lb for p in await every_page(organizer, menu) for lb in p.labels]
        assert all(any(f"Atelier {i} " in lb for lb in themes) for i in range(1, 61))
    finally:
        await bot.stop()


async def test_120_workshops_as_broadcast_audiences_and_proposal_themes(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    bot = await make_bot(clock=FakeClock(MONDAY)).start()
    try:
        await bot.services.event.load(parse_event_text(_event_with_workshops(120, "Court.")), None)
        organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Dir", language_code="en")
        await organizer.send("/admin")
        await shown(organizer)
        await organizer.press("📣 Broadcast a message")
        await shown(organizer)
        await organizer.send("Hello")
        await shown(organizer)
        await organizer.press("➡️ Continue")
        await shown(organizer)
        await organizer.press("By workshop…")
        pages = await every_page(organizer, await shown(organizer))
        assert len(pages) == 2
        names = [lb for p in pages for lb in p.labels if lb.startswith("Atelier")]
        assert len(names) == 120
        await organizer.press(names[-1])  # the last one, on the last page
        preview = await shown(organizer)
        while "Send now" not in " ".join(preview.labels):
            preview = await shown(organizer)
        assert "Atelier 120" in plain(preview.text)

        author = emulator.user(first_name="Idea", language_code="fr")
        await enrol(bot, author, "fr", "central")
        await author.send("Ouvrir les centres le samedi")
        pages = await every_page(author, await shown(author))
        assert "Enregistrer ce message" in plain(pages[0].text) and len(pages) == 2
        themes = [lb for p in pages for lb in p.labels if lb.startswith("Atelier")]
        assert len(themes) == 120
        await author.press(themes[-1])
        assert "P-0001" in plain((await shown(author)).text)
        proposal = await bot.services.proposals.get(1)
        assert proposal is not None and proposal.theme == "w120"
    finally:
        await bot.stop()


def test_cut_counts_as_telegram_counts() -> None:
    assert cut("😀" * 10, 9, "…") == "😀" * 4 + "…"  # 4 × 2 units + 1
    assert utf16_len(cut("a" * 5000, 4096)) == 4096
    assert cut("short", 10) == "short"


def test_pages_hold_every_entry_once_within_the_limits() -> None:
    entries = [Entry(f"line {i} " + "é" * (i % 300), [[(f"b{i}", f"x:{i}")]]) for i in range(500)]
    ranges = split(entries, fixed_text=100, fixed_buttons=2)
    assert [i for r in ranges for i in r] == list(range(500))
    for r in ranges:
        assert sum(utf16_len(entries[i].text) + 2 for i in r) <= 4096 - 100
        assert len(r) <= 100 - 2 - 3
    last = paged(entries, 10_000, lambda n: f"p:{n}", header="H")
    assert last.number == last.count - 1 and last.rows[-1][-1] == (
        f"{last.count}/{last.count}",
        f"p:{last.count - 1}",
    )


async def test_150_regions_in_registration_every_one_reachable(
    emulator: BotApiEmulator, make_bot: Callable[..., RunningBot]
) -> None:
    data = load_yaml(EXAMPLE.read_text(encoding="utf-8"))
    data["regions"] = [
        {"code": f"r{i:03d}", "title": {loc: f"Province {i}" for loc in ("ar", "fr", "en")}}
        for i in range(1, 151)
    ]
    bot = await make_bot(clock=FakeClock(MONDAY)).start()
    try:
        await bot.services.event.load(parse_event_text(dump_yaml(data)), None)
        user = emulator.user(first_name="Nour", language_code="en")
        await user.send("/start")
        await shown(user)
        await user.press("English")
        await shown(user)
        await user.press("✅ I agree")
        await shown(user)
        await user.send("Nour Benali")
        await shown(user)
        await user.press("Inspector")
        pages = await every_page(user, await shown(user))
        assert len(pages) == 2 and "region" in plain(pages[0].text)
        names = [lb for p in pages for lb in p.labels if lb.startswith("Province")]
        assert sorted(names) == sorted(f"Province {i}" for i in range(1, 151))
        await user.press("Province 150")
        assert "unit, centre or delegation" in plain((await shown(user)).text)
        draft = await bot.services.drafts.get(user.id, "registration")
        assert draft is not None and draft.data["region_code"] == "r150"
    finally:
        await bot.stop()


def test_an_entry_too_long_for_any_page_is_cut_as_plain_text() -> None:
    huge = Entry("<b>Title</b> " + "R&amp;D " * 2000, [[("Join", "ws:join:x")]])
    view = paged([Entry("short"), huge, Entry("after")], 0, lambda n: f"p:{n}", header="H")
    texts = [
        paged([Entry("short"), huge, Entry("after")], n, lambda n: f"p:{n}", header="H").text
        for n in range(view.count)
    ]
    assert all(utf16_len(text) <= 4096 for text in texts)
    assert any("Title R&amp;D R&amp;D" in text and text.endswith("…") for text in texts)
    assert any(text.endswith("after") for text in texts)


async def test_mine_with_300_proposals_pages_through_all(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    author = emulator.user(first_name="Prolific", language_code="en")
    await enrol(bot, author, "en", "central")
    for i in range(1, 301):
        await bot.services.proposals.create(author.id, "general", f"Idea {i}: " + "x" * 150, [])
    await author.send("/mine")
    pages = await every_page(author, await shown(author))
    assert len(pages) > 3  # before, only the first 20 were shown
    refs = {int(n) for p in pages for n in re.findall(r"\bP-(\d+)\b", plain(p.text))}
    assert refs == set(range(1, 301))
    withdraw = [lb for p in pages for lb in p.labels if "P-" in lb]
    assert len(withdraw) == 300
