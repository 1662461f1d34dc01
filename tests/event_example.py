"""The example study day moved to the test clock's time: registration open, the event ahead
(registration is refused outside the event's window; tests of other things need it open)."""

from __future__ import annotations

from pathlib import Path

EXAMPLE = Path(__file__).parents[1] / "examples" / "study-day.yaml"


def open_example_text(text: str | None = None) -> str:
    """The example (or a variant of it) held on 2026-01-30, registration open from
    2025-12-01 to 2026-01-29: the default FakeClock (2026-01-01) is inside the window."""
    text = text if text is not None else EXAMPLE.read_text(encoding="utf-8")
    text = text.replace(
        'registration_opens: "2019-01-14 09:00"', 'registration_opens: "2025-12-01 09:00"'
    )
    return text.replace("2019-01-", "2026-01-")


def room_of(n: int) -> str:
    """The example's room of workshop `n` as written in the file (in three languages), to
    replace it in a variant: `text.replace(room_of(2), '    room: "Salle D"')`."""
    return f'    room:\n      ar: "القاعة {n}"\n      fr: "Salle {n}"\n      en: "Room {n}"'
