"""The one role guard: organizer (and, with the follow-up, delegate) commands, buttons and
messages ask the database on every use — a role revoked a second ago is revoked now.

    @requires("organizer")
    async def admin_command(update, context): ...

Buttons declare their role in their schema (`Prefix("rv", role="organizer")`, see
`bot.callbacks`) and `route` applies the same check. Typed answers that must first look at a
draft call `has_role` directly.

What a person without the role sees: a command answers like an unknown command (nobody learns
that an organizer command exists), a button says "not valid", and any other message passes on
untouched to the handlers of later groups (the fallback answers it).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot import replies
from bot.context import MultaqaContext

log = logging.getLogger(__name__)

ROLES = ("organizer", "delegate")
R = TypeVar("R")
Handler = Callable[..., Awaitable[R]]


async def has_role(context: MultaqaContext, role: str) -> bool:
    """Whether the person behind this update holds `role` now (read from the database)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if not context.has_who:
        return False
    return role in await context.services.roles.roles_of(context.who.user.id)


def requires(role: str) -> Callable[[Handler[R]], Handler[R | None]]:
    """Run the handler only for someone holding `role` now; refuse the others as above."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def decorate(handler: Handler[R]) -> Handler[R | None]:
        @functools.wraps(handler)
        async def guarded(update: Update, context: MultaqaContext, *args, **kwargs) -> R | None:  # type: ignore[no-untyped-def]
            if await has_role(context, role):
                return await handler(update, context, *args, **kwargs)
            await _refuse(update, context, role, handler.__qualname__)
            return None

        guarded.required_role = role  # type: ignore[attr-defined]  # for the meta-tests
        return guarded

    return decorate


async def _refuse(update: Update, context: MultaqaContext, role: str, what: str) -> None:
    user = update.effective_user
    log.warning("%s refused: user %s lacks the %s role", what, user.id if user else None, role)
    if update.callback_query is not None:
        from bot.callbacks import refuse

        await refuse(update, context, f"needs {role}")
        return
    message = update.effective_message
    text = message.text if message else None
    if text and text.startswith("/") and context.has_who:
        await replies.queue(
            context.bot,
            replies.send_message(
                message.chat_id,  # type: ignore[union-attr]
                str(context.who.t("common.unknown_command")),
            ),
        )
        raise ApplicationHandlerStop  # answered: no later group answers it again
