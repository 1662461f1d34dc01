"""Multaqa: the bot's wiring, settings, clock, command line and outbound sending."""
