"""EVENT_FILE at start: load the file only when it changed since it was last loaded from it.

An organizer may have loaded another version through the bot since: a restart must not undo
it (and tell everyone the reverse). When the event came from the bot and differs from an
unchanged file, the bot keeps it and tells the organizers once; `multaqa event load FILE` is
the explicit way back to the file."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from telegram.error import TelegramError

from bot.event.file import load_event_file
from bot.event.service import EventService, LoadReport
from storage.event import FileStamp

if TYPE_CHECKING:
    from bot.context import Services

log = logging.getLogger(__name__)

Decision = Literal["loaded", "unchanged", "kept", "refused"]


@dataclass(frozen=True, slots=True)
class StartDecision:
    """What became of EVENT_FILE at this start."""

    decision: Decision
    version: int  # the event's version after the decision (0: none)
    tell_organizers: bool = False  # kept over the file, and organizers not yet told
    report: LoadReport | None = None


def stamp(path: Path) -> tuple[FileStamp, bytes]:
    """The file's absolute path and content hash (and its bytes)."""
    raw = path.read_bytes()
    return FileStamp(str(path.resolve()), hashlib.sha256(raw).hexdigest()), raw


async def decide(service: EventService, path: Path) -> StartDecision:
    """Load EVENT_FILE, or keep the stored event, by the rule in the module docstring."""
    file, _ = stamp(path)
    definition = load_event_file(path)
    store = service.store
    seen = await store.file_seen(file.path)
    version = await store.latest_version()
    current = await service.current()
    if current is not None and current.to_json() == definition.to_json():
        if seen is None or seen.sha256 != file.sha256:
            await store.remember_file(file.path, file.sha256, version)
        return StartDecision("unchanged", version)
    unchanged_file = seen is not None and seen.sha256 == file.sha256
    if current is not None and (unchanged_file or seen is None):
        if await store.loaded_through_bot(version):
            told = seen is not None and seen.told_version == version
            await store.remember_file(
                file.path, file.sha256, seen.version if seen else None, told_version=version
            )
            return StartDecision("kept", version, tell_organizers=not told)
        if unchanged_file:  # loaded from the terminal since (another file): keep it too
            return StartDecision("kept", version)
    report = await service.load(definition, None, file=file)
    if report.version is None:
        return StartDecision("refused", version, report=report)
    return StartDecision("loaded", report.version, report=report)


async def load_at_start(services: Services, path: Path) -> StartDecision:
    """Decide about EVENT_FILE, log it, and tell the organizers once when their version is
    kept over the file."""
    decided = await decide(services.event, path)
    if decided.decision == "refused" and decided.report is not None:
        log.error(
            "EVENT_FILE not loaded: it removes workshops people signed up for (%s); "
            "use `multaqa event load --force`",
            ", ".join(w for w, _ in decided.report.blocked),
        )
    elif decided.decision == "loaded" and decided.report is not None:
        log.info(
            "event file loaded as version %d (%d change(s))",
            decided.version,
            len(decided.report.changes),
        )
    elif decided.decision == "kept":
        log.warning(
            "EVENT_FILE differs from the event loaded through the bot (version %d): kept; "
            "`multaqa event load FILE` goes back to the file",
            decided.version,
        )
    if decided.tell_organizers:
        await _tell_organizers(services, path, decided.version)
    return decided


async def _tell_organizers(services: Services, path: Path, version: int) -> None:
    organizers = {*services.settings.organizer_ids, *await services.roles.holders("organizer")}
    for user_id in sorted(organizers):
        participant = await services.participants.get(user_id)
        t = services.texts[participant.locale if participant else services.settings.default_locale]
        try:
            await services.bot.send_message(
                user_id,
                t("evf.kept_over_file", version=version, file=str(path)),
                parse_mode="HTML",
            )
        except TelegramError as exc:  # blocked the bot, never opened it: the log says it
            log.info("could not tell organizer %s that EVENT_FILE was kept: %s", user_id, exc)
