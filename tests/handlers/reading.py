"""Reading the chat as a person does, whether the bot answers with a new message or shows the
next step in the message that was pressed (an edit with new text)."""

from __future__ import annotations

from sandbox import BotMessage, SimUser
from tests.harness import plain


async def next_shown(user: SimUser, timeout: float = 5.0) -> BotMessage:  # noqa: ASYNC109
    """The next new message, or an older message edited into new text (button-only edits
    are skipped)."""
    while True:
        message = await user.next_message(timeout)
        if message.kind != "edit":
            return message
        states = [m for m in user.inbox if m.message_id == message.message_id]
        index = next(i for i, m in enumerate(states) if m is message)
        if index == 0 or states[index - 1].text != message.text:
            return message


async def next_shown_text(user: SimUser, timeout: float = 5.0) -> str:  # noqa: ASYNC109
    """Visible text of what the bot shows next, without isolates and direction marks."""
    return plain((await next_shown(user, timeout)).text)
