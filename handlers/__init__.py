"""One module per user flow; each exposes `handlers()` for bot.app to register."""
