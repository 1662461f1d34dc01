"""BotMessage: what a test sees of one message (or edit) the bot produced."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .markup import inline_buttons, reply_buttons

if TYPE_CHECKING:
    from .state import StoredMessage


@dataclass(frozen=True)
class BotMessage:
    """A snapshot of a bot message at the moment of one event."""

    chat_id: int
    message_id: int
    kind: str  # "message" | "edit" | "document" | "photo"
    text: str  # visible text (HTML removed, entities unescaped); caption for media
    html: str | None  # text or caption exactly as sent
    parse_mode: str | None
    inline_buttons: list[list[tuple[str, str | None]]]
    reply_keyboard: list[list[str]] | None
    remove_keyboard: bool
    document: dict[str, Any] | None
    photo: list[dict[str, Any]] | None
    raw: dict[str, Any]  # the Message JSON as the Bot API returned it

    @classmethod
    def from_stored(cls, chat_id: int, stored: StoredMessage) -> BotMessage:
        """Snapshot a stored message."""
        data, markup = stored.data, stored.markup
        keyboard = reply_buttons(markup)
        return cls(
            chat_id=chat_id,
            message_id=stored.message_id,
            kind=stored.kind,
            text=stored.visible_text,
            html=stored.html,
            parse_mode=stored.parse_mode,
            inline_buttons=inline_buttons(data.get("reply_markup")),
            reply_keyboard=[[b["text"] for b in row] for row in keyboard] if keyboard else None,
            remove_keyboard=bool(markup and markup.get("remove_keyboard")),
            document=data.get("document"),
            photo=data.get("photo"),
            raw=data,
        )

    @property
    def labels(self) -> list[str]:
        """All inline button labels, row by row."""
        return [label for row in self.inline_buttons for label, _ in row]

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict (for the control endpoints)."""
        return asdict(self)
