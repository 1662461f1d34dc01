"""The parsing process: a job past its time limit is killed, and the next job gets a fresh
process; results cross the process boundary whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.documents.isolated import IsolatedFailure, parse_event_upload, run_isolated
from bot.event.file import EventFileError

EXAMPLE = Path(__file__).parents[2] / "examples" / "study-day.yaml"


async def test_a_job_past_its_time_limit_is_killed_and_the_next_one_works() -> None:
    big = ("text\n" + "".join(f"Recommendation {i}\n" for i in range(2000))).encode()
    with pytest.raises(IsolatedFailure):
        await run_isolated("table", big, "big.csv", limit_s=0.001)
    status, rows = await run_isolated("table", b"text\nOne\n", "t.csv")
    assert (status, rows) == ("ok", [(1, ["text"]), (2, ["One"])])


async def test_an_event_file_is_parsed_in_the_process_and_problems_come_back_whole() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    definition = await parse_event_upload(text, "study-day.yaml")
    assert len(definition.workshops) == 4 and definition.event.timezone == "Africa/Casablanca"
    broken = text.replace('end: "2019-01-30 09:30"', 'end: "2019-01-30 08:00"', 1)
    with pytest.raises(EventFileError) as caught:
        await parse_event_upload(broken, "broken.yaml")
    assert any("must be after start" in problem for problem in caught.value.problems)
