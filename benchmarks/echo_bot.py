"""A bare python-telegram-bot echo bot: the baseline the benchmarks compare Multaqa against.

Configured like the real bot, from BOT_TOKEN, BOT_API_BASE_URL, BOT_API_FILE_URL and
MAX_CONCURRENT_UPDATES (default 256). TRANSPORT=aiohttp puts it on Multaqa's aiohttp request
(bot.transport); the default is PTB's own httpx, as a stock PTB bot has.
Run: python benchmarks/echo_bot.py
"""

from __future__ import annotations

import logging
import os

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the text back to the chat it came from."""
    message = update.effective_message
    if message is not None and message.text is not None:
        await context.bot.send_message(message.chat_id, message.text)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button press."""
    if update.callback_query is not None:
        await update.callback_query.answer()


def build() -> Application:
    """The echo Application, configured from the environment."""
    builder = (
        ApplicationBuilder()
        .token(os.environ["BOT_TOKEN"])
        .base_url(os.environ.get("BOT_API_BASE_URL", "https://api.telegram.org/bot"))
        .base_file_url(os.environ.get("BOT_API_FILE_URL", "https://api.telegram.org/file/bot"))
        .concurrent_updates(int(os.environ.get("MAX_CONCURRENT_UPDATES", "256")))
    )
    if os.environ.get("TRANSPORT", "httpx") == "aiohttp":
        from bot.transport import AiohttpRequest  # PTB's defaults otherwise (pool of 256)

        builder = builder.request(AiohttpRequest()).get_updates_request(AiohttpRequest(1))
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(answer))
    return application


def main() -> None:
    """Poll until SIGINT/SIGTERM."""
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING").upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)
    build().run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)


if __name__ == "__main__":
    main()
