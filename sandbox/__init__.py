"""In-process Telegram Bot API emulator and test-side user simulation for Multaqa."""

from .botmessage import BotMessage
from .emulator import BotApiEmulator
from .errors import ApiError
from .faults import Faults
from .html import HtmlError, parse_html, utf16_len
from .state import CallbackAnswer
from .user import SimUser

__all__ = [
    "ApiError",
    "BotApiEmulator",
    "BotMessage",
    "CallbackAnswer",
    "Faults",
    "HtmlError",
    "SimUser",
    "parse_html",
    "utf16_len",
]
