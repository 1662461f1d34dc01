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

from bot.settings import Settings
from storage.clock import SystemClock
from storage.database import Database
from storage.participants import ParticipantRepository
from storage.roles import RoleRepository

ROLES = ("organizer", "delegate")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `roles` subcommands."""
    sub = parser.add_subparsers(dest="roles_command", required=True)
    listing = sub.add_parser("list", help="everyone holding a role, and where it came from")
    listing.add_argument("--role", choices=ROLES)
    for name, text in (("grant", "give a role"), ("revoke", "take a role away")):
        one = sub.add_parser(name, help=text)
        one.add_argument("user_id", type=int, help="the person's Telegram user id")
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
                print(f"user {user_id} already holds the {role} role (granted on the terminal)")
                return 1
            print(
                f"user {user_id} now holds the {role} role; it stays until `multaqa roles revoke`"
            )
            return 0
        if not await roles.revoke(user_id, role, None, "terminal"):
            print(f"user {user_id} does not hold the {role} role")
            return 1
        print(f"user {user_id} no longer holds the {role} role")
        if role == "organizer" and user_id in in_settings:
            print(
                f"warning: {user_id} is still in ORGANIZER_IDS: the next start grants the role "
                "again; remove the id there too"
            )
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
        print("nobody holds a role")
    for grant in grants:
        participant = await participants.get(grant.user_id)
        name = participant.full_name if participant else "(not registered)"
        source = {"settings": "ORGANIZER_IDS", "terminal": "terminal"}.get(
            grant.source, grant.source
        )
        print(
            f"{grant.user_id}\t{grant.role}\tfrom {source}\tsince {grant.granted_at[:16]}\t{name}"
        )
    held = {g.user_id for g in grants if g.role == "organizer"}
    waiting = sorted(in_settings - held)
    if waiting and role in (None, "organizer"):
        print("in ORGANIZER_IDS, granted at the next start: " + ", ".join(map(str, waiting)))
    return 0
