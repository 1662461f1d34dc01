"""The `follow_up:` section of the event file: when delegates are asked how their
recommendations stand, when silence is escalated, and when summaries and digests go.

Every key has a default, so an event file without the section follows up sensibly. All times
are local times of the event; prompts never go in quiet hours or on weekend days."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


def _clock(value: object) -> object:
    """`18:00` in the file, a `time` in stored JSON."""
    if isinstance(value, str):
        parts = value.strip().split(":")
        if 2 <= len(parts) <= 3 and all(p.isdigit() and len(p) <= 2 for p in parts):
            hours, minutes = int(parts[0]), int(parts[1])
            if hours < 24 and minutes < 60 and len(parts[1]) == 2:
                return time(hours, minutes)
        raise ValueError("expected a time of day like 18:00")
    return value


ClockTime = Annotated[time, BeforeValidator(_clock)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuietHours(_Section):
    """No prompt between `start` (evening) and `end` (morning)."""

    start: ClockTime = time(19, 0)
    end: ClockTime = time(8, 30)


class WeeklySummary(_Section):
    """The organizers' weekly follow-up summary."""

    day: Weekday = "monday"
    at: ClockTime = time(9, 0)


class Digest(_Section):
    """ "You said, we did": what moved, sent to every participant who did not opt out."""

    every_days: int = Field(default=14, ge=0, le=365)  # 0: no digest
    at: ClockTime = time(11, 0)


class FollowUpPolicy(_Section):
    """The follow-up cadence."""

    first_after_days: int = Field(default=7, ge=0, le=365)
    every_days: int = Field(default=14, ge=1, le=365)
    before_due_days: int = Field(default=3, ge=0, le=90)  # 0: no prompt before the due date
    on_due_date: bool = True
    send_at: ClockTime = time(10, 0)
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    weekend: list[Weekday] = Field(default_factory=lambda: ["saturday", "sunday"])
    escalate_after: int = Field(default=2, ge=1, le=20)  # prompts left unanswered
    escalate_grace_days: int = Field(default=2, ge=0, le=60)  # time to answer the last one
    escalate_overdue: bool = True
    weekly_summary: WeeklySummary | None = Field(default_factory=WeeklySummary)
    digest: Digest = Field(default_factory=Digest)

    @model_validator(mode="after")
    def _sendable(self) -> FollowUpPolicy:
        """Some day of the week and some hour of the day must be open for prompts."""
        if len(set(self.weekend)) >= 7:
            raise ValueError("weekend cannot hold every day of the week")
        if self.quiet_hours.start == self.quiet_hours.end:
            raise ValueError("quiet_hours start and end must differ")
        return self

    def weekend_days(self) -> frozenset[int]:
        """The weekend as `date.weekday()` numbers."""
        return frozenset(WEEKDAYS.index(day) for day in self.weekend)
