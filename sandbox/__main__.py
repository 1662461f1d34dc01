"""Run the emulator standalone: python -m sandbox --port 8081."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from .emulator import BotApiEmulator


async def _serve(args: argparse.Namespace) -> None:
    emu = BotApiEmulator(token=args.token, bot_username=args.bot_username)
    await emu.start(host=args.host, port=args.port)
    print(f"Bot API emulator listening on {emu.url}", flush=True)
    print(f"  PTB: base_url={emu.base_url!r} base_file_url={emu.base_file_url!r}", flush=True)
    print(f"  token: {emu.token}", flush=True)
    print(
        '  act as a user: POST /sandbox/users/<id>/send {"text": ...}, '
        'POST /sandbox/users/<id>/press {"label": ...}, GET /sandbox/users/<id>/messages',
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # SIGTERM too, and explicit handlers: a background launch may inherit an ignored SIGINT.
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await emu.stop()
        print("Bot API emulator stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(description="Telegram Bot API emulator for Multaqa")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-token")
    parser.add_argument("--bot-username", default="multaqa_test_bot")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
