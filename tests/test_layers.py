"""Layers point one way: storage knows nothing above it, and only the composition root
(bot/app.py) reaches up into the handlers. Lazy imports inside functions count too. And all
SQL lives in storage: no statement is written in bot/ or handlers/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A string that starts like an SQL statement (in capitals, as this project writes SQL): a
# sentence that merely begins with "Update" or "Select" is not one.
_STATEMENT = re.compile(
    r"\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|WITH|PRAGMA|CREATE|ALTER|DROP|BEGIN)\b(?![_A-Z])"
)


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


def _statements(path: Path) -> list[str]:
    """Each string literal of this file that starts like an SQL statement, as `path:line`;
    wherever it is (a call, a constant, a default), an f-string by its first part."""
    return [
        f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{node.lineno}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _STATEMENT.match(node.value)
    ]


def test_sql_is_written_only_in_storage() -> None:
    sources = [p for package in ("bot", "handlers") for p in (ROOT / package).rglob("*.py")]
    assert [where for path in sorted(sources) for where in _statements(path)] == []


def test_the_sql_check_sees_statements_in_calls_constants_and_f_strings(tmp_path: Path) -> None:
    module = tmp_path / "late.py"
    module.write_text(
        "Q = 'SELECT 1 FROM t'\n"  # line 1
        "async def f(db, key, t):\n"
        "    await db.execute(\n"
        "        'UPDATE t SET a = 1 '\n"  # line 4
        "        'WHERE key = ?', (key,))\n"
        "    await db.fetchall(f'DELETE FROM {t}')\n"  # line 6
        "    await db.fetchone('PRAGMA data_version')\n"  # line 7
        "    return 'Update your profile', 'UPDATES', 'DELETED', 'WITHDRAWN'\n"
    )
    assert sorted(int(where.rsplit(":", 1)[1]) for where in _statements(module)) == [1, 4, 6, 7]


# `Database.transaction()` awaits its statements one by one: inside an update's handling its
# result cannot be journaled, so a replay after a crash reaching it falls back to the generic
# "taken into account" answer. Every write goes through `Database.write` (a function of the
# raw connection, journaled) except loading an event file, which awaits between statements.
_TRANSACTION_ALLOWED = {("storage/event.py", "EventStore.loading")}


def _transactions(path: Path, shown: str) -> list[str]:
    """Each `.transaction()` call of this file, as `path:line (Class.function)`."""
    found: list[str] = []

    def visit(node: ast.AST, scope: tuple[str, ...]) -> None:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            scope = (*scope, node.name)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "transaction"
            and (shown, ".".join(scope)) not in _TRANSACTION_ALLOWED
        ):
            found.append(f"{shown}:{node.lineno} ({'.'.join(scope)})")
        for child in ast.iter_child_nodes(node):
            visit(child, scope)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), ())
    return found


def test_storage_writes_go_through_the_journaled_path() -> None:
    sources = sorted(p for p in (ROOT / "storage").rglob("*.py") if p.name != "database.py")
    found = [
        where for path in sources for where in _transactions(path, str(path.relative_to(ROOT)))
    ]
    assert found == [], "use `Database.write(work)` (journaled), not `transaction()`"


def test_the_transaction_check_sees_every_use_but_the_event_load(tmp_path: Path) -> None:
    module = tmp_path / "event.py"
    module.write_text(
        "class EventStore:\n"
        "    async def loading(self):\n"
        "        async with self._db.transaction() as conn:\n"  # line 3: allowed
        "            yield conn\n"
        "    async def claim(self):\n"
        "        async with self._db.transaction() as conn:\n"  # line 6
        "            await conn.execute('SELECT 1')\n"
        "async def mark(db):\n"
        "    tx = db.transaction()\n"  # line 9
    )
    assert _transactions(module, "storage/event.py") == [
        "storage/event.py:6 (EventStore.claim)",
        "storage/event.py:9 (mark)",
    ]
