"""SimGroup: a group chat the bot belongs to, so tests can post there and read the result."""

from __future__ import annotations

from .botmessage import BotMessage
from .state import ChatState


class SimGroup:
    """A group chat (negative id) that accepts bot messages from the start."""

    def __init__(self, chat: ChatState) -> None:
        self._chat = chat

    @property
    def id(self) -> int:
        """The group's chat id (negative, as in Telegram)."""
        return self._chat.chat_id

    @property
    def title(self) -> str:
        """The group's title."""
        return str(self._chat.chat["title"])

    @property
    def inbox(self) -> list[BotMessage]:
        """Every bot event in this group so far (new messages and edits), in order."""
        return self._chat.inbox

    def __repr__(self) -> str:
        return f"SimGroup(id={self.id}, title={self.title!r})"
