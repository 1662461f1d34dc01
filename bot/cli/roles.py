"""`multaqa roles list|grant|revoke`: who holds which role, on the terminal.

How roles from here and ORGANIZER_IDS live together (see also the README):
- ORGANIZER_IDS is applied at every start: its ids get the organizer role, and a role that
  came from ORGANIZER_IDS is taken away once the id is no longer in it.
- `grant` here is a decision of its own: the role is kept when the id leaves ORGANIZER_IDS,
  until `revoke`. (Granting here to someone already in ORGANIZER_IDS makes it such a grant.)
- `revoke` here takes the role away at once (the bot checks roles on every use); for an id
  still in ORGANIZER_IDS the next start grants it again, so remove it there too.
Every grant and revoke is written to the audit log.
"""

from __future__ import annotations

import argparse

from bot.cli import texts as out
from bot.settings import Settings
from storage.clock import SystemClock
from storage.database import Database
from storage.participants import ParticipantRepository
from storage.roles import RoleRepository

ROLES = ("organizer", "delegate")
_SOURCES = {
    "terminal": "cli.roles_terminal",
    "invite": "cli.roles_invite",
    "assignment": "cli.roles_assignment",
}

ROLE_NAMES = {"organizer": "cli.role_organizer", "delegate": "cli.role_delegate"}


def _role(code: str) -> str:
    """A role's name in the terminal's language (the code is what --role takes)."""
    return out.text(ROLE_NAMES[code]) if code in ROLE_NAMES else code


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `roles` subcommands."""
    sub = parser.add_subparsers(dest="roles_command", required=True)
    listing = sub.add_parser("list", help=out.text("cli.help_roles_list"))
    listing.add_argument("--role", choices=ROLES)
    for name in ("grant", "revoke"):
        one = sub.add_parser(name, help=out.text(f"cli.help_roles_{name}"))
        one.add_argument("user_id", type=int, help=out.text("cli.help_roles_user_id"))
        one.add_argument("--role", choices=ROLES, default="organizer")


async def run_roles(args: argparse.Namespace, settings: Settings) -> int:
    """0 when done; 1 when there was nothing to do (already held, or not held)."""
    clock = SystemClock()
    db = await Database(settings.database_path).open()
    try:
        roles = RoleRepository(db, clock)
        in_settings = set(settings.organizer_ids)
        if args.roles_command == "list":
            return await _list(roles, ParticipantRepository(db, clock), args.role, in_settings)
        user_id, role = args.user_id, args.role
        if args.roles_command == "grant":
            if not await roles.grant(user_id, role, None, "terminal"):
                out.echo("cli.roles_already", user=str(user_id), role=_role(role))
                return 1
            out.echo("cli.roles_granted", user=str(user_id), role=_role(role))
            return 0
        if not await roles.revoke(user_id, role, None, "terminal"):
            out.echo("cli.roles_not_held", user=str(user_id), role=_role(role))
            return 1
        out.echo("cli.roles_revoked", user=str(user_id), role=_role(role))
        if role == "organizer" and user_id in in_settings:
            out.echo("cli.roles_still_in_settings", user=str(user_id))
        return 0
    finally:
        await db.close()


async def _list(
    roles: RoleRepository,
    participants: ParticipantRepository,
    role: str | None,
    in_settings: set[int],
) -> int:
    grants = await roles.grants(role)  # type: ignore[arg-type]
    if not grants:
        out.echo("cli.roles_nobody")
    for grant in grants:
        participant = await participants.get(grant.user_id)
        name = participant.full_name if participant else out.text("cli.roles_not_registered")
        source = (
            "ORGANIZER_IDS"  # the setting's name, the same in every language
            if grant.source == "settings"
            else out.text(_SOURCES.get(grant.source, "cli.roles_terminal"))
        )
        out.echo(
            "cli.roles_line",
            user=str(grant.user_id),
            role=_role(grant.role),
            source=source,
            since=grant.granted_at[:16],
            name=name,
        )
    held = {g.user_id for g in grants if g.role == "organizer"}
    waiting = sorted(in_settings - held)
    if waiting and role in (None, "organizer"):
        out.echo("cli.roles_waiting", users=", ".join(map(str, waiting)))
    return 0
