"""Follow-up as a service: who is asked what and when, what a prompt, an escalation, a
summary and a digest say, and what happens when a delegate answers.

Everything it sends goes through the clock's rows (`prompts`): a prompt is planned for a
delegate at the moment the policy gives, re-planned on every change (an answer, an owner, a
due date, a new event version), and composed when it is due, from the database as it is then.
A restart therefore neither loses nor doubles a prompt: the row is keyed, claimed and settled
like every reminder."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup
from telegram import InlineKeyboardMarkup

from bot.event.follow_up import FollowUpPolicy
from bot.event.service import EventService, localized_text
from bot.followup import buttons
from bot.followup.planner import (
    GROUP_WINDOW,
    FollowState,
    after_prompt,
    days_late,
    digest_period,
    local_day,
    next_allowed,
    next_digest_at,
    next_prompt,
    overdue_from,
    silence_escalation_at,
    weekly_summary_at,
)
from bot.i18n import Translations, Translator
from bot.settings import Settings
from bot.views.keyboards import inline_keyboard
from storage.clock import Clock
from storage.database import Database
from storage.event import PlannedPrompt, Prompt, PromptRepository
from storage.followup import FollowUpRepository, StatusUpdate, Tracked
from storage.participants import ParticipantRepository
from storage.roles import RoleRepository

log = logging.getLogger(__name__)

FOLLOW_UP_KINDS = ("followup", "escalation", "weekly_summary", "digest")
STATUS_ICONS = {
    "not_started": "⚪",
    "in_progress": "🟡",
    "done": "🟢",
    "blocked": "🔴",
    "dropped": "⚫",
}
MAX_BUTTONS = 20  # recommendations offered in one prompt message


@dataclass(frozen=True, slots=True)
class Composed:
    """A message ready to send."""

    text: Markup
    markup: InlineKeyboardMarkup | None = None


def status_label(t: Translator, status: str) -> str:
    """A status with its colour, in the reader's language (plain text)."""
    return t.plain("fu.status_label", icon=STATUS_ICONS.get(status, ""), status=t(f"rec.{status}"))


def rec_button_label(t: Translator, rec: Tracked) -> str:
    """A short button label for one recommendation: through the catalogue, so that in Arabic
    it starts right to left and the reference and the text keep their own direction."""
    text = rec.text if len(rec.text) <= 40 else rec.text[:39] + "…"
    return t.plain(
        "fu.rec_button", icon=STATUS_ICONS.get(rec.status, ""), ref=rec.reference, text=text
    )


class FollowUpService:
    """Plans, composes and records the follow-up of recommendations."""

    def __init__(
        self,
        repo: FollowUpRepository,
        prompts: PromptRepository,
        participants: ParticipantRepository,
        roles: RoleRepository,
        event: EventService,
        texts: Translations,
        clock: Clock,
    ) -> None:
        self.repo = repo
        self.prompts = prompts
        self.participants = participants
        self.roles = roles
        self.event = event
        self.texts = texts
        self.clock = clock
        self._digest_planned: int | None = None  # the digest period already planned here

    @classmethod
    def for_database(cls, db: Database, settings: Settings, clock: Clock) -> FollowUpService:
        """The service on its own (command-line tools): its notices are rows the running
        bot's clock delivers."""
        event = EventService.for_database(db, settings, clock)
        return cls(
            FollowUpRepository(db, clock),
            event.prompts,
            event.participants,
            RoleRepository(db, clock),
            event,
            event.texts,
            clock,
        )

    # --- the policy ------------------------------------------------------------------------

    async def _policy(self) -> tuple[FollowUpPolicy, ZoneInfo, datetime] | None:
        event = await self.event.current()
        if event is None:
            return None
        return event.follow_up, event.zone, event.event.end

    async def zone(self) -> ZoneInfo:
        """The one time zone (the event's; the settings' before any event is loaded)."""
        return await self.event.zone()

    async def today(self) -> date:
        """Today in the event's zone."""
        return local_day(self.clock.now(), await self.zone())

    async def translator(self, user_id: int) -> Translator:
        """The person's language (the default one if unknown)."""
        locale = await self.participants.locale_of(user_id)
        return self.texts[locale or self.texts.default_locale]

    async def known_name(self, user_id: int) -> str | None:
        """A person as others read them: their registered name, else the Telegram name of a
        role holder who never registered (None if neither is known)."""
        person = await self.participants.get(user_id)
        if person is not None:
            return person.full_name
        return await self.repo.pref(user_id, "telegram_name")

    async def person_name(self, user_id: int) -> str:
        """`known_name`, else the id."""
        return await self.known_name(user_id) or str(user_id)

    async def workshop_title(self, t: Translator, workshop_id: str | None) -> str:
        """A recommendation's workshop in the reader's language ("General" for none)."""
        event = await self.event.current()
        workshop = event.workshop(workshop_id) if event and workshop_id else None
        if workshop is None:
            return t.plain("fu.general")
        return localized_text(dict(workshop.title), t)

    # --- planning --------------------------------------------------------------------------

    async def plan_delegate(self, user_id: int) -> datetime | None:
        """Make the delegate's next prompt row match the policy; returns when it is due."""
        policy = await self._policy()
        recs = await self.repo.of_owner(user_id, open_only=True)
        if policy is None or not recs:
            await self.prompts.plan(user_id, ("followup",), [])
            return None
        rules, zone, end = policy
        now = self.clock.now()
        due_at = min(next_prompt(rules, zone, end, r.due_date, r.state, now) for r in recs)
        await self.prompts.plan(
            user_id,
            ("followup",),
            [
                PlannedPrompt(
                    f"followup:{user_id}:{due_at.isoformat()}", "followup", user_id, None, due_at
                )
            ],
        )
        await self._plan_overdue(recs, rules, zone)
        return due_at

    async def plan_all(self) -> int:
        """Re-plan every delegate (at start, after an event version); returns how many."""
        delegates = await self.repo.delegates()
        for user_id in delegates:
            await self.plan_delegate(user_id)
        return len(delegates)

    async def _plan_overdue(
        self, recs: list[Tracked], rules: FollowUpPolicy, zone: ZoneInfo
    ) -> None:
        if not rules.escalate_overdue:
            return
        organizers = await self.roles.holders("organizer")
        rows = []
        for rec in recs:
            if rec.due_date is None or rec.state.escalated_overdue == rec.due_date:
                continue
            at = next_allowed(overdue_from(rec.due_date, zone), rules, zone)
            rows += [
                PlannedPrompt(
                    f"overdue:{rec.id}:{rec.due_date.isoformat()}:{org}",
                    "escalation",
                    org,
                    str(rec.id),
                    at,
                    {"reason": "overdue", "due": rec.due_date.isoformat()},
                )
                for org in organizers
            ]
        await self.prompts.add(rows)

    async def next_sweep_at(self) -> datetime | None:
        """When `sweep` next has a period to plan: the next digest's. (Weekly summaries are
        planned ahead, a week at a time, by every sweep; the clock sweeps at least daily.)"""
        policy = await self._policy()
        if policy is None:
            return None
        rules, zone, end = policy
        return next_digest_at(rules, zone, end, self.clock.now())

    async def coming_digest_at(self) -> datetime | None:
        """When the next digest goes out, if one would as things stand: the next period's start,
        when a recommendation moved since the current period began (else nobody gets one)."""
        policy = await self._policy()
        if policy is None:
            return None
        rules, zone, end = policy
        now = self.clock.now()
        moment = next_digest_at(rules, zone, end, now)
        if moment is None:
            return None
        current = digest_period(rules, zone, end, now)
        since = current[1] if current is not None else None
        return moment if await self.repo.moved_since(since) else None

    async def sweep(self) -> int:
        """Make sure the rows of the current digest period and weekly summary exist."""
        policy = await self._policy()
        if policy is None:
            return 0
        rules, zone, end = policy
        now = self.clock.now()
        rows: list[PlannedPrompt] = []
        period = digest_period(rules, zone, end, now)
        if period is not None and period[0] != self._digest_planned:
            number, moment = period
            since = moment - timedelta(days=rules.digest.every_days) if number > 0 else None
            # Nothing moved since the last digest: nobody gets an empty one.
            if await self.repo.moved_since(since):
                for user_id, _locale in await self.participants.everyone():
                    rows.append(
                        PlannedPrompt(
                            f"digest:{number}:{user_id}", "digest", user_id, str(number), moment
                        )
                    )
                self._digest_planned = number
        weekly = weekly_summary_at(rules, zone, now)
        if weekly is not None and now >= end and await self.repo.all():
            week = weekly.astimezone(zone).strftime("%G-W%V")
            for org in await self.roles.holders("organizer"):
                rows.append(
                    PlannedPrompt(f"weekly:{week}:{org}", "weekly_summary", org, week, weekly)
                )
        await self.prompts.add(rows)
        return len(rows)

    # --- owners ----------------------------------------------------------------------------

    async def owner_changed(
        self, rec_id: int, old: int | None, new: int | None, by_user: int | None
    ) -> None:
        """Tell the new owner what is asked of them, and the former one that it is taken
        away; re-plan both."""
        rec = await self.repo.get(rec_id)
        if rec is None or old == new:
            return
        now = self.clock.now()
        assigner = await self.known_name(by_user) if by_user else None
        notices = []
        if new is not None:
            t = await self.translator(new)
            notices.append(
                PlannedPrompt.notice(
                    f"assigned:{rec_id}:{new}:{now.isoformat()}",
                    new,
                    await self.assignment_text(t, rec, assigner),
                    now,
                    str(rec_id),
                )
            )
            await self.plan_delegate(new)
        if old is not None:
            t = await self.translator(old)
            notices.append(
                PlannedPrompt.notice(
                    f"unassigned:{rec_id}:{old}:{now.isoformat()}",
                    old,
                    t("fu.unassigned", ref=rec.reference, text=rec.text),
                    now,
                    str(rec_id),
                )
            )
            await self.plan_delegate(old)
        await self.prompts.add(notices)

    async def assignment_text(self, t: Translator, rec: Tracked, assigner: str | None) -> str:
        """What a new owner reads."""
        zone = await self.zone()
        return t(
            "fu.assigned",
            ref=rec.reference,
            text=rec.text,
            workshop=await self.workshop_title(t, rec.workshop_id),
            due=self.due_text(t, rec.due_date, zone),
            assigner=assigner or t("fu.the_organizers"),
        )

    def due_text(self, t: Translator, due: date | None, zone: ZoneInfo) -> str:
        """A due date in the reader's format, or "no due date"."""
        if due is None:
            return t("fu.no_due")
        return t.date(datetime.combine(due, datetime.min.time(), tzinfo=zone), zone)

    async def adopt_new(self, rec_ids: list[int], by_user: int | None) -> None:
        """Recommendations just created with an owner (review, import): the owner becomes a
        delegate, starts a cadence and is told."""
        for rec_id in rec_ids:
            owner = await self.repo.adopt(rec_id, by_user)
            if owner is not None:
                await self.owner_changed(rec_id, None, owner, by_user)

    async def drop(self, rec_id: int, by_user: int | None, update_id: int | None = None) -> bool:
        """An organizer drops a recommendation: kept in the timeline, the owner told and no
        longer prompted. False if it was not open."""
        rec = await self.repo.get(rec_id)
        if rec is None or not rec.is_open:
            return False
        await self.repo.record(rec_id, by_user, "dropped", update_id=update_id)
        if rec.owner_id is not None:
            t = await self.translator(rec.owner_id)
            now = self.clock.now()
            text = t("fu.dropped_notice", ref=rec.reference, text=rec.text)
            await self.prompts.add(
                [
                    PlannedPrompt.notice(
                        f"dropped:{rec_id}:{now.isoformat()}", rec.owner_id, text, now, str(rec_id)
                    )
                ]
            )
            await self.plan_delegate(rec.owner_id)
        return True

    async def extend(self, rec_id: int, due: date, by_user: int | None) -> bool:
        """A new due date: recorded, the owner told, the cadence re-planned."""
        if await self.repo.extend(rec_id, due, by_user) is False:
            return False
        rec = await self.repo.get(rec_id)
        if rec is not None and rec.owner_id is not None:
            t = await self.translator(rec.owner_id)
            now = self.clock.now()
            text = t(
                "fu.extended_notice",
                ref=rec.reference,
                text=rec.text,
                due=self.due_text(t, due, await self.zone()),
            )
            await self.prompts.add(
                [
                    PlannedPrompt.notice(
                        f"extended:{rec_id}:{now.isoformat()}", rec.owner_id, text, now, str(rec_id)
                    )
                ]
            )
            await self.plan_delegate(rec.owner_id)
        return True

    async def assign(self, rec_id: int, owner_id: int | None, by_user: int | None) -> bool:
        """Give a recommendation an owner and tell the people concerned."""
        changed = await self.repo.assign(rec_id, owner_id, by_user)
        if changed is None:
            return False
        old, new = changed
        await self.owner_changed(rec_id, old, new, by_user)
        return True

    # --- prompts ---------------------------------------------------------------------------

    async def card(self, t: Translator, rec: Tracked) -> str:
        """One recommendation as a delegate or organizer reads it."""
        zone = await self.zone()
        last = await self.repo.last_status_update(rec.id)
        lines = [
            t(
                "fu.card",
                ref=rec.reference,
                text=rec.text,
                workshop=await self.workshop_title(t, rec.workshop_id),
                due=self.due_text(t, rec.due_date, zone),
                status=status_label(t, rec.status),
                progress=rec.progress,
            )
        ]
        if last is not None and last.comment:
            lines.append(t("fu.last_comment", comment=last.comment, when=t.date(last.at, zone)))
        return Markup("\n").join(lines)

    def status_rows(self, t: Translator, rec: Tracked) -> list[list[tuple[str, str]]]:
        """Not started · In progress / Done · Blocked, in logical order (to lay out once)."""
        return [
            [
                (status_label(t, status), buttons.STATUS(rec.id, code))
                for code, status in list(buttons.STATUS_CODES.items())[row * 2 : row * 2 + 2]
            ]
            for row in range(2)
        ]

    def status_buttons(self, t: Translator, rec: Tracked) -> InlineKeyboardMarkup:
        """Not started / In progress / Done / Blocked for one recommendation."""
        return inline_keyboard(self.status_rows(t, rec), t.is_rtl)

    async def compose_prompt(
        self, user_id: int, t: Translator, forced: tuple[int, ...] = ()
    ) -> tuple[Composed, dict[int, FollowState]] | None:
        """The prompt due for a delegate now, and the states it will leave; None if nothing
        is due (an answer came in since it was planned). `forced`: recommendations an
        organizer asked about now, whatever the cadence."""
        policy = await self._policy()
        if policy is None:
            return None
        rules, zone, end = policy
        now = self.clock.now()
        recs = await self.repo.of_owner(user_id, open_only=True)
        due = [
            r
            for r in recs
            if r.id in forced
            or next_prompt(rules, zone, end, r.due_date, r.state, now) <= now + GROUP_WINDOW
        ]
        if not due:
            return None
        covered = {r.id: after_prompt(r.state, rules, zone, r.due_date, now) for r in due}
        if len(due) == 1:
            rec = due[0]
            text = Markup("\n\n").join(
                [t("fu.prompt_one"), await self.card(t, rec), t("fu.prompt_how")]
            )
            return Composed(text, self.status_buttons(t, rec)), covered
        shown = due[:MAX_BUTTONS]
        lines = [t.plural("fu.prompt_many", len(due))]
        for rec in shown:
            lines.append(
                t(
                    "fu.prompt_line",
                    icon=STATUS_ICONS[rec.status],
                    ref=rec.reference,
                    text=rec.text if len(rec.text) <= 200 else rec.text[:199] + "…",
                    due=self.due_text(t, rec.due_date, zone),
                )
            )
        lines.append(t("fu.prompt_pick"))
        markup = inline_keyboard(
            [[(rec_button_label(t, rec), buttons.OPEN(rec.id))] for rec in shown], t.is_rtl
        )
        return Composed(Markup("\n").join(lines), markup), covered

    async def prompt_sent(self, user_id: int, covered: dict[int, FollowState]) -> None:
        """After a prompt went: remember it, plan the escalation of a silence (after its grace
        period), plan the next prompt."""
        await self.repo.mark_prompted(covered)
        policy = await self._policy()
        if policy is not None:
            rules, zone, _end = policy
            now = self.clock.now()
            organizers = await self.roles.holders("organizer")
            for rec_id, state in covered.items():
                at = silence_escalation_at(state, rules, zone)
                if at is not None and await self.repo.mark_escalated(
                    rec_id, silent=state.silent_prompts
                ):
                    await self.prompts.add(
                        [
                            PlannedPrompt(
                                f"silent:{rec_id}:{state.silent_prompts}:{now.isoformat()}:{org}",
                                "escalation",
                                org,
                                str(rec_id),
                                at,
                                {"reason": "silent", "prompts": state.silent_prompts},
                            )
                            for org in organizers
                        ]
                    )
        await self.plan_delegate(user_id)

    async def record(
        self,
        rec_id: int,
        user_id: int,
        status: str,
        progress: int | None,
        comment: str | None,
        evidence: list,
        update_id: int | None,
    ) -> StatusUpdate | None:
        """A delegate's answer; None unless they own this open recommendation."""
        rec = await self.repo.get(rec_id)
        if rec is None or rec.owner_id != user_id or rec.status == "dropped":
            return None
        update = await self.repo.record(
            rec_id, user_id, status, progress, comment, evidence, update_id
        )
        if update is not None and status == "blocked":
            await self._blocked(rec_id, update)
        await self.plan_delegate(user_id)
        return update

    async def _blocked(self, rec_id: int, update: StatusUpdate) -> None:
        """A delegate reports a recommendation blocked: its organizers are told at once, with
        the reason and the escalation's actions (not only on the board)."""
        organizers = await self.roles.holders("organizer")
        await self.prompts.add(
            [
                PlannedPrompt(
                    f"blocked:{rec_id}:{update.id}:{org}",
                    "escalation",
                    org,
                    str(rec_id),
                    update.at,
                    {"reason": "blocked", "update": update.id},
                )
                for org in organizers
            ]
        )

    # --- escalations, summaries, digests ----------------------------------------------------

    def escalation_buttons(self, t: Translator, rec_id: int) -> InlineKeyboardMarkup:
        """Re-prompt now, reassign, extend, drop."""

        def button(key: str, action: str) -> tuple[str, str]:
            return t.plain(key), buttons.FE.buttons[action](rec_id)

        return inline_keyboard(
            [
                [button("fu.esc.reprompt", "rp"), button("fu.esc.reassign", "ra")],
                [button("fu.esc.extend", "ex"), button("fu.esc.drop", "dr")],
            ],
            t.is_rtl,
        )

    async def compose_escalation(self, prompt: Prompt, t: Translator) -> Composed | None:
        """One message per case for an organizer; None when the case resolved itself."""
        if not prompt.subject or not prompt.subject.isdigit():
            return None
        rec = await self.repo.get(int(prompt.subject))
        if rec is None or not rec.is_open or rec.owner_id is None:
            return None
        zone = await self.zone()
        now = self.clock.now()
        reason = prompt.payload.get("reason")
        if reason == "overdue":
            if rec.due_date is None or rec.due_date.isoformat() != prompt.payload.get("due"):
                return None  # the due date moved since
            if not await self.repo.mark_escalated(rec.id, overdue=rec.due_date):
                # another organizer's row of the same case marked it: still tell this one
                pass
            why = t.plural("fu.esc.overdue", days_late(rec.due_date, now, zone) or 1)
        elif reason == "blocked":
            last = await self.repo.last_status_update(rec.id)
            if rec.status != "blocked" or last is None or last.id != prompt.payload.get("update"):
                return None  # unblocked, or a newer answer, since
            why = t("fu.esc.blocked")  # the reason is the card's last comment, below
        else:
            if rec.state.silent_prompts < int(prompt.payload.get("prompts") or 1):
                return None  # the delegate answered in the grace period
            why = t.plural("fu.esc.silent", rec.state.silent_prompts)
        owner = await self.participants.get(rec.owner_id)
        last = await self.repo.last_status_update(rec.id)
        last_text = (
            t(
                "fu.esc.last",
                status=status_label(t, last.to_status or ""),
                when=t.date(last.at, zone),
            )
            if last
            else t("fu.esc.never")
        )
        text = Markup("\n").join(
            [
                t("fu.esc.title", why=why),
                await self.card(t, rec),
                t("fu.esc.owner", owner=owner.full_name if owner else "—"),
                last_text,
            ]
        )
        return Composed(text, self.escalation_buttons(t, rec.id))

    async def summary_lines(self, t: Translator) -> list[str]:
        """Counts by status, overall and per workshop, and the overdue count."""
        counts = await self.repo.counts()
        event = await self.event.current()
        totals: dict[str, int] = {}
        for (_ws, status), n in counts.items():
            totals[status] = totals.get(status, 0) + n
        lines = [
            t.plural(
                "fu.summary.total",
                sum(totals.values()),
                statuses=" · ".join(
                    f"{STATUS_ICONS[s]} {t.number(totals.get(s, 0))}" for s in STATUS_ICONS
                ),
            )
        ]
        workshops = sorted({ws for ws, _ in counts}, key=lambda w: (w is None, w or ""))
        for ws in workshops:
            per = {s: counts.get((ws, s), 0) for s in STATUS_ICONS}
            title = await self.workshop_title(t, ws)
            if event is None and ws is not None:
                title = ws
            lines.append(
                t(
                    "fu.summary.workshop",
                    workshop=title,
                    statuses=" · ".join(f"{STATUS_ICONS[s]} {t.number(n)}" for s, n in per.items()),
                )
            )
        overdue = await self.repo.open_overdue(await self.today())
        lines.append(t.plural("fu.summary.overdue", len(overdue)))
        return lines

    async def compose_weekly(self, user_id: int, t: Translator) -> Composed | None:
        """The organizers' weekly summary; None if switched off or nothing to follow."""
        if await self.repo.pref(user_id, "weekly_summary") == "off":
            return None
        if not await self.repo.all():
            return None
        text = Markup("\n").join([t("fu.weekly.title"), *await self.summary_lines(t)])
        markup = inline_keyboard([[(t.plain("fu.weekly.off"), buttons.WEEKLY_OFF())]], t.is_rtl)
        return Composed(text, markup)

    async def compose_digest(self, prompt: Prompt, t: Translator) -> Composed | None:
        """ "You said, we did" for one participant: what moved since the last digest, and
        the fate of their own proposals; None if opted out or nothing to say."""
        if await self.repo.digest_opted_out(prompt.user_id):
            return None
        policy = await self._policy()
        if policy is None:
            return None
        rules, _zone, _end = policy
        # Period 0 tells everything that moved since the event; later ones, since the last.
        number = int(prompt.subject or 0)
        since = prompt.due_at - timedelta(days=rules.digest.every_days) if number > 0 else None
        moved = await self.repo.moved_since(since)
        fates = await self.repo.fates_of_author(prompt.user_id)
        lines: list[str] = []
        if moved:
            lines.append(t.plural("fu.digest.moved", len(moved)))
            for rec in moved[:15]:
                lines.append(
                    t(
                        "fu.digest.rec",
                        icon=STATUS_ICONS[rec.status],
                        ref=rec.reference,
                        text=rec.text if len(rec.text) <= 160 else rec.text[:159] + "…",
                        status=t(f"rec.{rec.status}"),
                        progress=rec.progress,
                    )
                )
        mine = [f for f in fates if f[2] is not None]
        if mine:
            lines.append(t("fu.digest.yours"))
            for proposal_id, _status, rec_id in mine[:15]:
                rec = await self.repo.get(rec_id) if rec_id else None
                if rec is None:
                    continue
                lines.append(
                    t(
                        "fu.digest.your_line",
                        proposal=f"P-{proposal_id:04d}",
                        ref=rec.reference,
                        text=rec.text if len(rec.text) <= 160 else rec.text[:159] + "…",
                        status=status_label(t, rec.status),
                        progress=rec.progress,
                    )
                )
        if not lines:
            return None
        text = Markup("\n").join([t("fu.digest.title"), *lines])
        markup = inline_keyboard([[(t.plain("fu.digest.off"), buttons.DIGEST_OFF())]], t.is_rtl)
        return Composed(text, markup)
