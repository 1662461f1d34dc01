"""Layers point one way: storage knows nothing above it, and only the composition root
(bot/app.py) reaches up into the handlers. Lazy imports inside functions count too."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    """Top-level package names of every module this file imports, wherever the import is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _offenders(package: str, forbidden: set[str], allowed: set[str] = frozenset()) -> list[str]:
    return sorted(
        f"{path.relative_to(ROOT)} imports {', '.join(sorted(_imports(path) & forbidden))}"
        for path in (ROOT / package).rglob("*.py")
        if str(path.relative_to(ROOT)) not in allowed and _imports(path) & forbidden
    )


def test_storage_imports_nothing_of_the_bot_or_the_handlers() -> None:
    assert _offenders("storage", {"bot", "handlers", "sandbox"}) == []


def test_only_the_composition_root_imports_handlers() -> None:
    assert _offenders("bot", {"handlers"}, allowed={"bot/app.py"}) == []


def test_the_check_sees_an_import_hidden_in_a_function(tmp_path: Path) -> None:
    module = tmp_path / "late.py"
    module.write_text("def f():\n    from handlers.agenda import agenda_text\n")
    assert _imports(module) == {"handlers"}
