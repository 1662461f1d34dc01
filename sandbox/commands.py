"""Bot command lists per (scope, language_code), as setMyCommands stores them."""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import bad_request

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_DEFAULT_SCOPE: dict[str, Any] = {"type": "default"}


def normalise_scope(scope: Any) -> dict[str, Any]:
    """Validate a BotCommandScope; chat ids become ints so "5" and 5 are the same scope."""
    if scope is None:
        return _DEFAULT_SCOPE
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request("unsupported bot command scope type")
    scope = dict(scope)
    for key in ("chat_id", "user_id"):
        if key in scope:
            try:
                scope[key] = int(scope[key])
            except (TypeError, ValueError):
                raise bad_request("chat not found") from None
    return scope


def scope_key(scope: dict[str, Any]) -> str:
    """Canonical JSON of a normalised scope."""
    return json.dumps(scope, sort_keys=True, separators=(",", ":"))


def check_commands(commands: Any) -> list[dict[str, str]]:
    """Validate a setMyCommands list like Telegram; return it as plain dicts."""
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    result = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("BotCommand must be an Object")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not _COMMAND.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append({"command": command, "description": description})
    return result


class CommandStore:
    """Command lists keyed by canonical scope JSON and language code."""

    def __init__(self) -> None:
        self._lists: dict[tuple[str, str], list[dict[str, str]]] = {}

    def set(
        self, scope: dict[str, Any], language_code: str, commands: list[dict[str, str]]
    ) -> None:
        """Replace a list; an empty list deletes it, as in Telegram."""
        key = (scope_key(scope), language_code)
        if commands:
            self._lists[key] = commands
        else:
            self._lists.pop(key, None)

    def get(self, scope: dict[str, Any], language_code: str) -> list[dict[str, str]]:
        """Exactly the list set for this scope and language (no fallback, like getMyCommands)."""
        return list(self._lists.get((scope_key(scope), language_code), []))

    def delete(self, scope: dict[str, Any], language_code: str) -> None:
        """Forget a list (deleteMyCommands)."""
        self._lists.pop((scope_key(scope), language_code), None)

    def visible_in_private(self, chat_id: int, language_code: str) -> list[dict[str, str]]:
        """The list a private-chat user sees, following Telegram's scope fallback order."""
        scopes = (
            {"type": "chat", "chat_id": chat_id},
            {"type": "all_private_chats"},
            _DEFAULT_SCOPE,
        )
        for scope in scopes:
            for lang in (language_code, ""):
                found = self._lists.get((scope_key(scope), lang))
                if found:
                    return list(found)
        return []
