"""The README's two set-up commands: the first runs the sandbox, the second is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup_commands() -> list[str]:
    """The shell commands of the README's "Set up" section, in order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_first_command_installs_and_runs_the_sandbox() -> None:
    assert len(setup_commands()) == 2  # exactly two commands to copy
    first = setup_commands()[0]
    assert first == (
        "python3 -m venv .venv && .venv/bin/pip install -c requirements.lock -e . "
        "&& .venv/bin/multaqa sandbox"
    )


def test_ci_runs_the_readme_test_command_word_for_word() -> None:
    second = setup_commands()[1]
    assert "apt-get install -y -q" in second and "chromium" in second
    assert second.endswith(
        ".venv/bin/pip install -c requirements.lock -e '.[test]' && .venv/bin/pytest"
    )
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert second in ci
