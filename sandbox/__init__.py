"""In-process Telegram Bot API emulator and test-side user simulation for Multaqa."""

from .botmessage import BotMessage
from .emulator import BotApiEmulator
from .errors import ApiError
from .faults import Faults, Mishap
from .flood import SENDING_METHODS, FloodControl
from .group import SimGroup
from .html import HtmlError, parse_html, utf16_len
from .state import CallbackAnswer
from .user import SimUser

__all__ = [
    "SENDING_METHODS",
    "ApiError",
    "BotApiEmulator",
    "BotMessage",
    "CallbackAnswer",
    "Faults",
    "FloodControl",
    "HtmlError",
    "Mishap",
    "SimGroup",
    "SimUser",
    "parse_html",
    "utf16_len",
]
