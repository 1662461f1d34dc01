"""The buttons of /admin (prefix `ad`, organizers only), one typed schema (see bot.callbacks).
Declared here, below the handlers, because the clock's daily summary carries one of them."""

from __future__ import annotations

from bot import callbacks
from bot.callbacks import OneOf, PageNo

ADMIN = callbacks.Prefix("ad", role="organizer")
PAGE = ADMIN.button("page", PageNo())  # ◀️ ▶️ through the workshops' figures
FIGURES = ADMIN.button("fig")  # figures and charts
EXPORT = ADMIN.button("exp")  # choose the format
EXPORT_AS = ADMIN.button("expas", OneOf("fmt", ("xlsx", "csv")))
DASHBOARD = ADMIN.button("web")  # a personal sign-in link to the dashboard
AUDIT = ADMIN.button("log")  # the last actions
SUMMARY = ADMIN.button("sum", OneOf("state", ("on", "off")))  # the daily summary switch
