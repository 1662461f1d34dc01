"""/privacy: what is stored about me, who can see it, how long it is kept; my data as a JSON
file; deleting it (with confirmation). Deleting gives up the person's seats (the first
waiting person gets each and is told), then erases what identifies them (see
storage.privacy): only anonymous counts stay."""

from __future__ import annotations

import logging

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import callbacks, replies
from bot.context import MultaqaContext
from bot.i18n import Html, Translator, unmarked
from handlers.common import chat_id_of, drop_buttons, inline, reply, toast
from storage.privacy import as_json

log = logging.getLogger(__name__)

# Anyone's own data: no role. "Yes" carries when the question was asked (epoch seconds): an
# answer older than PROMPT_EXPIRY_MINUTES (or forged) asks again rather than erase.
PV = callbacks.Prefix("pv")
FILE = PV.button("file")
DELETE = PV.button("del")
YES = PV.button("yes", callbacks.Number("asked"))
NO = PV.button("no")


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
    buttons = inline([[(t("privacy.file"), FILE())], [(t("privacy.delete"), DELETE())]])
    if not data["profile"]:  # only the answers of a registration in progress
        await reply(update, context, t("privacy.draft_only", kept=kept), buttons)
        return
    profile = data["profile"]
    function = await services.event.label_of(t, "function", profile["function_code"])
    if profile.get("function_other"):
        function = f"{function}: {profile['function_other']}"
    workshops = await services.organizers.desk.labels(t)
    seats = Html(t("common.list_separator")).join(
        t(
            "privacy.seat",
            workshop=workshops.names.theme(s["workshop_id"]),
            state=workshops.names.code("seat", s["state"]),
        )
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


async def on_file(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """My data as a JSON file."""
    t, services = context.who.t, context.services
    data = await services.organizers.desk.privacy.personal_data(context.who.user.id)
    await toast(update)
    if data is None:
        await reply(update, context, t("privacy.nothing", kept=Html(await _kept_until(context, t))))
        return
    await replies.flush(context.bot_data)
    await context.bot.send_document(
        chat_id_of(update),
        InputFile(as_json(data), filename=unmarked(t.plain("privacy.file_name"))),
        caption=t("privacy.file_caption"),
    )


async def on_delete(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """Ask before erasing."""
    t = context.who.t
    await toast(update)
    asked = int(context.services.clock.now().timestamp())
    await reply(
        update,
        context,
        t("privacy.confirm"),
        inline([[(t("privacy.confirm_yes"), YES(asked)), (t("privacy.confirm_no"), NO())]]),
    )


async def on_keep(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """Changed their mind."""
    await drop_buttons(update)
    await toast(update)
    await reply(update, context, context.who.t("privacy.kept"))


async def on_erase(update: Update, context: MultaqaContext, press: callbacks.Press) -> None:
    """Erase, if the question was asked a moment ago; otherwise ask again."""
    services, user_id = context.services, context.who.user.id
    age = services.clock.now().timestamp() - press["asked"]
    if not 0 <= age <= services.settings.prompt_expiry_minutes * 60:
        log.info("an old or forged erasure confirmation: asked again")
        await on_delete(update, context, press)
        return
    await drop_buttons(update)
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
    await reply(update, context, context.who.t("privacy.deleted"))


def handlers() -> list[tuple[int, BaseHandler]]:
    """Handlers of this flow with their groups."""
    return [
        (0, CommandHandler("privacy", privacy_command, filters=filters.ChatType.PRIVATE)),
        (0, callbacks.route(PV, {FILE: on_file, DELETE: on_delete, YES: on_erase, NO: on_keep})),
    ]
