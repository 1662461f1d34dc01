"""A small event with known counts, written through the repositories (as the flows do)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.event.file import EventDefinition, parse_event_text
from storage.clock import FakeClock
from storage.event import Seating
from storage.participants import ProfileFields
from storage.proposals import Attachment

EXAMPLE = Path(__file__).parents[2] / "examples" / "study-day.yaml"
# Saturday 26 January 2019, 10:00 in Casablanca: registration is open (it closes on the 29th).
SATURDAY = datetime(2019, 1, 26, 9, 0, tzinfo=UTC)
EVIL_NAME = '=HYPERLINK("http://x.example","click")'


def small_event() -> EventDefinition:
    """The study day, with only 2 seats in the management workshop (to have a waiting list)."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("capacity: 30", "capacity: 2", 1)
    return parse_event_text(text)


# (user id, name, function, region, locale, day offset from SATURDAY)
PEOPLE = [
    (101, "سعاد الإدريسي", "inspector", "souss_massa", "ar", 0),
    (102, "Karim Benali", "inspector", "oriental", "fr", 0),
    (103, "Aya Test", "inspector", "oriental", "en", 0),
    (104, "Nadia Amrani", "head_of_service", "oriental", "fr", 1),
    (105, EVIL_NAME, "head_of_service", "souss_massa", "en", 1),
    (106, "Omar Filali", "centre_director", "central", "ar", 2),
]


async def seed(services, clock: FakeClock) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Six people over three days, seats, check-ins, proposals, recommendations. Returns ids."""
    event = small_event()
    await services.event.load(event, None)
    start = clock.now()
    for user_id, name, function, region, locale, day in PEOPLE:
        clock._now = start + timedelta(days=day, hours=1)
        await services.participants.save_profile(
            user_id,
            user_id,
            ProfileFields(locale, clock.now(), name, function, None, region, "Unité -1", None),
        )
    await services.participants.save_profile(
        104,
        104,
        ProfileFields(
            "fr",
            clock.now(),
            "Nadia Amrani",
            "head_of_service",
            None,
            "oriental",
            "+DAS",
            "+212612345678",
        ),
    )
    for user_id in (101, 102, 103):
        await services.signups.join(user_id, "management", Seating.one("management", 2))
    await services.signups.join(104, "partnerships", Seating.one("partnerships", 30))
    await services.checkins.check_in(101)
    await services.checkins.check_in(104)
    new = await services.proposals.create(101, "management", "Plus de formation", [])
    merged = await services.proposals.create(
        102, "management", "Un guide commun", [Attachment("document", "F1", "guide.pdf")]
    )
    rejected = await services.proposals.create(103, "general", "-1 idée", [])
    await services.proposals.create(105, "general", "@all", [Attachment("voice", "V1", None)])
    await services.proposals.review(rejected, "rejected", 900001, "hors sujet")
    rec1 = await services.recommendations.create(
        "management", "Un guide commun pour tous", "fr", 104, date(2019, 3, 1), 900001, [merged]
    )
    rec2 = await services.recommendations.create(None, "توحيد المساطر", "ar", None, None, 900001)
    await services.db.execute(
        "UPDATE recommendations SET status = 'in_progress' WHERE id = ?", (rec2,)
    )
    await services.audit.record(900001, "review.accept", f"proposal:{new}")
    return {"new": new, "merged": merged, "rejected": rejected, "rec1": rec1, "rec2": rec2}
