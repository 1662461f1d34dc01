"""Builds the PTB Application from Settings: the one place where everything is wired.

Handler order (PTB runs the first matching handler of each group, groups in ascending order):
  -2  who: load the participant, their live drafts and roles behind the update (every update)
  -1  a command or a menu entry ends a pending one-shot prompt ("type the tag")
   0  edited messages first (handlers.conversation: never re-run as commands or content);
      /cancel and /resume; then the commands and buttons of each flow (one ButtonRouter
      per callback prefix: bot.callbacks), and the uploads that start a flow (an organizer's
      event file or recommendations table, unless the active flow takes files at its step);
      then the fallbacks for unknown commands and buttons
   1  the conversation router: any other message goes to the person's active flow, and only
      to it (stops there); which flow is active is decided by handlers.conversation, not by
      handler order
   9  anything else a person sends (no flow active): a proposal offer or a short answer
(A flow not declared to the manager may still read its drafts in a group between 1 and 9;
declare it as a `bot.conversation.Flow` instead, so one-flow-at-a-time holds for it.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from telegram import Bot, Update
from telegram.error import Forbidden
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    ExtBot,
    TypeHandler,
)

from bot import replies
from bot.commands import set_chat_commands, set_default_commands
from bot.context import SERVICES_KEY, MultaqaContext, Services, Who
from bot.conversation import Conversations
from bot.desk import OrganizerTools
from bot.event.service import EventService
from bot.event.startup import load_at_start
from bot.followup.service import FollowUpService
from bot.i18n import Translations, as_plain
from bot.logs import protect as protect_logs
from bot.outbound.campaigns import CampaignRunner
from bot.outbound.limiter import InteractiveLimiter, SendBudget
from bot.outbound.schedule import start_clock, stop_clock
from bot.outbound.sender import BulkSender, SendPolicy
from bot.people import note_telegram
from bot.processor import PerChatUpdateProcessor
from bot.settings import Settings
from bot.transport import make_request
from bot.views.keyboards import note_reader
from handlers import (
    admin,
    agenda,
    basics,
    broadcast,
    conversation,
    event_admin,
    followup,
    followup_admin,
    language,
    privacy,
    proposals,
    rec_upload,
    registration,
    review,
    workshops,
)
from handlers import campaign as campaign_view
from storage.campaigns import CampaignRepository
from storage.clock import Clock, SystemClock
from storage.database import AlreadyApplied, Database, DatabaseFullError, update_scope
from storage.drafts import DraftRepository
from storage.event import CheckinRepository, EventStore, PromptRepository, SignupRepository
from storage.followup import FollowUpRepository
from storage.participants import ParticipantRepository
from storage.proposals import ProposalRepository, RecommendationRepository
from storage.roles import AuditLog, RoleRepository

log = logging.getLogger(__name__)

DISK_FULL_REMINDER = 3600.0  # seconds before organizers are alerted again of a full disk

FLOWS = (
    conversation,  # first: edited messages, /cancel, /resume and the router
    registration,
    language,
    agenda,
    workshops,
    proposals,
    privacy,
    admin,
    broadcast,
    event_admin,
    rec_upload,
    review,
    followup,
    followup_admin,
    basics,  # last: its fallbacks end group 0
)


def _check_labels(settings: Settings, texts: Translations) -> None:
    missing = [
        f"{kind}.{code}"
        for kind, codes in (("function", settings.functions), ("region", settings.regions))
        for code in codes
        if f"{kind}.{code}" not in texts.catalogues[settings.default_locale].singular
    ]
    if missing:
        raise ValueError(f"no translation for configured codes: {', '.join(missing)}")


def build_services(
    settings: Settings,
    clock: Clock,
    bot: Bot,
    bulk_bot: Bot,
    policy: SendPolicy,
    budget: SendBudget | None = None,
) -> Services:
    """Services with an unopened database (opened in post_init)."""
    db = Database(settings.database_path)
    texts = Translations(settings.default_locale)
    _check_labels(settings, texts)
    campaigns = CampaignRepository(db, clock, settings.default_locale)
    signups = SignupRepository(db, clock)
    participants = ParticipantRepository(db, clock)
    prompts = PromptRepository(db, clock)
    event = EventService(
        EventStore(db, clock), signups, prompts, participants, texts, settings, clock
    )
    roles = RoleRepository(db, clock)
    services = Services(
        settings=settings,
        clock=clock,
        db=db,
        texts=texts,
        participants=participants,
        drafts=DraftRepository(db, clock),
        roles=roles,
        audit=AuditLog(db, clock),
        campaigns=campaigns,
        runner=None,  # type: ignore[arg-type]  # set just below: it reports through services
        bot=bot,
        sender_rate=policy.per_second,
        event=event,
        signups=signups,
        checkins=CheckinRepository(db, clock),
        prompts=prompts,
        proposals=ProposalRepository(db, clock),
        recommendations=RecommendationRepository(db, clock),
        followup=FollowUpService(
            FollowUpRepository(db, clock), prompts, participants, roles, event, texts, clock
        ),
    )

    async def report(campaign, progress, finished):  # type: ignore[no-untyped-def]
        await campaign_view.report_progress(services, campaign, progress, finished)

    services.organizers = OrganizerTools.build(db, settings, clock, services.event)
    services.conversations = Conversations(
        services.drafts,
        [flow for module in FLOWS if (flow := getattr(module, "CONVERSATION", None))],
        timedelta(hours=settings.draft_expiry_hours),
        timedelta(minutes=settings.prompt_expiry_minutes),
    )
    services.runner = CampaignRunner(
        campaigns,
        BulkSender(bulk_bot, policy, budget),
        settings.default_locale,
        report,
        fallback=settings.broadcast_fallback,
    )
    return services


async def load_who(update: Update, context: MultaqaContext) -> None:
    """Group -2: who is this, in which language; shared by every handler of this update."""
    user = update.effective_user
    if user is None or user.is_bot:
        return
    services = context.services
    # One trip to the database for what every update needs (see Database.read_together).
    participant, drafts_of_user, roles, version = await services.db.read_together(
        services.participants.get_query(user.id),
        services.drafts.of_user_query(user.id),
        services.roles.roles_of_query(user.id),
        services.event.store.latest_version_query(),
    )
    services.event.note_version(version)
    drafts = {draft.flow: draft for draft in drafts_of_user}
    draft = drafts.get(registration.FLOW)
    chosen = participant.locale if participant else (draft.data.get("locale") if draft else None)
    locale = services.texts.pick(chosen, user.language_code)
    locale = await note_telegram(services, user, participant, roles, locale)
    if (scope := update_scope.get()) is not None:
        scope.locale = locale
    if participant is None and roles and user.full_name:
        # An organizer who never registered is named in timelines by their Telegram name:
        # written when it changed, not on every update (a write would make each of their
        # updates one with effects).
        name = user.full_name[:80]
        if await services.followup.repo.pref(user.id, "telegram_name") != name:
            await services.followup.repo.note_telegram_name(user.id, name)
    context.who = Who(
        user=user,
        participant=participant,
        drafts=drafts,
        roles=roles,
        locale=locale,
        t=services.texts[locale],
    )
    note_reader(context.who.t.is_rtl)  # keyboards are laid out for this reader


def _user_of(update: object) -> tuple[int | None, str | None]:
    user = update.effective_user if isinstance(update, Update) else None
    return (user.id, user.language_code) if user is not None else (None, None)


async def _translator_for(services: Services, update: object):  # type: ignore[no-untyped-def]
    """PTB gives error handlers a fresh context (no `who`): find the language again."""
    user_id, language_code = _user_of(update)
    participant = await services.participants.get(user_id) if user_id is not None else None
    return services.texts[
        services.texts.pick(participant.locale if participant else None, language_code)
    ]


async def _alert_disk_full(context: MultaqaContext) -> None:
    """Tell the organizers that nothing can be saved: once, not once per failure (again only
    if the disk is still full an hour later)."""
    services = context.services
    now = asyncio.get_running_loop().time()
    last = context.bot_data.get("multaqa.disk_full_alerted")
    if last is not None and now - last < DISK_FULL_REMINDER:
        return
    context.bot_data["multaqa.disk_full_alerted"] = now
    log.critical("the database cannot be written: the disk is full")
    for organizer_id in services.settings.organizer_ids:
        try:
            participant = await services.participants.get(organizer_id)
            t = services.texts[participant.locale if participant else services.texts.default_locale]
            await context.bot.send_message(organizer_id, t("admin.disk_full"))
        except Exception:
            log.info("could not alert organizer %s about the full disk", organizer_id)


async def _settle_replayed(update: object, context: MultaqaContext) -> None:
    """An update replayed after a crash whose effects were saved, and which cannot be replayed
    from its journal (it took another path, or was saved by an older release): not handled
    again, and answered in one short line that it was taken into account (a toast for a
    press), instead of replies the replay may have half decided."""
    log.info("update %s replayed: its effects were already saved", getattr(update, "update_id", 0))
    replies.forget_decided()
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    t = await _translator_for(context.services, update)
    chat_id = update.effective_chat.id
    query = update.callback_query
    if query is not None:
        op = replies.answer_press(query.id, chat_id, as_plain(t("common.already_done")))
    else:
        op = replies.send_message(chat_id, str(t("common.already_done")))
    await replies.queue(context.bot, op)


async def on_error(update: object, context: MultaqaContext) -> None:
    """Log without personal data; mark blocked users; tell the person what became of their
    input: already taken into account (a replay), NOT saved (full disk), or an error."""
    error = context.error
    user_id, _ = _user_of(update)
    if isinstance(error, Forbidden) and user_id is not None:
        with contextlib.suppress(AlreadyApplied):
            await context.services.participants.set_reachable(user_id, False)
        log.info("user %s blocked the bot", user_id)
        return
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, AlreadyApplied):
        await _settle_replayed(update, context)
        return
    if isinstance(error, DatabaseFullError):
        key = "common.not_saved"
        log.error("update %s (user %s) not saved: the disk is full", update_id, user_id)
        await _alert_disk_full(context)
    else:
        # "Your answers are saved" only when a write of this update did commit.
        scope = update_scope.get()
        key = "common.error" if scope is None or scope.wrote else "common.error_not_taken"
        log.error(
            "error handling update %s (user %s): %s",
            update_id,
            user_id,
            type(error).__name__,
            exc_info=error,
        )
    if not isinstance(update, Update) or update.effective_chat is None or user_id is None:
        return
    try:
        t = await _translator_for(context.services, update)
        chat_id = update.effective_chat.id
        if update.callback_query is not None:
            # The spinner stops whatever happened (unless answered already, or too old).
            await replies.queue(
                context.bot, replies.answer_press(update.callback_query.id, chat_id)
            )
        await replies.queue(context.bot, replies.send_message(chat_id, str(t(key))))
    except Exception:  # the error may be that we cannot send (or read) at all
        log.info("could not tell user %s about the error", user_id)


def build_application(settings: Settings, clock: Clock | None = None) -> Application:
    """The Application, started by `bot.intake.start_bot` (`multaqa run` and the tests)."""
    protect_logs([settings.bot_token.get_secret_value()])  # tests and `multaqa run` alike
    policy = SendPolicy(per_second=settings.broadcast_rate)
    # One budget for everything the bot sends: replies (first) and bulk sends share it.
    budget = SendBudget(policy.per_second, policy.per_chat_seconds, policy.per_group_seconds)
    # The bulk sender has its own bot object and connection pool: a broadcast never makes
    # an interactive reply wait for a connection.
    bulk_bot = ExtBot(
        settings.bot_token.get_secret_value(),
        base_url=settings.bot_api_base_url,
        base_file_url=settings.bot_api_file_url,
        request=make_request(
            settings.transport, policy.concurrency + 4, read_timeout=5.0, pool_timeout=30.0
        ),
    )

    async def post_init(application: Application) -> None:
        if not services.db.is_open:  # start_bot opens it first, before asking Telegram
            await services.db.open()
        await bulk_bot.initialize()
        granted, revoked = await services.roles.sync_organizers(settings.organizer_ids)
        if granted or revoked:
            log.info(
                "organizer role from ORGANIZER_IDS: granted to %d, revoked from %d user(s)",
                len(granted),
                len(revoked),
            )
        await set_default_commands(application.bot, services.texts)
        organizers = await services.roles.holders("organizer")
        for user_id in sorted({*organizers, *revoked}):  # the revoked lose /admin from the menu
            participant = await services.participants.get(user_id)
            locale = participant.locale if participant else settings.default_locale
            await set_chat_commands(
                application.bot,
                user_id,
                services.texts[locale],
                await services.roles.roles_of(user_id),
            )
        if settings.event_file is not None:
            await load_at_start(services, settings.event_file)
        await services.prompts.release_in_flight()
        resumed = await services.runner.resume_all()
        if resumed:
            log.info("resuming %d campaign(s) interrupted by a stop", len(resumed))
        await services.followup.plan_all()
        await services.followup.sweep()  # this period's digests and summaries, before polling
        start_clock(application, services)
        conversation.start_sweeper(application)
        await services.organizers.start(application, services)

    async def post_shutdown(application: Application) -> None:
        await services.organizers.stop()
        await stop_clock(services)
        await services.runner.shutdown()
        await bulk_bot.shutdown()
        await services.db.close()

    application = (
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.bot_api_base_url)
        .base_file_url(settings.bot_api_file_url)
        .context_types(ContextTypes(context=MultaqaContext))
        .concurrent_updates(PerChatUpdateProcessor(settings.max_concurrent_updates))
        # 64 connections are plenty for one bot's interactive replies (and httpcore, the
        # fallback, scans every pooled connection per request: a big pool costs CPU).
        .request(make_request(settings.transport, 64, pool_timeout=10.0))
        .get_updates_request(make_request(settings.transport, 1))
        .rate_limiter(InteractiveLimiter(budget))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .updater(None)  # updates come in through bot/intake.py (the durable inbox)
        .build()
    )
    services = build_services(
        settings, clock or SystemClock(), application.bot, bulk_bot, policy, budget
    )
    application.bot_data[SERVICES_KEY] = services
    application.add_handler(TypeHandler(Update, load_who), group=-2)
    for flow in FLOWS:
        for group, handler in flow.handlers():
            application.add_handler(handler, group=group)
    application.add_error_handler(on_error)
    return application
