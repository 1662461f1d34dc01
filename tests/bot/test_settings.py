"""Configuration: every problem reported at once, exit status 2, the token never echoed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.settings import load_settings


def _run(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(
            ("BOT_", "DATABASE_", "DEFAULT_", "TIMEZONE", "ORGANIZER_", "FUNCTIONS", "REGIONS")
        )
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_and_invalid_settings_are_listed_together(tmp_path: Path) -> None:
    result = _run(
        {"DEFAULT_LOCALE": "de", "TIMEZONE": "Mars/Olympus", "ORGANIZER_IDS": "12,x"}, tmp_path
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for field in ("BOT_TOKEN", "DEFAULT_LOCALE", "TIMEZONE", "ORGANIZER_IDS"):
        assert field in result.stderr


def test_a_malformed_token_is_reported_without_being_printed(tmp_path: Path) -> None:
    result = _run({"BOT_TOKEN": "not-a-token-s3cr3t"}, tmp_path)
    assert result.returncode == 2
    assert "BOT_TOKEN" in result.stderr and "s3cr3t" not in result.stderr + result.stdout


def test_dotenv_file_and_comma_separated_lists(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("BOT_TOKEN=123:abc\nORGANIZER_IDS=5, 6\nREGIONS=central\n")
    settings = load_settings()
    assert settings.organizer_ids == [5, 6]
    assert settings.regions == ["central"]
    assert settings.bot_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(settings)
