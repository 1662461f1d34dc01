"""`multaqa` on a terminal, as an organizer runs it: the commands that only work on the
database and files start without BOT_TOKEN; `purge` without a terminal asks for --yes in one
line; everything printed (argparse's own words included) is in one language; the template of
the catalogues is generated, not kept in git."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "study-day.yaml"


def multaqa(
    cwd: Path, *args: str, lang: str = "C.UTF-8", **env: str
) -> subprocess.CompletedProcess[str]:
    """`multaqa ARGS` with no token, no terminal, nothing of this machine's settings."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(
            ("BOT_", "DATABASE_", "DEFAULT_", "TIMEZONE", "ORGANIZER_", "LANG", "LC_")
        )
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={**clean, "LANG": lang, "DATABASE_PATH": str(cwd / "m.db"), **env},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_commands_that_do_not_talk_to_telegram_start_without_a_token(tmp_path: Path) -> None:
    for args in (
        ("event", "load", str(EXAMPLE)),
        ("roles", "list"),
        ("roles", "grant", "9001"),
        ("export", "--format", "csv", "--out", str(tmp_path)),
        ("backup", "--out", str(tmp_path / "copy.db")),
        ("purge", "--yes"),
        ("qr", "--bot-username", "multaqa_bot", "--out", str(tmp_path / "poster.png")),
    ):
        done = multaqa(tmp_path, "--lang", "en", *args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        assert "BOT_TOKEN" not in done.stderr, args
    assert (tmp_path / "copy.db").exists() and (tmp_path / "poster.png").exists()
    # The commands that talk to Telegram still need it, and say so.
    for args in (("run",), ("broadcast", "--text", "x"), ("qr",)):
        done = multaqa(tmp_path, "--lang", "en", *args)
        assert done.returncode == 2, args
        assert "BOT_TOKEN: is required but not set" in done.stderr, args


def test_purge_without_a_terminal_asks_for_yes_in_one_line(tmp_path: Path) -> None:
    assert multaqa(tmp_path, "event", "load", str(EXAMPLE)).returncode == 0
    done = multaqa(tmp_path, "--lang", "en", "purge")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "EOFError" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "--yes" in done.stderr
    assert done.stdout == ""


def _arabic(line: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in line)


def test_the_terminal_speaks_one_language_argparse_included(tmp_path: Path) -> None:
    # A wrong bot username, said in French under --lang fr.
    done = multaqa(tmp_path, "--lang", "fr", "qr", "--bot-username", "X")
    assert done.returncode == 2
    assert "nom d'utilisateur de bot Telegram" in done.stderr
    assert "not a Telegram" not in done.stderr
    # Nobody to tell: the verb agrees with the count.
    loaded = multaqa(tmp_path, "--lang", "fr", "event", "load", str(EXAMPLE))
    assert "0 participant sera prévenu" in loaded.stdout, loaded.stdout
    # Role names in the reader's language.
    granted = multaqa(tmp_path, "--lang", "fr", "roles", "grant", "9001")
    assert "le rôle organisateur" in granted.stdout
    listed = multaqa(tmp_path, "--lang", "ar", "roles", "list")
    assert "منظم" in listed.stdout and "organizer" not in listed.stdout
    # LANG=C.UTF-8 (no language): every line in the default language, details included.
    broken = multaqa(tmp_path, "run", DEFAULT_LOCALE="de", TIMEZONE="Mars/Olympus")
    lines = broken.stderr.strip().splitlines()
    assert len(lines) == 4 and all(_arabic(line) for line in lines), lines
    assert "must" not in broken.stderr and "unknown" not in broken.stderr
    # argparse's own words: usage, options, its errors.
    usage = multaqa(tmp_path, "--lang", "fr", "roles")
    assert usage.returncode == 2
    assert usage.stderr.startswith("utilisation : multaqa roles")
    assert "erreur : ces arguments sont obligatoires" in usage.stderr
    assert "usage:" not in usage.stderr and "error:" not in usage.stderr
    helped = multaqa(tmp_path, "--lang", "fr", "roles", "--help")
    assert "afficher cette aide et quitter" in helped.stdout
    assert "show this help" not in helped.stdout and "positional arguments" not in helped.stdout
    choice = multaqa(tmp_path, "roles", "list", "--role", "boss")
    assert "اختيار غير صالح" in choice.stderr and "invalid choice" not in choice.stderr


def test_the_catalogue_template_is_generated_not_kept_in_git(tmp_path: Path) -> None:
    # It records the code's line numbers: kept in git it would change with every edit.
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files", "locales/messages.pot"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert tracked.stdout == ""
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "locales/messages.pot"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0
