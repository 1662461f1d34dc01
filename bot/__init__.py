"""Multaqa: the bot's wiring, settings, clock, command line and outbound sending."""

import os

# Opt in to PTB 22's future behaviour: RetryAfter.retry_after as a timedelta (bot.sender
# accepts both), instead of a deprecation warning on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "1")
