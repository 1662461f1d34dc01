"""Configuration read from the environment and an optional `.env` file."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SUPPORTED_LOCALES = ("ar", "fr", "en")

DEFAULT_FUNCTIONS = (
    "inspector",
    "head_social_action",
    "regional_coordinator",
    "provincial_delegate",
    "head_of_service",
    "educational_coordinator",
    "centre_director",
)

# The twelve regions of Morocco (2015 division) and the central services.
DEFAULT_REGIONS = (
    "tanger_tetouan_alhoceima",
    "oriental",
    "fes_meknes",
    "rabat_sale_kenitra",
    "beni_mellal_khenifra",
    "casablanca_settat",
    "marrakech_safi",
    "draa_tafilalet",
    "souss_massa",
    "guelmim_oued_noun",
    "laayoune_sakia_elhamra",
    "dakhla_oued_eddahab",
    "central",
)


def _split_csv(value: object) -> object:
    """Accept `a,b,c` (how people write lists in .env files) as well as real lists."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Everything the bot needs to start; built once in `main` and passed down."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # Only the commands that talk to Telegram need it (load_settings(telegram=True)).
    bot_token: SecretStr = Field(default=SecretStr(""), description="Token from BotFather")
    database_path: Path = Path("multaqa.db")
    default_locale: str = "ar"
    timezone: str = "Africa/Casablanca"
    organizer_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    bot_api_base_url: str = "https://api.telegram.org/bot"
    bot_api_file_url: str = "https://api.telegram.org/file/bot"
    functions: Annotated[list[str], NoDecode] = Field(default_factory=lambda: [*DEFAULT_FUNCTIONS])
    regions: Annotated[list[str], NoDecode] = Field(default_factory=lambda: [*DEFAULT_REGIONS])
    max_concurrent_updates: int = Field(default=256, ge=1, le=10_000)
    # Telegram's free limit is ~30/s; paid broadcasts and the emulator allow more.
    broadcast_rate: float = Field(default=28.8, gt=0, le=1000)
    # BROADCAST_FALLBACK="ar:fr,en;fr:ar,en;en:fr,ar": the versions tried, in order, for
    # someone whose language the organizer did not write (see bot.outbound.versions).
    broadcast_fallback: Annotated[dict[str, list[str]], NoDecode] = Field(
        default_factory=lambda: {"ar": ["fr", "en"], "fr": ["ar", "en"], "en": ["fr", "ar"]}
    )
    event_file: Path | None = None  # loaded (with change notices) at start when it changed
    proposals_per_hour: int = Field(default=5, ge=1, le=100)
    # A flow nobody answered is forgotten after this long (handlers/conversation.py); a
    # one-shot prompt ("send the tag") much sooner, so a later message is not taken for it.
    draft_expiry_hours: float = Field(default=24, gt=0, le=24 * 30)
    prompt_expiry_minutes: float = Field(default=10, gt=0, le=24 * 60)
    checkin_code: str = Field(default="venue", pattern=r"^[A-Za-z0-9_-]{1,40}$")
    log_level: str = "INFO"
    # HTTP client for the Bot API: aiohttp (bot.transport; 5x the echo bot's updates/s of
    # httpx in benchmarks/echo_transport.py) or PTB's own httpx, kept as a fallback.
    transport: Literal["aiohttp", "httpx"] = "aiohttp"
    # Personal data is anonymised this many days after the event's end (daily job, `multaqa
    # purge`); counts are kept.
    retention_days: int = Field(default=90, ge=0, le=3650)
    backup_dir: Path | None = None  # daily copies; default: backups/ beside the database
    backup_keep: int = Field(default=7, ge=1, le=365)  # daily copies kept
    backup_at: str = Field(default="03:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # local time
    # The organizers' web dashboard: off unless a port is set. Behind a reverse proxy (HTTPS),
    # set WEB_PUBLIC_URL to the address people open; sign-in links are built on it.
    web_port: int | None = Field(default=None, ge=1, le=65535)
    web_host: str = "127.0.0.1"
    web_public_url: str | None = None
    web_session_hours: float = Field(default=12, gt=0, le=24 * 30)

    @field_validator("organizer_ids", "functions", "regions", mode="before")
    @classmethod
    def _lists_from_csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("broadcast_fallback", mode="before")
    @classmethod
    def _fallback_from_text(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        order: dict[str, list[str]] = {}
        for part in value.split(";"):
            if part.strip():
                locale, _, rest = part.partition(":")
                order[locale.strip()] = [code.strip() for code in rest.split(",") if code.strip()]
        return order

    @field_validator("broadcast_fallback")
    @classmethod
    def _fallback_codes(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        bad = sorted({c for k, v in value.items() for c in (k, *v)} - set(SUPPORTED_LOCALES))
        if bad:
            raise ValueError(_message("settings.fallback", codes=", ".join(bad)))
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            return value  # not needed here; TelegramSettings requires it
        bot_id, _, secret = value.get_secret_value().partition(":")
        if not (bot_id.isdigit() and secret):
            raise ValueError(_message("settings.token_shape"))
        return value

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(_message("settings.one_of", choices=", ".join(SUPPORTED_LOCALES)))
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(_message("settings.zone")) from exc
        return value

    @field_validator("functions", "regions")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        bad = [code for code in value if not code.replace("_", "").isalnum() or not code.isascii()]
        if bad:
            raise ValueError(_message("settings.codes", codes=", ".join(bad)))
        if not value:
            raise ValueError(_message("settings.empty"))
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The event's time zone."""
        return ZoneInfo(self.timezone)


class TelegramSettings(Settings):
    """The settings of a command that talks to Telegram: BOT_TOKEN is required."""

    bot_token: SecretStr = Field(description="Token from BotFather")

    @field_validator("bot_token")
    @classmethod
    def _token_given(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError(_message("settings.token_shape"))
        return value


def _message(key: str, **values: object) -> str:
    """A problem in the organizer's language (bot.i18n imports this module: import it late)."""
    from bot.i18n import Message

    return Message(key, **values)


# Pydantic's own checks, said in the organizer's language (its messages are English only).
_PYDANTIC = {
    "int_parsing": "settings.whole_number",
    "int_type": "settings.whole_number",
    "int_from_float": "settings.whole_number",
    "float_parsing": "settings.number",
    "float_type": "settings.number",
    "bool_parsing": "settings.yes_no",
    "bool_type": "settings.yes_no",
    "string_pattern_mismatch": "settings.pattern",
}
_LIMITS = {
    "greater_than_equal": ("settings.at_least", "ge"),
    "less_than_equal": ("settings.at_most", "le"),
    "greater_than": ("settings.more_than", "gt"),
    "less_than": ("settings.less_than", "lt"),
}


def _detail(error: Mapping[str, Any]) -> str:
    """What is wrong with one setting, as a catalogue Message (never the value itself)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, ValueError) and cause.args and hasattr(cause.args[0], "render"):
        return cause.args[0]  # our own validators' Messages
    if kind in _PYDANTIC:
        return _message(_PYDANTIC[kind])
    if kind in _LIMITS:
        key, bound = _LIMITS[kind]
        return _message(key, limit=ctx.get(bound))
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return _message("settings.one_of", choices=", ".join(choices))
    return _message("settings.invalid")


class SettingsError(Exception):
    """Settings are missing or invalid; `problems` lists every one of them."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_settings(*, telegram: bool = True, **overrides: object) -> Settings:
    """Build settings from the environment, `.env` and overrides, reporting all problems at once.
    `telegram=False`: for commands that only work on the database and files (no BOT_TOKEN)."""
    kind = TelegramSettings if telegram else Settings
    try:
        return kind(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = (".".join(str(part) for part in error["loc"]) or "settings").upper()
            # Never echo the offending value: it may be the token.
            if error["type"] == "missing":
                problems.append(_message("cli.setting_missing", field=field))
            else:
                problems.append(_message("cli.setting_invalid", field=field, detail=_detail(error)))
        raise SettingsError(problems) from None
