"""Runs the real Application against the emulator, and reads the chat like a person would."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.app import build_application
from bot.i18n import BIDI_MARKS
from bot.intake import Intake, start_bot, stop_bot
from bot.settings import Settings, load_settings
from sandbox import BotApiEmulator, BotMessage, SimUser
from storage.clock import Clock, FakeClock


def settings_for(emu: BotApiEmulator, db_path: Path, **overrides: Any) -> Settings:
    """Settings pointing the bot at the emulator and a database file."""
    return load_settings(
        _env_file=None,
        bot_token=emu.token,
        database_path=db_path,
        bot_api_base_url=emu.base_url,
        bot_api_file_url=emu.base_file_url,
        **overrides,
    )


class RunningBot:
    """One Application polling the emulator; `restart()` builds a fresh one on the same DB."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        emulator: BotApiEmulator | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or FakeClock()
        self.emulator = emulator  # the one its settings point at (for `settled`)
        self.app: Application | None = None  # type: ignore[type-arg]
        self.intake: Intake | None = None

    async def start(self) -> RunningBot:
        """Build and start it exactly as `multaqa run` does (bot.intake.start_bot)."""
        app = build_application(self.settings, self.clock)
        self.intake = await start_bot(app)
        self.app = app
        return self

    async def stop(self) -> None:
        """Stop polling, finish what is under way and shut down, as `multaqa run` does."""
        app, self.app = self.app, None
        if app is not None:
            await stop_bot(app)

    async def restart(self) -> None:
        """Stop this Application and start a new one on the same database."""
        await self.stop()
        await self.start()

    async def settled(self, *quiet: SimUser, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot is done with everything it was sent, then assert that these
        people have nothing more to read: no update left with the emulator, queued in the
        Application or being handled (an update's handling includes sending its replies),
        no inbox row unhandled and no committed reply unsent. What "nothing more comes" means
        for the people's own updates, decided from the bot's state instead of a wait in real
        time; it says nothing of what the clock or a broadcast may send later."""
        assert self.app is not None and self.intake is not None and self.emulator is not None
        app, intake, emulator = self.app, self.intake, self.emulator
        processor = app.update_processor
        async with asyncio.timeout(timeout):
            while True:
                unhandled = await intake.inbox.unhandled()
                unsent = await intake.outbox.pending()
                busy = (
                    len(emulator.updates)
                    or not app.update_queue.empty()
                    or processor.current_concurrent_updates
                    or intake.inbox.db.unwritten_marks
                )
                if not (unhandled or unsent or busy):
                    break
                await asyncio.sleep(0.005)
        for user in quiet:
            if user.pending_events():
                said = await user.next_message(1.0)
                raise AssertionError(
                    f"expected nothing more for {user.first_name} but the bot sent "
                    f"[{said.kind} #{said.message_id}] {said.text[:200]!r}"
                )

    @property
    def services(self):  # type: ignore[no-untyped-def]
        """The running application's services (for assertions on the database)."""
        from bot.context import services_of

        assert self.app is not None
        return services_of(self.app)


async def said(user: SimUser, timeout: float = 5.0) -> BotMessage:  # noqa: ASYNC109
    """The next new message the bot sent this user, skipping edits of older messages."""
    while True:
        message = await user.next_message(timeout)
        if message.kind != "edit":
            return message


def plain(text: str) -> str:
    """Text as a person reads it: without the invisible isolates and direction marks that
    bot.i18n puts around values and at the start of lines."""
    return "".join(c for c in text if c not in BIDI_MARKS)


async def said_text(user: SimUser, timeout: float = 5.0) -> str:  # noqa: ASYNC109
    """Visible text of the next new message, isolates removed (tests read it as a person)."""
    return plain((await said(user, timeout)).text)


async def shown(user: SimUser, timeout: float = 5.0) -> BotMessage:  # noqa: ASYNC109
    """What the bot shows next: a new message, or an older message edited into new text
    (the next question shown in the pressed message). Edits that only change buttons are
    skipped."""
    while True:
        message = await user.next_message(timeout)
        if message.kind != "edit":
            return message
        states = [m for m in user.inbox if m.message_id == message.message_id]
        index = next(i for i, m in enumerate(states) if m is message)
        if index == 0 or states[index - 1].text != message.text:
            return message


async def shown_text(user: SimUser, timeout: float = 5.0) -> str:  # noqa: ASYNC109
    """Visible text of what the bot shows next (see `shown`), isolates removed."""
    return plain((await shown(user, timeout)).text)
