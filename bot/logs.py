"""Logging without secrets or personal data, at every level.

Libraries log what they send: PTB's ExtBot logs each Bot API call with its parameters (message
texts, names) at DEBUG, httpx/httpcore log request URLs (which contain the token), aiosqlite
logs each statement with its parameters. Those loggers are kept at INFO or above whatever
LOG_LEVEL says, and every record has the token replaced before any handler sees it: in its
message and arguments, in the text of its exception (traceback and chained causes: an HTTP
library's error names the URL, `…/bot<token>/sendMessage`) and in its stack. Our own code logs
ids and counts, never names, phones or texts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

# Loggers that put request parameters, URLs or SQL parameters into DEBUG (or INFO) lines.
_CHATTY = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "telegram": logging.INFO,
    "aiosqlite": logging.INFO,
    "asyncio": logging.INFO,
}
REDACTED = "<token>"
_EXCEPTIONS = logging.Formatter()  # formats exception text as every Formatter does


def _redactor(secrets: list[str], make: logging._LogRecordFactory):  # type: ignore[name-defined]
    def record(*args: object, **kwargs: object) -> logging.LogRecord:
        rec = make(*args, **kwargs)
        rec.msg = _scrub_value(rec.msg, secrets)
        if rec.args:
            if isinstance(rec.args, tuple):
                rec.args = tuple(_scrub_value(a, secrets) for a in rec.args)
            elif isinstance(rec.args, dict):
                rec.args = {k: _scrub_value(v, secrets) for k, v in rec.args.items()}
        if isinstance(rec.exc_info, tuple) and rec.exc_info[0] is not None and not rec.exc_text:
            # Formatted once here, scrubbed: every Formatter uses `exc_text` when it is set
            # instead of formatting the exception itself.
            rec.exc_text = _scrub(_EXCEPTIONS.formatException(rec.exc_info), secrets)
        if rec.stack_info:
            rec.stack_info = _scrub(rec.stack_info, secrets)
        return rec

    record.multaqa_redactor = True  # type: ignore[attr-defined]
    return record


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def _scrub_value(value: object, secrets: list[str]) -> object:
    if isinstance(value, str):
        return _scrub(value, secrets)
    text = str(value) if not isinstance(value, int | float) else None
    if text is not None and any(s in text for s in secrets):
        return _scrub(text, secrets)
    return value


def protect(secrets: Iterable[str]) -> None:
    """Quiet the chatty libraries and replace the secrets in every record from now on."""
    for name, floor in _CHATTY.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(floor, logger.getEffectiveLevel()))
    found = [s for s in secrets if s]
    if not found:
        return
    factory = logging.getLogRecordFactory()
    if getattr(factory, "multaqa_redactor", False):
        factory = factory.__wrapped__  # type: ignore[attr-defined]
    wrapped = _redactor(found, factory)
    wrapped.__wrapped__ = factory  # type: ignore[attr-defined]
    logging.setLogRecordFactory(wrapped)


def configure(level: str, secrets: Iterable[str] = ()) -> None:
    """The command line's logging: a level, a format, and `protect`."""
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    protect(secrets)
