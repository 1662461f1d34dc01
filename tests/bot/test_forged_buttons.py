"""The meta-test of buttons: every CallbackQueryHandler registered on the real Application,
every prefix and every declared action, pressed with forged data by a registered participant
who holds no role — wrong actions, ids that point nowhere, other people's ids, overlong and
non-ASCII data. The database must not change, and every press must be answered."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import CallbackQueryHandler

from bot import callbacks
from bot.event.file import load_event_file
from bot.outbound.schedule import tick
from storage.campaigns import Audience
from storage.clock import FakeClock
from storage.event import Seating
from tests.handlers.test_broadcast import enrol
from tests.harness import RunningBot, said

EXAMPLE = Path(__file__).parents[2] / "examples" / "study-day.yaml"
# Bookkeeping that records that an update arrived and what it answered, not what it did (and
# the clock's record of its daily jobs, which run on their own time).
_NOT_STATE = ("inbox", "update", "outbox", "schema_migrations", "daily_runs")


def dump(db_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (read with a separate connection, as another process would)."""
    with sqlite3.connect(db_path) as conn:
        tables = [
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not any(word in name for word in _NOT_STATE)
        ]
        return {t: sorted(map(tuple, conn.execute(f'SELECT * FROM "{t}"'))) for t in tables}


def _values(field: callbacks.Field, others: dict[str, Any], real: bool) -> list[Any]:
    """Values for one field: someone else's rows and rows that do not exist; real codes only
    for buttons that need a role (for anyone, joining a real workshop is no forgery)."""
    if isinstance(field, callbacks.Id):
        return [others["id"], 987654321]
    if isinstance(field, callbacks.Code):
        return [*([others["code"]] if real else []), "nosuchcode"]
    if isinstance(field, callbacks.Number):
        return [0, 999999]
    assert isinstance(field, callbacks.OneOf)
    return list(field.values) if real else []


def forged_presses(prefix: callbacks.Prefix, others: dict[str, Any]) -> list[str]:
    """Forgeries of every declared action of a prefix, then malformed data."""
    found: list[str] = []
    for button in prefix.buttons.values():
        real = button.role is not None  # the presser lacks the role: even real ids must fail
        choices = [_values(f, others, real) for f in button.fields]
        combos: list[list[Any]] = [[]]
        for options in choices:
            if not options:  # a fixed word we may not use validly here: forge it instead
                combos = []
                break
            combos = [[*c, o] for c in combos for o in options][:6]
        found += [button(*values) for values in combos]
        if button.fields:
            parts = [prefix.name, button.action] + ["x"] * len(button.fields)
            found.append(":".join([*parts[:-1], "ZZ"]))  # a part that does not parse
            found.append(":".join([*parts, "extra"]))  # one part too many
    found += [
        f"{prefix.name}:",
        f"{prefix.name}:nosuchaction",
        f"{prefix.name}:join:ورشة",
        f"{prefix.name}:" + "a" * 70,
        f"{prefix.name}:rec:-1",
        f"{prefix.name}:drop:1;DROP TABLE roles",
    ]
    return found


@pytest.fixture
async def populated(make_bot: Callable[..., RunningBot], emulator) -> AsyncIterator[RunningBot]:  # type: ignore[no-untyped-def]
    # The example event is long past: a long retention keeps the daily purge from erasing
    # everyone while the presses go on (what the clock does is not what is tested here).
    bot = await make_bot(clock=FakeClock(), retention_days=3650).start()
    services = bot.services
    await services.event.load(load_event_file(EXAMPLE), None)
    author = emulator.user(first_name="Author", language_code="fr")
    await enrol(bot, author, "fr", "central")
    proposal = await services.proposals.create(author.id, "management", "Une idée", [])
    await services.recommendations.create("management", "Faire", "fr", author.id, None, None)
    await services.campaigns.create(None, "fr", Audience("everyone"), {"fr": "Bonjour"})
    await services.signups.join(
        author.id, "management", Seating.one("management", 30, ["management"])
    )
    bot.others = {"id": proposal, "code": "management", "author": author.id}  # type: ignore[attr-defined]
    # The clock's own first pass (daily jobs, follow-up periods: a weekly summary row) is over
    # before the database is compared: what the clock plans is not a press's doing.
    await tick(services)
    try:
        yield bot
    finally:
        await bot.stop()


async def test_forged_buttons_change_nothing_and_are_all_answered(
    emulator, populated: RunningBot, db_path: Path
) -> None:
    bot = populated
    app = bot.app
    assert app is not None
    registered = [h for group in app.handlers.values() for h in group]
    routers = [h for h in registered if isinstance(h, callbacks.ButtonRouter)]
    fallbacks = [
        h
        for h in registered
        if isinstance(h, CallbackQueryHandler) and not isinstance(h, callbacks.ButtonRouter)
    ]
    # Every prefix declared is served by exactly one router, and every router by the schema.
    assert sorted(r.prefix.name for r in routers) == sorted(callbacks.PREFIXES)
    assert len(fallbacks) == 1 and fallbacks[0].pattern is None  # the one "unknown button"
    assert {"bc", "evf", "ri", "rv"} <= {r.prefix.name for r in routers if r.prefix.role}

    presser = emulator.user(first_name="Curious", language_code="en")
    await enrol(bot, presser, "en", "central")
    await presser.send("/help")
    message = await said(presser)
    others = bot.others  # type: ignore[attr-defined]
    presses = [data for r in routers for data in forged_presses(r.prefix, others)]
    presses += ["", "zz:top", "x" * 64, "ملتقى", ":::"]
    assert len(presses) > 150

    before = dump(db_path)
    for data in presses:
        press = await presser.press_data(message.message_id, data)
        answer = await presser.wait_callback_answer(press)
        assert answer is not None, data
    assert emulator.unanswered_callbacks() == []
    after = dump(db_path)
    changed = {t for t in before if before[t] != after.get(t)}
    assert changed == set(), {t: (before[t], after[t]) for t in changed}
