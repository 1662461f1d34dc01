"""SimUser: the test-side handle that acts as one Telegram user in a private chat."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

from .botmessage import BotMessage
from .markup import find_inline_button, reply_buttons, seen
from .state import CallbackAnswer, ChatState, PendingCallback, StoredMessage

if TYPE_CHECKING:
    from .emulator import BotApiEmulator

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"
_FAKE_OGG = b"OggS\x00\x02" + b"\x00" * 64


class SimUser:
    """Acts as one user: sends messages, presses buttons, reads what the bot answered."""

    def __init__(self, emu: BotApiEmulator, chat: ChatState) -> None:
        self._emu = emu
        self._chat = chat
        self._chat_instance = str(-(abs(chat.chat_id) * 7919 + 4_000_000_000_000_000))

    # --- identity and observations ---------------------------------------------------

    @property
    def id(self) -> int:
        """User id, equal to the private chat id."""
        return self._chat.chat_id

    @property
    def first_name(self) -> str:
        """First name as the bot sees it."""
        return str(self._chat.user["first_name"])

    @property
    def username(self) -> str | None:
        """Username, if any."""
        return self._chat.user.get("username")

    @property
    def language_code(self) -> str | None:
        """language_code the bot sees in updates."""
        return self._chat.user.get("language_code")

    @property
    def phone(self) -> str:
        """The user's own phone number (shared by request_contact buttons)."""
        return self._chat.phone

    @property
    def user_json(self) -> dict[str, Any]:
        """The User object as it appears in "from"."""
        return dict(self._chat.user)

    @property
    def inbox(self) -> list[BotMessage]:
        """Every bot event in this chat so far (new messages and edits), in order."""
        return self._chat.inbox

    @property
    def answered_callbacks(self) -> list[CallbackAnswer]:
        """The bot's answers to this user's callback queries, in answer order."""
        return self._chat.answered_callbacks

    @property
    def chat_actions(self) -> list[str]:
        """sendChatAction actions the bot sent to this chat."""
        return self._chat.chat_actions

    @property
    def blocked(self) -> bool:
        """Whether the user has blocked the bot."""
        return self._chat.blocked

    # --- sending ---------------------------------------------------------------------

    def _push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        if self._emu.person_pace:
            self._emu.flood.credit(self._chat.chat_id, self._emu.person_pace)
        update = self._emu.updates.push(kind, payload)
        # A type filtered out by allowed_updates never reaches the bot, as in Telegram.
        return update if update is not None else {"update_id": None, kind: payload}

    def open_chat(self) -> None:
        """Mark the chat as started without an update: this person talked to the bot long ago
        (for tests that put many registered people straight into the database)."""
        self._chat.started = True

    def _message(self, fields: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat
        if chat.blocked:
            raise AssertionError(f"{self.first_name} has blocked the bot; call unblock() first")
        chat.started = True
        message_id = chat.next_message_id()
        data = {
            "message_id": message_id,
            "from": chat.user,
            "chat": chat.chat,
            "date": self._emu.now(),
            **fields,
        }
        chat.store(StoredMessage(message_id, data, False))
        return self._push("message", data)

    async def send(self, text: str) -> dict[str, Any]:
        """Send a text message; a leading /command gets its bot_command entity."""
        fields: dict[str, Any] = {"text": text}
        match = _COMMAND.match(text)
        if match:
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": match.end()}]
        return self._message(fields)

    async def send_contact(
        self, phone: str | None = None, *, own: bool = False, first_name: str | None = None
    ) -> dict[str, Any]:
        """Share a contact; own=True shares the user's own card (contact.user_id set)."""
        contact: dict[str, Any] = {
            "phone_number": phone if phone is not None else self.phone,
            "first_name": first_name or self.first_name,
        }
        if own:
            if "last_name" in self._chat.user:
                contact["last_name"] = self._chat.user["last_name"]
            contact["user_id"] = self.id
        return self._message({"contact": contact})

    async def send_photo(
        self, content: bytes | None = None, caption: str | None = None
    ) -> dict[str, Any]:
        """Send a photo (downloadable by the bot through getFile)."""
        record = self._emu.files.add("photo", content or _FAKE_JPEG, mime_type="image/jpeg")
        fields: dict[str, Any] = {"photo": record.as_photo()}
        if caption:
            fields["caption"] = caption
        return self._message(fields)

    async def send_document(
        self,
        file_name: str = "document.pdf",
        mime_type: str | None = None,
        content: bytes = b"%PDF-1.4\n%test\n",
        caption: str | None = None,
    ) -> dict[str, Any]:
        """Send a document."""
        record = self._emu.files.add("document", content, file_name=file_name, mime_type=mime_type)
        fields: dict[str, Any] = {"document": record.as_document()}
        if caption:
            fields["caption"] = caption
        return self._message(fields)

    async def send_voice(self, content: bytes | None = None, duration: int = 2) -> dict[str, Any]:
        """Send a voice note."""
        record = self._emu.files.add("voice", content or _FAKE_OGG, mime_type="audio/ogg")
        voice = {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": record.size,
        }
        return self._message({"voice": voice})

    async def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        """Send a static sticker."""
        record = self._emu.files.add("sticker", b"RIFF\x00\x00\x00\x00WEBP", mime_type="image/webp")
        sticker = {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": record.size,
        }
        return self._message({"sticker": sticker})

    async def send_location(self, latitude: float, longitude: float) -> dict[str, Any]:
        """Send a location."""
        return self._message({"location": {"latitude": latitude, "longitude": longitude}})

    # --- buttons ---------------------------------------------------------------------

    def _callback(self, stored: StoredMessage, data: str) -> dict[str, Any]:
        if self._chat.blocked:
            raise AssertionError(f"{self.first_name} has blocked the bot; call unblock() first")
        query_id = self._emu.new_callback_id()
        self._emu.callbacks[query_id] = PendingCallback(
            query_id, self.id, asked_at=self._emu.monotonic()
        )
        payload = {
            "id": query_id,
            "from": self._chat.user,
            "message": stored.data,
            "chat_instance": self._chat_instance,
            "data": data,
        }
        return self._push("callback_query", payload)

    def _visible_buttons(self) -> str:
        chat = self._chat
        inline: list[str] = []
        for message_id in reversed(chat.bot_message_ids):
            stored = chat.messages.get(message_id)
            if stored is not None and stored.data.get("reply_markup"):
                labels = [
                    b["text"] for row in stored.data["reply_markup"]["inline_keyboard"] for b in row
                ]
                inline.append(f"#{message_id}: {labels}")
        keyboard = reply_buttons(chat.reply_keyboard)
        reply = [b["text"] for row in keyboard for b in row] if keyboard else []
        return f"inline keyboards (newest first): {inline or 'none'}; reply keyboard: {reply}"

    async def press(self, label: str) -> dict[str, Any]:
        """Press a button by its exact label: newest inline keyboard first, then reply keyboard."""
        chat = self._chat
        for message_id in reversed(chat.bot_message_ids):
            stored = chat.messages.get(message_id)
            if stored is None:
                continue
            button = find_inline_button(stored.data.get("reply_markup"), label)
            if button is None:
                continue
            if button.get("callback_data"):
                return self._callback(stored, button["callback_data"])
            raise AssertionError(f"inline button {label!r} is not a callback button: {button}")
        for row in reply_buttons(chat.reply_keyboard) or []:
            for button in row:
                if seen(button["text"]) != seen(label):
                    continue
                if button.get("request_contact"):
                    return await self.send_contact(self.phone, own=True)
                if button.get("request_location"):
                    return await self.send_location(33.5731, -7.5898)
                return await self.send(button["text"])  # what the client sends: the button's text
        raise AssertionError(
            f"{self.first_name} sees no button labelled {label!r}; {self._visible_buttons()}"
        )

    async def press_button(
        self, message_id: int, *, label: str | None = None, row: int = 0, column: int = 0
    ) -> dict[str, Any]:
        """Press a button of any message still in the chat: by label, or by its position."""
        stored = self._chat.messages.get(message_id)
        if stored is None or not stored.from_bot:
            raise AssertionError(f"no bot message {message_id} in {self.first_name}'s chat")
        markup = stored.data.get("reply_markup")
        if label is not None:
            button = find_inline_button(markup, label)
        else:
            rows = (markup or {}).get("inline_keyboard", [])
            in_range = 0 <= row < len(rows) and 0 <= column < len(rows[row])
            button = rows[row][column] if in_range else None
        if button is None:
            raise AssertionError(
                f"message {message_id} has no button {label or (row, column)!r}; "
                f"{self._visible_buttons()}"
            )
        if not button.get("callback_data"):
            raise AssertionError(f"button {button.get('text')!r} is not a callback button")
        return self._callback(stored, button["callback_data"])

    @property
    def chat_state(self) -> ChatState:
        """The chat as the emulator holds it (for the web chat)."""
        return self._chat

    async def press_data(self, message_id: int, data: str) -> dict[str, Any]:
        """Send a callback query with arbitrary data on a message (forgery tests)."""
        stored = self._chat.messages.get(message_id)
        if stored is None:
            raise AssertionError(f"no message {message_id} in {self.first_name}'s chat")
        return self._callback(stored, data)

    async def wait_callback_answer(
        self,
        query: str | dict[str, Any],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CallbackAnswer:
        """Wait until the bot answers a callback query (an id or the update press() returned)."""
        if isinstance(query, dict):
            query = str(query["callback_query"]["id"])
        pending = self._emu.callbacks[query]
        if pending.answer is not None:
            return pending.answer
        if pending.waiter is None:
            pending.waiter = asyncio.get_running_loop().create_future()
        try:
            return await asyncio.wait_for(asyncio.shield(pending.waiter), timeout)
        except TimeoutError:
            raise AssertionError(
                f"the bot did not answer callback query {query} within {timeout} s"
            ) from None

    # --- reading what the bot sent -----------------------------------------------------

    def _recent(self) -> str:
        last = self._chat.inbox[-3:]
        return "; ".join(f"[{m.kind} #{m.message_id}] {m.text[:80]!r}" for m in last) or "none"

    # `timeout` is the public test API's name, hence the ASYNC109 exemptions.
    async def next_message(self, timeout: float = 5.0) -> BotMessage:  # noqa: ASYNC109
        """The next bot event (new message or edit) in this chat, in order."""
        try:
            return await asyncio.wait_for(self._chat.events.get(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"no message from the bot within {timeout} s; last messages: {self._recent()}"
            ) from None

    async def next_text(self, timeout: float = 5.0) -> str:  # noqa: ASYNC109
        """Visible text of the next bot event."""
        return (await self.next_message(timeout)).text

    async def expect_silence(self, duration: float = 0.3) -> None:
        """Assert the bot produces nothing in this chat for `duration` seconds."""
        try:
            event = await asyncio.wait_for(self._chat.events.get(), duration)
        except TimeoutError:
            return
        raise AssertionError(
            f"expected silence for {duration} s but the bot sent [{event.kind} "
            f"#{event.message_id}] {event.text[:200]!r}"
        )

    def pending_events(self) -> int:
        """How many bot events are waiting to be read by next_message()."""
        return self._chat.events.qsize()

    # --- blocking --------------------------------------------------------------------

    def _member_change(self, old: str, new: str) -> dict[str, Any]:
        bot = self._emu.bot_user
        new_member: dict[str, Any] = {"status": new, "user": bot}
        if new == "kicked":
            new_member["until_date"] = 0
        old_member: dict[str, Any] = {"status": old, "user": bot}
        if old == "kicked":
            old_member["until_date"] = 0
        payload = {
            "chat": self._chat.chat,
            "from": self._chat.user,
            "date": self._emu.now(),
            "old_chat_member": old_member,
            "new_chat_member": new_member,
        }
        return self._push("my_chat_member", payload)

    async def block(self) -> dict[str, Any] | None:
        """Block the bot: a my_chat_member update, then sends to this chat get 403."""
        if self._chat.blocked:
            return None
        self._chat.blocked = True
        self._chat.touch()
        return self._member_change("member", "kicked")

    async def unblock(self) -> dict[str, Any] | None:
        """Unblock the bot (my_chat_member kicked -> member)."""
        if not self._chat.blocked:
            return None
        self._chat.blocked = False
        self._chat.touch()
        return self._member_change("kicked", "member")

    def __repr__(self) -> str:
        return f"SimUser(id={self.id}, first_name={self.first_name!r})"
