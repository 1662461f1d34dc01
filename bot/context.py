"""Typed access to the bot's services and to the person behind the current update."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telegram import Bot, User
from telegram.ext import Application, CallbackContext, ExtBot

from bot.i18n import Translations, Translator
from bot.settings import Settings
from storage.campaigns import CampaignRepository
from storage.clock import Clock
from storage.database import Database
from storage.drafts import Draft, DraftRepository
from storage.participants import Participant, ParticipantRepository
from storage.roles import AuditLog, RoleRepository

if TYPE_CHECKING:
    from bot.conversation import Conversations
    from bot.event.service import EventService
    from bot.followup.service import FollowUpService
    from bot.outbound.campaigns import CampaignRunner
    from storage.event import CheckinRepository, PromptRepository, SignupRepository
    from storage.proposals import ProposalRepository, RecommendationRepository

SERVICES_KEY = "multaqa.services"


@dataclass(slots=True)
class Services:
    """Everything handlers use; built in `bot.app`, opened in post_init."""

    settings: Settings
    clock: Clock
    db: Database
    texts: Translations
    participants: ParticipantRepository
    drafts: DraftRepository
    roles: RoleRepository
    audit: AuditLog
    campaigns: CampaignRepository
    runner: CampaignRunner
    bot: Bot  # the Application's bot: interactive messages (progress, reports)
    sender_rate: float  # messages per second of the bulk sender, for time estimates
    event: EventService
    signups: SignupRepository
    checkins: CheckinRepository
    prompts: PromptRepository
    proposals: ProposalRepository
    recommendations: RecommendationRepository
    followup: FollowUpService
    conversations: Conversations = None  # type: ignore[assignment]  # set by bot.app
    kick: Callable[[], None] | None = None  # set by bot.outbound.schedule: run the clock now
    clock_lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one tick at a time

    def kick_clock(self) -> None:
        """Deliver due rows now rather than at the next tick (e.g. a seat just freed)."""
        if self.kick is not None:
            self.kick()


@dataclass(slots=True)
class Who:
    """The person behind an update, as far as the database knows them."""

    user: User
    participant: Participant | None
    drafts: dict[str, Draft]  # live drafts by flow: at most one active, others put aside
    roles: frozenset[str]
    locale: str
    t: Translator

    @property
    def is_organizer(self) -> bool:
        """Whether this person holds the organizer role right now."""
        return "organizer" in self.roles

    @property
    def active(self) -> Draft | None:
        """The flow this person is in (the one their messages go to), if any."""
        return next((d for d in self.drafts.values() if d.active), None)

    @property
    def registration(self) -> Draft | None:
        """Their registration or profile edit in progress (active or put aside)."""
        return self.drafts.get("registration")

    @registration.setter
    def registration(self, draft: Draft | None) -> None:
        if draft is None:
            self.drafts.pop("registration", None)
        else:
            self.drafts["registration"] = draft


class MultaqaContext(CallbackContext[ExtBot[None], dict, dict, dict]):
    """CallbackContext with `services` and `who` (set by the loader in group -1)."""

    @property
    def services(self) -> Services:
        """The bot's services."""
        return services_of(self.application)

    @property
    def who(self) -> Who:
        """The person behind this update; loaded once per update."""
        who = self.__dict__.get("_who")
        if who is None:
            raise RuntimeError("who is only known for updates with a user (see bot.app)")
        return who

    @who.setter
    def who(self, value: Who) -> None:
        self.__dict__["_who"] = value

    @property
    def pressed_message_edited(self) -> bool:
        """Whether this update already turned the pressed message into something new."""
        return bool(self.__dict__.get("_pressed_edited"))

    @pressed_message_edited.setter
    def pressed_message_edited(self, value: bool) -> None:
        self.__dict__["_pressed_edited"] = value

    @property
    def sent_message(self) -> bool:
        """Whether a new message was already sent while handling this update."""
        return bool(self.__dict__.get("_sent"))

    @sent_message.setter
    def sent_message(self, value: bool) -> None:
        self.__dict__["_sent"] = value

    @property
    def has_who(self) -> bool:
        """Whether the update came from a user."""
        return "_who" in self.__dict__


def services_of(application: Application) -> Services:  # type: ignore[type-arg]
    """The services stored on an application."""
    return application.bot_data[SERVICES_KEY]
