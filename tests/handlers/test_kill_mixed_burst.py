"""Kill -9 during a mixed burst: what each person sees, not only what the database holds."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "benchmarks" / "kill_mixed_burst.py"


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("kill_mixed_burst", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
async def test_five_kills_during_a_mixed_burst_leave_nobody_unanswered_and_nothing_twice() -> None:
    figures = await _bench().run(kills=5, seed=7, hang=False)
    print(figures)
    assert figures["unanswered"] == 0  # every step got the answer it promises
    assert figures["applied_twice"] == 0  # no seat, proposal part or person twice
    # A reply sent and not yet marked sent is sent again at start: at most those in flight.
    assert figures["told_twice"] <= figures["in_flight_max"] * figures["kills"]


@pytest.mark.slow
async def test_with_hangs_after_delivery_too_nobody_is_left_unanswered() -> None:
    figures = await _bench().run(kills=5, seed=11, hang=True)
    print(figures)
    assert figures["unanswered"] == 0
    assert figures["applied_twice"] == 0
