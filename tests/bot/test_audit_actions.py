"""Every action the audit log is given anywhere in the code has its words in every language:
"Last actions", the dashboard and the export never show a raw key such as
`recommendation.extend`."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.i18n import SUPPORTED_LOCALES, load_catalogue

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "storage")
# Where the action is a parameter passed through, not chosen: AuditLog.record itself.
PASSTHROUGH = {("storage/roles.py", "action")}


def _action_argument(call: ast.Call) -> ast.expr | None:
    """The action of a call that writes an audit row: `….audit.record(actor, action, …)`,
    `AuditLog(…).record(actor, action, …)` or storage's `_audit(conn, at, actor, action, …)`."""
    func = call.func
    if isinstance(func, ast.Name) and func.id == "_audit" and len(call.args) > 3:
        return call.args[3]
    if isinstance(func, ast.Attribute) and func.attr == "record" and len(call.args) > 1:
        owner = ast.unparse(func.value)
        if owner.endswith("audit") or owner.startswith("AuditLog("):
            return call.args[1]
    return None


def written_actions() -> tuple[set[str], list[str]]:
    """(every literal action written, the places where an action is not a literal)."""
    literals: set[str] = set()
    others: list[str] = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            where = str(path.relative_to(ROOT))
            tree = ast.parse(path.read_text(encoding="utf-8"), where)
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                argument = _action_argument(node)
                if argument is None:
                    continue
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    literals.add(argument.value)
                elif (where, ast.unparse(argument)) in PASSTHROUGH:
                    continue
                elif isinstance(argument, ast.IfExp) and all(
                    isinstance(branch, ast.Constant) for branch in (argument.body, argument.orelse)
                ):
                    literals |= {argument.body.value, argument.orelse.value}  # type: ignore[attr-defined]
                elif isinstance(argument, ast.Subscript | ast.Name):
                    # A table of actions (e.g. DECISION_ACTIONS[status]): its values count.
                    literals |= _table_values(tree, argument)
                else:
                    others.append(f"{where}:{node.lineno}: {ast.unparse(argument)}")
    return literals, others


def _table_values(tree: ast.Module, argument: ast.expr) -> set[str]:
    """The string values of a module-level dict or the string a name is bound to."""
    name = argument.value if isinstance(argument, ast.Subscript) else argument
    assert isinstance(name, ast.Name)
    values: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name.id for target in node.targets
        ):
            bound = node.value
            parts = bound.values if isinstance(bound, ast.Dict) else [bound]
            for constant in (c for part in parts for c in ast.walk(part)):
                if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                    values.add(constant.value)
    return values


def test_every_audit_action_written_anywhere_has_words_in_every_language() -> None:
    actions, not_literal = written_actions()
    assert not_literal == [], "write an action as a literal (or a table of literals)"
    assert {"recommendation.extend", "proposal.accepted", "role.revoke"} <= actions
    for locale in SUPPORTED_LOCALES:
        keys = load_catalogue(locale).singular
        missing = sorted(a for a in actions if not keys.get(f"audit.{a}"))
        assert missing == [], f"{locale}: no audit.<action> text for {missing}"
