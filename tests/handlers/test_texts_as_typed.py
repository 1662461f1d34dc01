"""What people and organizers type reaches others exactly as typed: `&`, `<`, `>` and quotes in
names, units, workshop titles, notes, tags, recommendation texts and broadcast captions are
shown as such in messages and on buttons (no `&amp;`, no lost `<…>`)."""

from __future__ import annotations

from pathlib import Path

from bot.event.file import parse_event_text
from bot.outbound.schedule import tick
from sandbox import BotApiEmulator
from tests.conftest import ORGANIZER_ID
from tests.event_example import open_example_text
from tests.handlers.reading import next_shown, next_shown_text
from tests.handlers.test_broadcast import enrol
from tests.handlers.test_registration import walk_to_summary
from tests.harness import RunningBot, plain

NAME = "Aït O'Neil-Benali"  # names allow letters, spaces, - ' and . (bot.profile)
UNIT = "Unité <Nord> & Sud"
NOTE = "voir R&D <interne>"
TAG = "R&D <x>"
REC = 'Créer un "pôle R&D" <pilote> & le suivre'
CAPTION = "Salle <B> & salle 'C'"
TITLE = 'Formation & emploi "<2026>"'
FUNCTION = "Formation & emploi"

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "study-day.yaml"


def seen(text: str) -> str:
    """What a person reads: no isolates, no direction marks."""
    return plain(text).replace("\u200f", "").replace("\u200e", "")


async def test_a_name_and_unit_with_html_characters_read_as_typed(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    user = emulator.user(first_name=NAME, language_code="fr")
    await user.send("/start")
    await next_shown(user)
    await user.press("Français")
    await next_shown(user)
    await user.press("✅ J'accepte")
    await next_shown(user)
    await user.press(f"Utiliser « {NAME} »")  # the button reads the Telegram name as it is
    await next_shown(user)
    await user.press("Inspecteur·rice")
    await next_shown(user)
    await user.press("Souss-Massa")
    await next_shown(user)
    await user.send(UNIT)
    await next_shown(user)
    await user.press("Passer")
    await next_shown(user)
    summary = seen(await next_shown_text(user))
    assert f"Nom : {NAME}" in summary and f"Unité : {UNIT}" in summary
    await user.press("✅ Confirmer")
    await next_shown(user)
    await user.send("/profile")
    profile = seen(await next_shown_text(user))
    assert NAME in profile and UNIT in profile
    stored = await bot.services.participants.get(user.id)
    assert stored is not None and (stored.full_name, stored.unit) == (NAME, UNIT)


async def test_note_tag_and_recommendation_text_read_as_typed(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    author = emulator.user(first_name="Nadia", language_code="fr")
    await enrol(bot, author, "fr", "oriental")
    await author.send(NOTE)  # outside a flow: offered as a proposal
    await next_shown(author)
    await author.press("💡 Général (hors atelier)")
    assert NOTE in seen(await next_shown_text(author))
    await author.send("/mine")
    assert NOTE in seen(await next_shown_text(author))

    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await organizer.send("/admin")
    await next_shown(organizer)
    await organizer.press("🗂 Proposals")
    await next_shown(organizer)
    await organizer.press("All themes")
    card = seen(await next_shown_text(organizer))
    assert NOTE in card
    await organizer.press("🏷 Tag")
    await next_shown(organizer)
    await organizer.send(TAG)
    assert TAG in seen(await next_shown_text(organizer))
    await organizer.press("➖ Not retained")
    await next_shown(organizer)
    await organizer.send(NOTE)
    await next_shown(organizer)
    await tick(bot.services)
    told = seen(await next_shown_text(author))
    assert f"note : {NOTE}" in told and "&amp;" not in told

    await author.send("Une autre idée")
    await next_shown(author)
    await author.press("💡 Général (hors atelier)")
    await next_shown(author)
    await organizer.send("/admin")
    await next_shown(organizer)
    await organizer.press("🗂 Proposals")
    await next_shown(organizer)
    await organizer.press("All themes")
    await next_shown(organizer)
    await organizer.press("🔗 Into a recommendation")
    await next_shown(organizer)
    await organizer.press("➕ A new recommendation")
    await next_shown(organizer)
    await organizer.send(REC)
    await next_shown(organizer)
    await organizer.send("Nadia")
    await next_shown(organizer)
    await organizer.press("Person Nadia · Centre")
    await next_shown(organizer)
    await organizer.send("30/06/2026")
    assert REC in seen(await next_shown_text(organizer))
    await tick(bot.services)
    # Nadia is told twice: her proposal was merged, and she now owns R-1 (follow-up).
    notices = [seen(await next_shown_text(author)) for _ in range(2)]
    merged = next(n for n in notices if "en charge" not in n)
    assert "R-1" in merged and REC in merged  # the notice says what R-1 is
    assert any("en charge" in n and REC in n for n in notices)

    await author.send("Encore une")
    await next_shown(author)
    await author.press("💡 Général (hors atelier)")
    await next_shown(author)
    await organizer.send("/admin")
    await next_shown(organizer)
    await organizer.press("🗂 Proposals")
    await next_shown(organizer)
    await organizer.press("All themes")
    await next_shown(organizer)
    await organizer.press("🔗 Into a recommendation")
    choices = await next_shown(organizer)
    labels = [seen(label) for label in choices.labels]
    assert f"R-1: {REC[:40]}" in labels  # the button reads as typed too


async def test_workshop_titles_and_function_labels_read_as_typed(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    definition = parse_event_text(open_example_text(text))
    workshop = definition.workshops[0]
    titles = {code: TITLE for code in ("ar", "fr", "en")}
    functions = [
        definition.functions[0].model_copy(update={"title": {c: FUNCTION for c in titles}}),
        *definition.functions[1:],
    ]
    changed = definition.model_copy(
        update={
            "workshops": [workshop.model_copy(update={"title": titles}), *definition.workshops[1:]],
            "functions": functions,
        }
    )
    await bot.services.event.load(changed, None)
    user = emulator.user(first_name="Omar", language_code="fr")
    summary = await walk_to_summary(user, "fr", function=FUNCTION)
    assert FUNCTION in seen(summary)
    await user.press("✅ Confirmer")
    await next_shown(user)  # registered
    await next_shown(user)  # and the agenda
    await user.send("/workshops")
    listing = await next_shown(user)
    assert TITLE in seen(listing.text)
    await user.send("/agenda")
    agenda = seen(await next_shown_text(user))
    assert TITLE in agenda
    await user.send("/propose")
    themes = await next_shown(user)
    assert TITLE in themes.labels  # a button: plain text, exactly the title
    await user.press(TITLE)
    assert f"Thème : {TITLE}." in seen(await next_shown_text(user))


async def test_a_broadcast_caption_reaches_people_as_typed(
    emulator: BotApiEmulator, bot: RunningBot
) -> None:
    person = emulator.user(first_name="Claire", language_code="en")
    await enrol(bot, person, "en", "souss_massa")
    organizer = emulator.user(user_id=ORGANIZER_ID, first_name="Direction", language_code="en")
    await organizer.send("/admin")
    await next_shown(organizer)
    await organizer.press("📣 Broadcast a message")
    await next_shown(organizer)
    await organizer.send_photo(caption=CAPTION)
    await next_shown(organizer)
    await organizer.press("➡️ Continue")
    await next_shown(organizer)
    await organizer.press("Everyone (1)")
    await next_shown(organizer)  # the preview's heading
    preview = await next_shown(organizer)
    assert preview.text == CAPTION
    await next_shown(organizer)
    await organizer.press("✅ Send now")
    await tick(bot.services)
    received = await next_shown(person)
    assert received.text == CAPTION
