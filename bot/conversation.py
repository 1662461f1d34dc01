"""The conversation manager: which flow a person is in, at which step, with which answers.

DESIGN. A person is in at most one flow at a time. Each flow (registration, broadcast,
proposal, review, event file, recommendations import, and whatever comes next) declares
itself once as a `Flow`: its name, how it takes a message at its current step, how it asks
its current step again, what it is called when put aside and what is said when cancelled,
the role it needs, its one-shot steps (short expiry) and the steps where a file is content.
The manager then owns the rules every flow shares:

- One router (group 1 in bot.app) gives a message to the person's *active* flow, and only to
  it; with no active flow the message goes on to the fallbacks (group 9). Handler-group order
  no longer decides which draft a message lands in.
- Starting or continuing a flow (`save`/`start`) makes it the active one; the flow that was
  active is put aside in the same transaction and the person is told in one line
  ("Your broadcast was put aside — /resume to continue"). `/resume` takes back the most
  recently put-aside flow; pressing a button of a put-aside flow takes it back too.
- `/cancel` leaves whatever flow is active; nothing of it is kept.
- Every draft expires (DRAFT_EXPIRY_HOURS, default 24 h; one-shot prompts such as "send the tag"
  after PROMPT_EXPIRY_MINUTES): expiry is checked on every read and the clock sweeps the
  table, so an abandoned flow never catches a later message. Flows write their results only
  at their last step, so deleting a draft leaves nothing half-written.
- A replayed update (after a crash Telegram delivers again what was not confirmed) is
  recognised by the update id stored with the draft and re-asks the step instead of
  applying the answer twice.
- An edited message goes to the active flow's `on_edit` (a proposal replaces the edited
  part); elsewhere the person gets a short answer. An edit is never taken as new content.

Why our own manager over the drafts table rather than PTB's ConversationHandler with a
persistence: ConversationHandler keeps one state per handler, so six handlers mean six
independent states and nothing stops two flows from being active at once; "put the other
one aside and say so" and "/cancel anything" would have to be re-written as fallbacks in
every one of them. PTB persistence writes on a timer or at shutdown (update_persistence), not
before the reply, so a crash after the reply loses the answer; its data is a pickle or a
dict blob, not rows that expiry, the CLI and tests can query. Timeouts (conversation_timeout)
live in the JobQueue and are lost on restart. The drafts table gives all of that with plain
SQL in one transaction per answer.

Plugging in a flow:
    CONVERSATION = Flow(name="followup", on_message=on_message, ask=ask,
                        title_key="conv.flow_followup", cancelled_key="fu.cancelled",
                        role="delegate")
Add the module to bot.app.FLOWS; start it with `await conversations(context).start(update,
context, "followup", "status", {...})`, move it with `.save(update, context, draft)`, end it
with `.end(context, draft)`. Its buttons read the draft from `context.who.drafts` (or
`.get(...)`) and call `.save`, which makes it active again if it was put aside.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import ReplyKeyboardRemove, Update

from bot import replies
from bot.context import MultaqaContext
from storage.drafts import Draft, DraftRepository

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0

Step = Callable[[Update, MultaqaContext, Draft], Awaitable[Any]]
Key = str | Callable[[Draft], str]


@dataclass(frozen=True, slots=True)
class Flow:
    """How one flow plugs into the manager."""

    name: str  # the drafts.flow value
    on_message: Step  # a message while active; returning False lets the fallbacks answer it
    ask: Step  # show the current step again (/resume, a replayed update)
    title_key: Key  # its name in "… was put aside" (a key, or a function of the draft)
    cancelled_key: Key  # what /cancel says
    role: str | None = None  # checked on every message: without it the draft is dropped
    short_steps: frozenset[str] = frozenset()  # one-shot prompts: PROMPT_EXPIRY_MINUTES
    file_steps: frozenset[str] = frozenset()  # a file sent here is content, not an upload
    on_edit: Callable[[Update, MultaqaContext, Draft], Awaitable[bool]] | None = None

    def key(self, which: Key, draft: Draft) -> str:
        """A text key that may depend on the draft."""
        return which if isinstance(which, str) else which(draft)


class Conversations:
    """The manager (one per Application, in `services.conversations`)."""

    def __init__(
        self,
        drafts: DraftRepository,
        flows: list[Flow],
        ttl: timedelta,
        prompt_ttl: timedelta,
    ) -> None:
        self.drafts = drafts
        self.flows = {flow.name: flow for flow in flows}
        self.ttl = ttl
        self.prompt_ttl = prompt_ttl

    def ttl_of(self, draft: Draft) -> timedelta:
        """How long this draft lives without an answer."""
        flow = self.flows.get(draft.flow)
        return self.prompt_ttl if flow and draft.step in flow.short_steps else self.ttl

    @staticmethod
    def replayed(update: Update, draft: Draft) -> bool:
        """Whether this update already moved the draft (delivered again after a crash)."""
        return draft.update_id is not None and update.update_id <= draft.update_id

    async def start(
        self,
        update: Update,
        context: MultaqaContext,
        flow: str,
        step: str,
        data: dict[str, Any] | None = None,
    ) -> Draft:
        """Begin a flow at `step` (replacing an earlier draft of the same flow)."""
        draft = Draft(context.who.user.id, flow, step, data or {})
        await self.save(update, context, draft)
        return draft

    async def save(self, update: Update, context: MultaqaContext, draft: Draft) -> None:
        """Write the draft as the active flow before anything is answered; the flow that was
        active is put aside and the person told in one line."""
        if draft.flow not in self.flows:
            raise ValueError(f"unknown flow {draft.flow!r}")
        draft.update_id = max(update.update_id, draft.update_id or 0)
        aside = await self.drafts.save(draft, self.ttl_of(draft))
        who = context.who
        for other in who.drafts.values():
            other.active = False
        draft.active = True
        who.drafts[draft.flow] = draft
        for name in aside:
            await self._say_aside(update, context, name)

    async def end(self, context: MultaqaContext, draft: Draft) -> None:
        """The flow is finished or abandoned: forget its draft."""
        await self.drafts.delete(draft.user_id, draft.flow)
        context.who.drafts.pop(draft.flow, None)

    async def _say_aside(self, update: Update, context: MultaqaContext, name: str) -> None:
        flow = self.flows.get(name)
        draft = context.who.drafts.get(name)
        if flow is None or draft is None:
            return
        t = context.who.t
        title = t(flow.key(flow.title_key, draft))
        chat = update.effective_chat
        if chat is None:
            return
        context.sent_message = True  # the next question comes after this line, not above it
        await replies.queue(
            context.bot,
            replies.send_message(
                chat.id, str(t("conv.put_aside", flow=title)), ReplyKeyboardRemove()
            ),
        )

    async def allowed(self, context: MultaqaContext, draft: Draft) -> bool:
        """Whether the draft's flow is declared here and the person still holds its role; a
        draft whose role was revoked is dropped. A flow not declared (a module that keeps
        its own MessageHandler) is left to its handlers."""
        flow = self.flows.get(draft.flow)
        if flow is None:
            return False
        if flow.role is None or flow.role in context.who.roles:
            return True
        log.warning("draft %s of user %s dropped: role %s", draft.flow, draft.user_id, flow.role)
        await self.end(context, draft)
        return False


def conversations(context: MultaqaContext) -> Conversations:
    """The manager of this Application."""
    return context.services.conversations


def wants_file(context: MultaqaContext) -> bool:
    """Whether a file sent now is content for the active flow (a broadcast's photo, a
    proposal's document) rather than something to load (an event file, a table)."""
    draft = context.who.active if context.has_who else None
    if draft is None:
        return False
    flow = conversations(context).flows.get(draft.flow)
    return flow is not None and draft.step in flow.file_steps
