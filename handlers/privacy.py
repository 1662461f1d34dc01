"""/privacy: what is stored about me, who can see it, how long it is kept; my data as a JSON
file; deleting it (with confirmation). Deleting gives up the person's seats (the first
waiting person gets each and is told), then erases what identifies them (see
storage.privacy): only anonymous counts stay."""

from __future__ import annotations

import logging

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import callbacks
from bot.context import MultaqaContext
from bot.i18n import Html, Translator, unmarked
from handlers.common import chat_id_of, drop_buttons, inline, reply, toast
from storage.privacy import as_json

log = logging.getLogger(__name__)

PREFIX = "pv"


def button(action: str, *args: object) -> str:
    """Callback data of a /privacy button."""
    return callbacks.encode(PREFIX, action, *args)


async def _kept_until(context: MultaqaContext, t: Translator) -> str:
    due = await context.services.organizers.desk.purge_due_at()
    if due is None:
        return t("privacy.kept_days", days=context.services.settings.retention_days)
    event = await context.services.event.current()
    zone = event.zone if event else context.services.settings.zone
    return t("privacy.kept_until", date=t.date(due, zone, "long"))


async def privacy_command(update: Update, context: MultaqaContext) -> None:
    """What is stored about me, who sees it, how long; buttons for the file and deletion."""
    who, services = context.who, context.services
    t = who.t
    data = await services.organizers.desk.privacy.personal_data(who.user.id)
    kept = Html(await _kept_until(context, t))
    if data is None:
        await reply(update, context, t("privacy.nothing", kept=kept))
        return
    buttons = inline(
        [[(t("privacy.file"), button("file"))], [(t("privacy.delete"), button("del"))]]
    )
    if not data["profile"]:  # only the answers of a registration in progress
        await reply(update, context, t("privacy.draft_only", kept=kept), buttons)
        return
    profile = data["profile"]
    function = await services.event.label_of(t, "function", profile["function_code"])
    if profile.get("function_other"):
        function = f"{function}: {profile['function_other']}"
    workshops = await services.organizers.desk.labels(t)
    seats = ", ".join(
        f"{workshops.names.theme(s['workshop_id'])} ({workshops.names.code('seat', s['state'])})"
        for s in data["workshops"]
    )
    text = t(
        "privacy.summary",
        name=profile["full_name"],
        function=function,
        region=await services.event.label_of(t, "region", profile["region_code"]),
        unit=profile["unit"],
        phone=profile["phone"] or t("privacy.none"),
        language=services.texts[profile["locale"]]("language.name"),
        workshops=seats or t("privacy.none"),
        checked_in=t("ex.yes") if data["checked_in_at"] else t("ex.no"),
        proposals=len(data["proposals"]),
        kept=kept,
    )
    await reply(update, context, text, buttons)


async def on_button(update: Update, context: MultaqaContext) -> None:
    """The /privacy buttons: the file, delete, confirm, keep."""
    query = update.callback_query
    parsed = callbacks.decode(query.data if query else None, PREFIX)
    t, services, user_id = context.who.t, context.services, context.who.user.id
    if parsed is None or parsed.action not in ("file", "del", "yes", "no"):
        await toast(update, t("common.invalid_button"))
        return
    if parsed.action == "file":
        data = await services.organizers.desk.privacy.personal_data(user_id)
        await toast(update)
        if data is None:
            await reply(
                update, context, t("privacy.nothing", kept=Html(await _kept_until(context, t)))
            )
            return
        await context.bot.send_document(
            chat_id_of(update),
            InputFile(as_json(data), filename=unmarked(t.plain("privacy.file_name"))),
            caption=t("privacy.file_caption"),
        )
        return
    if parsed.action == "del":
        await toast(update)
        await reply(
            update,
            context,
            t("privacy.confirm"),
            inline(
                [
                    [
                        (t("privacy.confirm_yes"), button("yes")),
                        (t("privacy.confirm_no"), button("no")),
                    ]
                ]
            ),
        )
        return
    await drop_buttons(update)
    if parsed.action == "no":
        await toast(update)
        await reply(update, context, t("privacy.kept"))
        return
    await toast(update)
    erasure = await services.organizers.desk.erase(user_id)
    services.kick_clock()  # the promoted people are told now, not at the next tick
    # Counts only: the audit log never holds who asked (that would undo the erasure).
    await services.audit.record(
        None,
        "privacy.erase",
        "",
        {"people": erasure.people, "proposals_cleared": erasure.proposals_cleared},
    )
    log.info("a participant erased their data (%d proposal(s) cleared)", erasure.proposals_cleared)
    await reply(update, context, t("privacy.deleted"))


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups."""
    return [
        (0, CommandHandler("privacy", privacy_command, filters=filters.ChatType.PRIVATE)),
        (0, CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}:")),
    ]
