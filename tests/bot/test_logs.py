"""Logs at DEBUG hold neither the token nor anyone's name, phone or proposal text."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from sandbox import BotApiEmulator
from tests.conftest import ORGANIZER_ID
from tests.handlers.test_campaign_owners import _compose
from tests.harness import RunningBot, said, said_text, shown, shown_text

NAME = "Zineb Ouazzani-Tlemcani"
PROPOSAL = "Ouvrir une permanence juridique gratuite à Tiznit"
BROADCAST = "Navette spéciale depuis Agadir à 7h05"


async def test_debug_logs_of_registration_proposal_and_broadcast_hold_nothing_personal(
    emulator: BotApiEmulator,
    make_bot: Callable[..., RunningBot],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    bot = await make_bot().start()
    try:
        user = emulator.user(first_name="Zineb", language_code="fr", phone="+212661234567")
        await user.send("/start")
        await said(user)
        await user.press("Français")
        await shown(user)
        await user.press("✅ J'accepte")
        await shown(user)
        await user.send(NAME)
        await said(user)
        await user.press("Inspecteur·rice")
        await shown(user)
        await user.press("Souss-Massa")
        await shown(user)
        await user.send("Centre de Tiznit")
        await said(user)
        await user.send_contact(own=True)
        await said(user)
        assert NAME in await said_text(user)  # the summary
        await user.press("✅ Confirmer")
        assert "inscrit" in await shown_text(user)
        await user.send("/propose")
        await said(user)
        await user.press("💡 Général (hors atelier)")
        await shown(user)
        await user.send(PROPOSAL)
        await said(user)
        await user.press("✅ Terminé")
        assert "P-0001" in await shown_text(user)
        organizer = await _compose(emulator, BROADCAST, "Everyone (1)")
        await organizer.press("✅ Send now")
        while not any(BROADCAST in m.text for m in user.inbox):
            await user.next_message(10)
        await bot.services.runner.wait(1)
    finally:
        await bot.stop()
    assert ORGANIZER_ID  # the organizer took part
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert caplog.records  # the run was logged
    for secret in (emulator.token, NAME, "661234567", PROPOSAL, BROADCAST, "Tiznit"):
        assert secret not in logged, secret
