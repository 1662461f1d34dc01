"""The emulator's control API over plain HTTP: what the web chat and `curl` use to act as
people, read their chats, and switch faults, flood limits and the bot's clock."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import telegram
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import Forbidden, NetworkError, RetryAfter

from bot.cli.sandbox import SandboxClock
from sandbox import BotApiEmulator
from storage.clock import FakeClock, OffsetClock
from tests.harness import RunningBot, settings_for

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[telegram.Bot]:
    client = telegram.Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url)
    async with client:
        yield client


@pytest.fixture
async def http(emu: BotApiEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=emu.url) as client:
        yield client


class Poller:
    """The bot's side: getUpdates with offset bookkeeping."""

    def __init__(self, bot: telegram.Bot) -> None:
        self.bot = bot
        self.offset = 0

    async def one(self) -> Update:
        batch = await self.bot.get_updates(offset=self.offset, timeout=0)
        assert len(batch) == 1, batch
        self.offset = batch[-1].update_id + 1
        return batch[0]


async def test_answers_are_readable_utf8_json(emu: BotApiEmulator, bot, http) -> None:
    await http.post("/sandbox/users/42/send", json={"text": "/start", "language_code": "ar"})
    await bot.send_message(42, "<b>مرحبا</b> بكم", parse_mode="HTML")
    response = await http.get("/sandbox/users/42/messages")
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert "مرحبا بكم" in response.text and "\\u" not in response.text
    assert response.json()[0]["text"] == "مرحبا بكم"
    chat = (await http.get("/sandbox/users/42/chat")).json()
    assert [m["html"] for m in chat["messages"]] == [
        '<p dir="auto"><span class="command">/start</span></p>',
        '<p dir="auto"><b>مرحبا</b> بكم</p>',
    ]


async def test_people_send_every_kind_of_message(emu: BotApiEmulator, bot, http) -> None:
    poller = Poller(bot)
    sends = [
        {"text": "Bonjour", "first_name": "Web"},
        {"sticker": "🎉"},
        {"contact": "own"},
        {"contact": {"phone_number": "+212600000001", "first_name": "Samira"}},
        {"location": {"latitude": 34.02, "longitude": -6.84}},
        {"photo": {"content_base64": base64.b64encode(PNG).decode(), "caption": "صورة"}},
        {
            "document": {
                "file_name": "توصيات.csv",
                "mime_type": "text/csv",
                "content_base64": base64.b64encode("ورشة,نص\n".encode()).decode(),
            }
        },
        {"voice": {"content_base64": base64.b64encode(b"OggS-voice").decode()}},
    ]
    updates = []
    for body in sends:
        response = await http.post("/sandbox/users/77/send", json=body)
        assert response.status_code == 200, response.text
        updates.append((await poller.one()).message)
    text, sticker, own, other, location, photo, document, voice = updates
    assert text.text == "Bonjour" and text.from_user.first_name == "Web"
    assert sticker.sticker.emoji == "🎉"
    assert own.contact.user_id == 77 and own.contact.phone_number
    assert other.contact.phone_number == "+212600000001" and other.contact.user_id is None
    assert (location.location.latitude, location.location.longitude) == (34.02, -6.84)
    assert photo.caption == "صورة"
    assert bytes(await (await photo.photo[-1].get_file()).download_as_bytearray()) == PNG
    assert document.document.file_name == "توصيات.csv"
    got = await (await document.document.get_file()).download_as_bytearray()
    assert bytes(got).decode() == "ورشة,نص\n"
    assert bytes(await (await voice.voice.get_file()).download_as_bytearray()) == b"OggS-voice"

    # The page uploads with a multipart form (a browser names the page's origin); the file is
    # then served for the page to show.
    form = {"kind": "document", "caption": "le programme"}
    files = {"file": ("programme.pdf", b"%PDF-1.4 test", "application/pdf")}
    page = {"Origin": emu.url}
    sent = await http.post("/sandbox/users/77/send", data=form, files=files, headers=page)
    assert sent.status_code == 200
    uploaded = (await poller.one()).message
    assert uploaded.document.file_name == "programme.pdf" and uploaded.caption == "le programme"
    chat = (await http.get("/sandbox/users/77/chat")).json()
    shown = chat["messages"][-1]["media"]
    assert shown["type"] == "document" and shown["file_name"] == "programme.pdf"
    served = await http.get(shown["url"])
    assert served.content == b"%PDF-1.4 test"
    assert served.headers["content-disposition"] == "attachment; filename*=UTF-8''programme.pdf"

    nothing = await http.post("/sandbox/users/77/send", json={"gif": "x"})
    assert nothing.status_code == 400 and "text, sticker, contact" in nothing.json()["description"]


async def test_buttons_of_older_messages_and_the_reply_keyboard(
    emu: BotApiEmulator, bot, http
) -> None:
    poller = Poller(bot)
    await http.post("/sandbox/users/5/send", json={"text": "/start"})
    await poller.one()
    old = await bot.send_message(
        5,
        "Langue ?",
        reply_markup=InlineKeyboardMarkup(
            [
                [InlineKeyboardButton("العربية", callback_data="lang:ar")],
                [InlineKeyboardButton("Français", callback_data="lang:fr")],
            ]
        ),
    )
    await bot.send_message(
        5,
        "Newer",
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("Français", callback_data="new")]]
        ),
    )
    by_position = await http.post(
        "/sandbox/users/5/press", json={"message_id": old.message_id, "row": 1, "column": 0}
    )
    assert by_position.status_code == 200
    query = (await poller.one()).callback_query
    assert (query.data, query.message.message_id) == ("lang:fr", old.message_id)
    by_label = await http.post(
        "/sandbox/users/5/press", json={"message_id": old.message_id, "label": "العربية"}
    )
    assert by_label.status_code == 200
    assert (await poller.one()).callback_query.data == "lang:ar"
    newest = await http.post("/sandbox/users/5/press", json={"label": "Français"})
    assert newest.status_code == 200 and (await poller.one()).callback_query.data == "new"
    off = await http.post("/sandbox/users/5/press", json={"message_id": old.message_id, "row": 7})
    assert off.status_code == 400 and "has no button" in off.json()["description"]

    # Toasts: the callback answers the page shows.
    await bot.answer_callback_query(query.id, text="تم")
    chat = (await http.get("/sandbox/users/5/chat")).json()
    assert chat["toasts"] == [{"text": "تم", "show_alert": False}]

    keyboard = ReplyKeyboardMarkup([[KeyboardButton("📞 Partager", request_contact=True)]])
    await bot.send_message(5, "Téléphone ?", reply_markup=keyboard)
    chat = (await http.get("/sandbox/users/5/chat")).json()
    assert chat["keyboard"]["rows"] == [
        [{"text": "📞 Partager", "contact": True, "location": False}]
    ]
    await http.post("/sandbox/users/5/press", json={"label": "📞 Partager"})
    assert (await poller.one()).message.contact.user_id == 5


async def test_chat_long_poll_wakes_on_a_change(emu: BotApiEmulator, bot, http) -> None:
    await http.post("/sandbox/users/8/send", json={"text": "/start"})
    version = (await http.get("/sandbox/users/8/chat")).json()["version"]
    waiting = asyncio.ensure_future(http.get(f"/sandbox/users/8/chat?after={version}&wait=10"))
    await asyncio.sleep(0)  # let the request go out; it must wait for the bot's message
    sent = await bot.send_message(8, "Salut")
    chat = (await asyncio.wait_for(waiting, 5)).json()
    assert chat["version"] > version and chat["messages"][-1]["html"] == '<p dir="auto">Salut</p>'
    await bot.send_chat_action(8, "upload_photo")  # "sending a photo…" until the photo comes
    assert (await http.get("/sandbox/users/8/chat")).json()["action"] == "upload_photo"
    await bot.send_message(8, "Voilà")
    assert (await http.get("/sandbox/users/8/chat")).json()["action"] is None
    await bot.delete_message(8, sent.message_id)
    chat = (await http.get("/sandbox/users/8/chat")).json()
    assert [m["message_id"] for m in chat["messages"]] == [1, 3]


async def test_block_and_unblock_over_http(emu: BotApiEmulator, bot, http) -> None:
    poller = Poller(bot)
    await http.post("/sandbox/users/9/send", json={"text": "/start"})
    await poller.one()
    blocked = (await http.post("/sandbox/block", json={"user_id": 9, "blocked": True})).json()
    assert blocked["blocked"] is True and blocked["my_chat_member_update_id"] is not None
    change = (await poller.one()).my_chat_member
    assert change.new_chat_member.status == "kicked" and change.from_user.id == 9
    assert (await http.get("/sandbox/block")).json() == {"blocked": [9]}
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(9, "hello?")
    refused = await http.post("/sandbox/users/9/send", json={"text": "hi"})
    assert refused.status_code == 400 and "blocked the bot" in refused.json()["description"]
    await http.post("/sandbox/block", json={"user_id": 9, "blocked": False})
    assert (await poller.one()).my_chat_member.new_chat_member.status == "member"
    await bot.send_message(9, "welcome back")
    missing = await http.post("/sandbox/block", json={"user_id": 12345})
    assert missing.status_code == 404


async def test_flood_and_faults_over_http(emu: BotApiEmulator, bot, http) -> None:
    await http.post("/sandbox/users/3/send", json={"text": "/start"})
    status = (await http.post("/sandbox/flood", json={"private_burst": 2})).json()
    assert status["enabled"] and status["private_burst"] == 2
    await bot.send_message(3, "one")
    await bot.send_message(3, "two")
    with pytest.raises(RetryAfter):
        await bot.send_message(3, "three")
    assert (await http.get("/sandbox/flood")).json()["rejected"] == 1
    assert not (await http.post("/sandbox/flood", json={"enabled": False})).json()["enabled"]
    await bot.send_message(3, "three")

    faults = (await http.post("/sandbox/faults", json={"random_errors": {"rate": 1}})).json()
    assert faults["random"] == {"error": {"rate": 1, "codes": [500, 502]}}
    with pytest.raises(NetworkError):  # PTB's view of a 5xx
        await bot.send_message(3, "lost")
    await http.post("/sandbox/faults", json={"clear": True})
    await http.post(
        "/sandbox/faults",
        json={"random_timeouts": {"rate": 1, "seconds": 0.2, "methods": ["sendMessage"]}},
    )
    timed_out = await http.post(f"/bot{emu.token}/sendMessage", json={"chat_id": 3, "text": "slow"})
    assert timed_out.status_code == 502  # held, then Bad Gateway: nothing delivered
    await http.post(
        "/sandbox/faults", json={"clear": True, "chat": {"user_id": 3, "code": 500, "times": 1}}
    )
    assert (await http.get("/sandbox/faults")).json()["chats"] == {
        "3": {"code": 500, "remaining": 1}
    }
    with pytest.raises(NetworkError):
        await bot.send_message(3, "once")
    await bot.send_message(3, "then fine")
    texts = [m["text"] for m in (await http.get("/sandbox/users/3/messages")).json()]
    assert texts == ["one", "two", "three", "then fine"]
    bad = await http.post("/sandbox/faults", json={"random_errors": {"rate": 2}})
    assert bad.status_code == 400


async def test_stats_count_edits_and_callback_answers(emu: BotApiEmulator, bot, http) -> None:
    poller = Poller(bot)
    await http.post("/sandbox/users/4/send", json={"text": "/start"})
    await poller.one()
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await bot.send_message(4, "Ready?", reply_markup=markup)
    await http.post("/sandbox/users/4/press", json={"label": "Go"})
    query = (await poller.one()).callback_query
    await bot.answer_callback_query(query.id)
    await bot.edit_message_text("Gone", chat_id=4, message_id=sent.message_id)
    stats = (await http.get("/sandbox/stats")).json()
    assert stats["edits"] == 1 and stats["callback_answers"] == 1
    assert stats["requests"]["sendMessage"] == 1 and stats["unanswered_callbacks"] == 0


async def test_clock_needs_the_sandbox_and_moves_the_bot(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=emulator.url) as http:
        absent = await http.get("/sandbox/clock")
        assert absent.status_code == 404 and "multaqa sandbox" in absent.json()["description"]
        base = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        clock = OffsetClock(base=base)
        bot = await RunningBot(settings_for(emulator, tmp_path / "c.db"), clock).start()
        try:
            moves: list[datetime] = []
            clock.on_move(moves.append)
            emulator.clock_control = SandboxClock(
                clock, bot.services, ZoneInfo("Africa/Casablanca")
            )
            status = (await http.get("/sandbox/clock")).json()
            assert status["local"] == "2026-03-02 09:00" and status["next_due"] is None
            moved = (await http.post("/sandbox/clock", json={"seconds": 86400})).json()
            assert moved["local"] == "2026-03-03 09:00" and moved["offset_seconds"] == 86400
            assert moves == [datetime(2026, 3, 3, 9, 0, tzinfo=UTC)]
            nothing = (await http.post("/sandbox/clock", json={"to": "next"})).json()
            assert nothing["moved"] is False
            back = await http.post("/sandbox/clock", json={"seconds": -60})
            assert back.status_code == 400 and clock.offset == timedelta(days=1)
        finally:
            await bot.stop()


async def test_pages_of_other_sites_and_rebound_names_cannot_drive_the_sandbox(
    emu: BotApiEmulator, bot, http
) -> None:
    """A web page elsewhere can POST to 127.0.0.1 without asking (no-cors: text/plain or a
    form), and DNS rebinding lets it read the answers: none of it moves anything here."""
    poller = Poller(bot)
    before = (await http.get("/sandbox/faults")).json()
    port = emu.url.rsplit(":", 1)[1]
    faults = '{"random_errors": {"rate": 1.0}}'
    hostile = [
        # what fetch(url, {mode: "no-cors", method: "POST", body}) sends
        (415, "/sandbox/faults", {"Content-Type": "text/plain;charset=UTF-8"}, faults),
        (
            403,
            "/sandbox/faults",
            {"Content-Type": "application/json", "Origin": "https://x.example"},
            faults,
        ),
        (
            403,
            "/sandbox/faults",
            {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"},
            faults,
        ),
        (
            403,
            "/sandbox/faults",
            {"Content-Type": "application/json", "Host": f"x.example:{port}"},
            faults,
        ),
        (
            415,
            "/sandbox/users/42/send",
            {"Content-Type": "application/x-www-form-urlencoded"},
            "text=hi",
        ),
    ]
    for status, path, headers, body in hostile:
        response = await http.post(path, content=body, headers=headers)
        assert response.status_code == status, (headers, response.text)
        assert response.json()["ok"] is False
    # A form upload that no page of the sandbox's own sent.
    files = {"file": ("x.pdf", b"%PDF-1.4", "application/pdf")}
    for headers in ({}, {"Origin": "https://x.example"}):
        sent = await http.post("/sandbox/users/42/send", files=files, headers=headers)
        assert sent.status_code in (403, 415)
    # Reading a chat under a rebound name.
    read = await http.get("/sandbox/users/42/chat", headers={"Host": f"x.example:{port}"})
    assert read.status_code == 403
    assert (await http.get("/sandbox/faults")).json() == before
    assert await bot.get_updates(timeout=0) == ()  # nobody sent anything
    # The sandbox's own page and tools: JSON from this origin, by any loopback name.
    own = {"Origin": emu.url, "Sec-Fetch-Site": "same-origin"}
    sent = await http.post("/sandbox/users/42/send", json={"text": "hi"}, headers=own)
    assert sent.status_code == 200
    assert (await poller.one()).message.text == "hi"
    local = {"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"}
    assert (
        await http.post("/sandbox/users/42/send", json={"text": "hi"}, headers=local)
    ).is_success
