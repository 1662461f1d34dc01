"""Updates of one chat run in order; different chats run side by side."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.processor import PerChatUpdateProcessor


def _update(update_id: int, chat_id: int) -> Update:
    user = User(chat_id, "U", False)
    chat = Chat(chat_id, "private")
    return Update(update_id, message=Message(update_id, None, chat, from_user=user))  # type: ignore[arg-type]


async def test_one_chat_in_order_while_another_chat_is_not_held_up() -> None:
    processor = PerChatUpdateProcessor(max_concurrent=4)
    slow_may_finish = asyncio.Event()
    log: list[str] = []

    b1_done = asyncio.Event()

    async def work(name: str, gate: asyncio.Event | None = None) -> None:
        log.append(f"start {name}")
        if gate is not None:
            await gate.wait()
        log.append(f"end {name}")
        if name == "b1":
            b1_done.set()

    tasks = [
        asyncio.create_task(processor.process_update(_update(1, 10), work("a1", slow_may_finish))),
        asyncio.create_task(processor.process_update(_update(2, 10), work("a2"))),
        asyncio.create_task(processor.process_update(_update(3, 20), work("b1"))),
    ]
    # b1 (another chat) completes while a1 is still blocked; a2 has not started.
    await asyncio.wait_for(b1_done.wait(), 5)
    assert "start a2" not in log
    slow_may_finish.set()
    await asyncio.gather(*tasks)
    assert log.index("end a1") < log.index("start a2")
    assert processor._locks == {}  # nothing kept for idle chats


async def test_many_updates_of_one_chat_keep_arrival_order_under_a_small_budget() -> None:
    processor = PerChatUpdateProcessor(max_concurrent=2)
    seen: dict[int, list[int]] = {1: [], 2: [], 3: []}

    async def work(chat: int, n: int) -> None:
        await asyncio.sleep(0)
        seen[chat].append(n)

    await asyncio.gather(
        *(
            processor.process_update(_update(n * 3 + chat, chat), work(chat, n))
            for n in range(200)
            for chat in (1, 2, 3)
        )
    )
    assert all(order == list(range(200)) for order in seen.values())
