"""The Bot API emulator, driven over real HTTP by PTB's Bot and by raw httpx."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import telegram
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from sandbox import BotApiEmulator, SimUser


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
    """getUpdates with offset bookkeeping, as a bot's updater does it."""

    def __init__(self, bot: telegram.Bot) -> None:
        self.bot = bot
        self.offset = 0

    async def updates(self, poll: int = 0) -> tuple[Update, ...]:
        batch = await self.bot.get_updates(offset=self.offset, timeout=poll)
        if batch:
            self.offset = batch[-1].update_id + 1
        return batch

    async def one(self) -> Update:
        batch = await self.updates()
        assert len(batch) == 1, batch
        return batch[0]


async def started_user(emu: BotApiEmulator, poller: Poller, **kwargs: object) -> SimUser:
    """A user who has opened the bot (Telegram refuses bot-initiated chats)."""
    user = emu.user(**kwargs)  # type: ignore[arg-type]
    await user.send("/start")
    await poller.updates()
    return user


async def test_get_me_and_raw_shape(emu: BotApiEmulator, bot: telegram.Bot, http) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.first_name, me.username) == (
        123456,
        True,
        "Multaqa",
        "multaqa_test_bot",
    )
    assert me.can_join_groups is True and me.supports_inline_queries is False
    raw = (await http.get(f"/bot{emu.token}/GETME")).json()  # names are case-insensitive
    assert raw["ok"] is True and raw["result"]["id"] == 123456
    assert emu.request_counts["getMe"] >= 2


async def test_wrong_token_and_unknown_method(emu: BotApiEmulator, http) -> None:
    wrong = await http.post("/bot999:nope/getMe")
    assert wrong.status_code == 401
    assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    unknown = await http.post(f"/bot{emu.token}/sendTelepathy")
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_get_updates_confirms_below_offset(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    alice = emu.user("Alice", username="alice", language_code="fr")
    for text in ("/start checkin-AB12", "hello", "again"):
        await alice.send(text)
    first = await bot.get_updates()
    assert [u.message.text for u in first] == ["/start checkin-AB12", "hello", "again"]
    ids = [u.update_id for u in first]
    assert ids == sorted(ids) and len(set(ids)) == 3
    command = first[0].message
    assert command.entities[0].type == "bot_command" and command.entities[0].length == 6
    assert command.from_user.language_code == "fr" and command.chat.id == alice.id == 100001
    assert [u.update_id for u in await bot.get_updates()] == ids  # unconfirmed: sent again
    rest = await bot.get_updates(offset=ids[1] + 1)
    assert [u.update_id for u in rest] == ids[2:]
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    assert emu.updates_delivered == 3
    assert len(await bot.get_updates(limit=1)) == 0


async def test_long_poll_wakes_when_a_user_sends(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    alice = emu.user("Alice")
    begun = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=20, read_timeout=30))
    await asyncio.wait_for(emu.updates.parked.wait(), 5)  # the poll is parked server-side
    await alice.send("wake up")
    updates = await poll
    assert [u.message.text for u in updates] == ["wake up"]
    assert time.monotonic() - begun < 5


async def test_long_poll_times_out_empty(bot: telegram.Bot) -> None:
    begun = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - begun < 3


async def test_thousands_of_queued_updates(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    users = [emu.user(f"U{i}") for i in range(50)]
    for _ in range(60):
        for user in users:
            await user.send("tick")
    poller, seen = Poller(bot), 0
    while batch := await poller.updates():
        assert len(batch) <= 100
        seen += len(batch)
    assert seen == 3000 and emu.updates_delivered == 3000 and len(emu.updates) == 0


async def test_inline_keyboard_press_and_answer(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    poller = Poller(bot)
    alice = await started_user(emu, poller, first_name="Alice")
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Français", callback_data="lang:fr"),
                InlineKeyboardButton("العربية", callback_data="lang:ar"),
            ],
            [InlineKeyboardButton("Site", url="https://example.org")],
        ]
    )
    sent = await bot.send_message(
        alice.id, "<b>Langue ?</b>", parse_mode="HTML", reply_markup=markup
    )
    assert sent.reply_markup == markup and sent.text == "Langue ?"
    msg = await alice.next_message()
    assert (msg.kind, msg.text, msg.html, msg.parse_mode) == (
        "message",
        "Langue ?",
        "<b>Langue ?</b>",
        "HTML",
    )
    assert msg.inline_buttons == [
        [("Français", "lang:fr"), ("العربية", "lang:ar")],
        [("Site", "https://example.org")],
    ]
    update = await alice.press("Français")
    query = (await poller.one()).callback_query
    assert query.data == "lang:fr" and query.from_user.id == alice.id
    assert query.message.message_id == sent.message_id
    assert query.id == update["callback_query"]["id"]
    assert emu.unanswered_callbacks() == [query.id]
    await query.answer("C'est noté", show_alert=True)
    answer = await alice.wait_callback_answer(update)
    assert (answer.text, answer.show_alert) == ("C'est noté", True)
    assert alice.answered_callbacks == [answer] and emu.unanswered_callbacks() == []
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer()  # a query can be answered once
    with pytest.raises(AssertionError, match="not a callback button"):
        await alice.press("Site")


async def test_answer_unknown_callback_query(bot: telegram.Bot, emu: BotApiEmulator, http) -> None:
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("123")
    raw = await http.post(f"/bot{emu.token}/answerCallbackQuery", data={"callback_query_id": "9"})
    assert raw.status_code == 400
    assert raw.json()["description"] == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )


async def test_reply_keyboard_text_contact_and_removal(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    poller = Poller(bot)
    alice = await started_user(emu, poller, first_name="Alice", phone="+212612345678")
    keyboard = ReplyKeyboardMarkup(
        [["Skip"], [KeyboardButton("Share my number", request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    sent = await bot.send_message(alice.id, "Your phone?", reply_markup=keyboard)
    assert sent.reply_markup is None  # Telegram only echoes inline keyboards
    msg = await alice.next_message()
    assert msg.reply_keyboard == [["Skip"], ["Share my number"]] and not msg.remove_keyboard
    await alice.press("Share my number")
    contact = (await poller.one()).message.contact
    assert (contact.phone_number, contact.user_id) == ("+212612345678", alice.id)
    await alice.press("Skip")
    assert (await poller.one()).message.text == "Skip"
    await bot.send_message(alice.id, "Thanks", reply_markup=ReplyKeyboardRemove())
    assert (await alice.next_message()).remove_keyboard
    with pytest.raises(AssertionError, match=r"no button labelled 'Skip'.*reply keyboard: \[\]"):
        await alice.press("Skip")


async def test_press_lists_visible_buttons(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    alice = await started_user(emu, Poller(bot), first_name="Alice")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="y")]])
    await bot.send_message(alice.id, "Sure?", reply_markup=markup)
    with pytest.raises(AssertionError, match=r"no button labelled 'No'.*\['Yes'\]"):
        await alice.press("No")


async def test_press_data_forgery(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    poller = Poller(bot)
    alice = await started_user(emu, poller, first_name="Alice")
    sent = await bot.send_message(alice.id, "plain, no keyboard")
    await alice.press_data(sent.message_id, "admin:delete_all")
    query = (await poller.one()).callback_query
    assert query.data == "admin:delete_all" and query.message.message_id == sent.message_id
    with pytest.raises(AssertionError, match="no message 999"):
        await alice.press_data(999, "x")


async def test_edits(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    alice = await started_user(emu, Poller(bot), first_name="Alice")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await bot.send_message(alice.id, "Step 1", reply_markup=markup)
    await alice.next_message()
    edited = await bot.edit_message_text(
        "<i>Step 2</i>", alice.id, sent.message_id, parse_mode="HTML", reply_markup=markup
    )
    assert edited.text == "Step 2" and edited.edit_date is not None
    event = await alice.next_message()
    assert (event.kind, event.message_id, event.text, event.labels) == (
        "edit",
        sent.message_id,
        "Step 2",
        ["Go"],
    )
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<i>Step 2</i>", alice.id, sent.message_id, parse_mode="HTML", reply_markup=markup
        )
    await bot.edit_message_text("<i>Step 2</i>", alice.id, sent.message_id, parse_mode="HTML")
    assert (await alice.next_message()).inline_buttons == []  # no markup: keyboard removed
    await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=markup)
    assert (await alice.next_message()).labels == ["Go"]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=markup)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", alice.id, 9999)
    current = emu.message(alice.id, sent.message_id)
    assert current is not None and current.text == "Step 2" and current.labels == ["Go"]
    assert [m.kind for m in alice.inbox] == ["message", "edit", "edit", "edit"]


async def test_delete_message(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    alice = await started_user(emu, Poller(bot), first_name="Alice")
    sent = await bot.send_message(alice.id, "temporary")
    assert await bot.delete_message(alice.id, sent.message_id) is True
    assert emu.message(alice.id, sent.message_id) is None
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(alice.id, sent.message_id)


async def test_text_limit_counts_visible_utf16(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    alice = await started_user(emu, Poller(bot), first_name="Alice")
    ok = await bot.send_message(alice.id, f"<b>{'a' * 4095}</b>&amp;", parse_mode="HTML")
    assert len(ok.text) == 4096
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(alice.id, f"<b>{'a' * 4096}</b>&amp;", parse_mode="HTML")
    await bot.send_message(alice.id, "😀" * 2048)  # 4096 UTF-16 code units
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(alice.id, "😀" * 2048 + "a")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(alice.id, "")
    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.edit_message_text("b" * 4097, alice.id, ok.message_id)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(alice.id, b"data", filename="a.txt", caption="c" * 1025)


async def test_callback_data_limit(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    alice = await started_user(emu, Poller(bot), first_name="Alice")

    def keyboard(**button: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("b", **button)]])

    await bot.send_message(alice.id, "ok", reply_markup=keyboard(callback_data="ب" * 32))
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(alice.id, "no", reply_markup=keyboard(callback_data="ب" * 33))
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(alice.id, "no", reply_markup=keyboard())


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("Hello <b>world", 'Can\'t find end tag corresponding to start tag "b"'),
        ("2 < 3", 'Unsupported start tag "" at byte offset 2'),
        ("Tom & Jerry", 'Unescaped "&" at byte offset 4'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("é</b>", "Unexpected end tag at byte offset 2"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_malformed_html_is_rejected(
    emu: BotApiEmulator, http, html: str, reason: str
) -> None:
    alice = emu.user("Alice")
    await alice.send("/start")
    response = await http.post(
        f"/bot{emu.token}/sendMessage",
        data={"chat_id": str(alice.id), "text": html, "parse_mode": "HTML"},
    )
    assert response.status_code == 400
    assert response.json()["description"] == f"Bad Request: can't parse entities: {reason}"


async def test_html_entities_and_allowed_tags(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    alice = await started_user(emu, Poller(bot), first_name="Alice")
    html = (
        '<b>A</b> &lt;&gt; &quot;q&quot; &#1605; <a href="https://x.org/?a=1&amp;b=2">link</a> '
        '<tg-spoiler>s</tg-spoiler> <pre><code class="language-py">x</code></pre> '
        "<blockquote expandable>q</blockquote>"
    )
    sent = await bot.send_message(alice.id, html, parse_mode="HTML")
    assert sent.text == 'A <> "q" م link s x q'
    types = [(e.type, e.url, e.language) for e in sent.entities]
    assert ("text_link", "https://x.org/?a=1&b=2", None) in types
    assert ("pre", None, "py") in types and ("spoiler", None, None) in types
    assert ("expandable_blockquote", None, None) in types
    assert (await alice.next_message()).html == html


async def test_commands_per_scope_and_language(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    alice = emu.user("Alice", language_code="fr")
    default = [telegram.BotCommand("start", "Start"), telegram.BotCommand("help", "Help")]
    french = [telegram.BotCommand("start", "Démarrer")]
    assert await bot.set_my_commands(default)
    private = telegram.BotCommandScopeAllPrivateChats()
    assert await bot.set_my_commands(french, scope=private, language_code="fr")
    assert await bot.get_my_commands() == tuple(default)
    assert await bot.get_my_commands(scope=private, language_code="fr") == tuple(french)
    assert await bot.get_my_commands(scope=private) == ()  # no fallback in getMyCommands
    assert emu.commands() == [c.to_dict() for c in default]
    assert emu.commands({"type": "all_private_chats"}, "fr") == [
        {"command": "start", "description": "Démarrer"}
    ]
    assert emu.visible_commands(alice) == [{"command": "start", "description": "Démarrer"}]
    assert emu.visible_commands(alice, language_code="ar")[1]["command"] == "help"
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([telegram.BotCommand("Start-Now", "bad")])
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([telegram.BotCommand("x" * 33, "too long")])
    assert await bot.delete_my_commands(scope=private, language_code="fr")
    assert emu.commands({"type": "all_private_chats"}, "fr") == []


async def test_document_upload_get_file_and_download(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    poller = Poller(bot)
    alice = await started_user(emu, poller, first_name="Alice")
    payload = bytes(range(256)) * 40
    sent = await bot.send_document(
        alice.id, payload, filename="badge.pdf", caption="<b>Badge</b>", parse_mode="HTML"
    )
    assert sent.document.file_name == "badge.pdf" and sent.caption == "Badge"
    msg = await alice.next_message()
    assert msg.kind == "document" and msg.text == "Badge" and msg.document is not None
    file = await bot.get_file(sent.document.file_id)
    assert file.file_size == len(payload)
    assert bytes(await file.download_as_bytearray()) == payload
    again = await bot.send_document(alice.id, sent.document.file_id)  # resend by file_id
    assert again.document.file_id == sent.document.file_id
    photo = await bot.send_photo(alice.id, b"\xff\xd8jpeg-bytes")
    assert (await alice.next_message()).kind == "document"
    assert (await alice.next_message()).kind == "photo" and photo.photo[0].file_size == 12
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_document(alice.id, "no-such-file-id")
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("no-such-file-id")


async def test_user_media_reaches_the_bot(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    poller = Poller(bot)
    alice = emu.user("Alice")
    await alice.send_document(file_name="cv.pdf", mime_type="application/pdf", content=b"%PDF-x")
    await alice.send_photo()
    await alice.send_voice()
    await alice.send_sticker()
    await alice.send_location(33.57, -7.59)
    await alice.send_contact("+212600000000")
    doc, photo, voice, sticker, location, contact = (u.message for u in await poller.updates())
    assert (doc.document.file_name, doc.document.mime_type) == ("cv.pdf", "application/pdf")
    file = await bot.get_file(doc.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"%PDF-x"
    assert photo.photo and voice.voice.mime_type == "audio/ogg" and sticker.sticker.emoji
    assert (location.location.latitude, location.location.longitude) == (33.57, -7.59)
    assert contact.contact.user_id is None  # someone else's number


async def test_block_unblock_my_chat_member(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    poller = Poller(bot)
    alice = await started_user(emu, poller, first_name="Alice")
    await alice.block()
    change = (await poller.one()).my_chat_member
    assert change.from_user.id == alice.id and change.chat.id == alice.id
    assert change.old_chat_member.status == "member"
    assert change.new_chat_member.status == "kicked"
    assert change.new_chat_member.user.id == emu.bot_user["id"]
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(alice.id, "hello?")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_chat_action(alice.id, "typing")
    await alice.unblock()
    change = (await poller.one()).my_chat_member
    assert (change.old_chat_member.status, change.new_chat_member.status) == ("kicked", "member")
    await bot.send_message(alice.id, "welcome back")
    assert await alice.next_text() == "welcome back"


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_chat_rules_and_injected_faults(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    stranger = emu.user("Stranger")
    with pytest.raises(Forbidden, match="initiate conversation"):
        await bot.send_message(stranger.id, "hi")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hi")
    alice = await started_user(emu, Poller(bot), first_name="Alice")
    emu.faults.fail(alice.id, 429, retry_after=7, times=1)
    with pytest.raises(RetryAfter, match="Retry in 7 seconds"):
        await bot.send_message(alice.id, "too fast")
    await bot.send_message(alice.id, "fine again")
    emu.faults.fail(alice.id, 500)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(alice.id, "boom")
    emu.faults.clear()
    assert await alice.next_text() == "fine again"
    await alice.expect_silence(0.05)
    with pytest.raises(AssertionError, match=r"no message from the bot within 0.05 s; last"):
        await alice.next_message(timeout=0.05)
    await bot.send_message(alice.id, "unexpected")
    with pytest.raises(AssertionError, match=r"expected silence .* 'unexpected'"):
        await alice.expect_silence(0.05)


async def test_parameters_as_form_json_query_and_multipart(emu: BotApiEmulator, http) -> None:
    alice = emu.user("Alice")
    await alice.send("/start")
    base = f"/bot{emu.token}"
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    as_json = await http.post(
        f"{base}/sendMessage", json={"chat_id": alice.id, "text": "j", "reply_markup": markup}
    )
    as_form = await http.post(
        f"{base}/sendMessage",
        data={"chat_id": str(alice.id), "text": "f", "reply_markup": json.dumps(markup)},
    )
    as_query = await http.get(f"{base}/sendMessage", params={"chat_id": alice.id, "text": "q"})
    upload = await http.post(
        f"{base}/sendDocument",
        data={"chat_id": str(alice.id)},
        files={"document": ("n.txt", b"abc", "text/plain")},
    )
    results = [r.json() for r in (as_json, as_form, as_query, upload)]
    assert all(r["ok"] for r in results), results
    assert results[0]["result"]["reply_markup"] == markup == results[1]["result"]["reply_markup"]
    assert results[3]["result"]["document"]["mime_type"] == "text/plain"
    bad = await http.post(
        f"{base}/sendMessage", data={"chat_id": str(alice.id), "text": "x", "reply_markup": "{nope"}
    )
    assert bad.json()["description"] == "Bad Request: can't parse reply keyboard markup JSON object"
    assert [m.text for m in alice.inbox] == ["j", "f", "q", ""]


async def test_control_endpoints(emu: BotApiEmulator, bot: telegram.Bot, http) -> None:
    poller = Poller(bot)
    sent = await http.post("/sandbox/users/777/send", json={"text": "/start", "first_name": "Web"})
    assert sent.json()["ok"] is True
    update = await poller.one()
    assert update.message.from_user.first_name == "Web" and update.message.chat.id == 777
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
    await bot.send_message(777, "<b>Hi</b>", parse_mode="HTML", reply_markup=markup)
    listed = (await http.get("/sandbox/users/777/messages")).json()
    assert listed[0]["text"] == "Hi" and listed[0]["inline_buttons"] == [[["OK", "ok"]]]
    assert (await http.post("/sandbox/users/777/press", json={"label": "OK"})).json()["ok"]
    assert (await poller.one()).callback_query.data == "ok"
    missing = await http.post("/sandbox/users/777/press", json={"label": "Nope"})
    assert missing.status_code == 400 and "Nope" in missing.json()["description"]


async def test_clock_is_overridable(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    emu.clock = lambda: 1_700_000_000.5
    alice = emu.user("Alice")
    await alice.send("hi")
    (update,) = await bot.get_updates()
    assert update.message.date.timestamp() == 1_700_000_000


async def test_real_application_round_trip(emu: BotApiEmulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        buttons = [[InlineKeyboardButton("Français", callback_data="lang:fr")]]
        await update.message.reply_html("<b>Choose</b>", reply_markup=InlineKeyboardMarkup(buttons))

    async def chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(f"OK: {update.callback_query.data}")

    app = (
        Application.builder()
        .token(emu.token)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(chosen))
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=1)
        try:
            alice = emu.user("Alice", language_code="fr")
            await alice.send("/start")
            menu = await alice.next_message()
            assert menu.text == "Choose" and menu.labels == ["Français"]
            await alice.press("Français")
            edit = await alice.next_message()
            assert (edit.kind, edit.text, edit.message_id) == (
                "edit",
                "OK: lang:fr",
                menu.message_id,
            )
            assert len(alice.answered_callbacks) == 1 and emu.unanswered_callbacks() == []
        finally:
            await app.updater.stop()
            await app.stop()
