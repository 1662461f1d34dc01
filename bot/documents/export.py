"""Exports of the whole event: one XLSX workbook with a sheet per table, or one CSV file per
table (UTF-8 with a BOM, so Excel reads Arabic).

Built for size: rows stream from one SQLite read snapshot (storage.exports, where the queries
are) straight into the file (XlsxWriter's constant-memory mode, csv.writer), never held in
memory together; the work is synchronous and is run in a worker thread by `export_async`.
Labels (workshop titles, functions, regions, statuses, column headers) come translated in
`ExportLabels`, built on the event loop before.

Names, texts and file names come from participants. In the workbook every text is written as
a string cell, which no spreadsheet evaluates, so it is kept exactly as typed. A CSV file has
no cell types: there a text that a spreadsheet could read as a formula (starting with = + - @,
a tab or a carriage return) is made inert with a leading apostrophe (`inert`), except a valid
phone number (`+212600001001`), which is data an organizer copies and dials."""

from __future__ import annotations

import asyncio
import csv
import html
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import phonenumbers
import xlsxwriter

from bot.i18n import Translator, plain_text
from storage.backup import create_private
from storage.exports import ExportRepository

Format = Literal["xlsx", "csv"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Invisible direction marks (isolates around values, RLM/LRM at line starts): a cell, a chart
# label or a file name gets plain text; the spreadsheet or matplotlib finds the direction.
_MARKS = dict.fromkeys((0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F))
SHEETS = (
    "participants",
    "signups",
    "checkins",
    "proposals",
    "recommendations",
    "history",
    "broadcasts",
    "deliveries",
    "audit",
)


def inert(value: object) -> object:
    """A CSV value no spreadsheet evaluates: text starting like a formula gets an apostrophe,
    unless it is a valid phone number in international form."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _is_phone(value):
        return "'" + value
    return value


def _is_phone(value: str) -> bool:
    """Whether `value` is a whole valid phone number written with its country code."""
    if not value.startswith("+"):
        return False
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.E164
    ) == value.replace(" ", "")


@dataclass(frozen=True, slots=True)
class ExportLabels:
    """What the export writes instead of codes, in the organizer's language."""

    t: Translator
    zone: ZoneInfo
    workshops: dict[str, str] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)
    keys: frozenset[str] = frozenset()  # the message ids of the language

    def when(self, stored: str | None) -> str:
        """A stored UTC time as local date and time of the event."""
        if not stored:
            return ""
        return datetime.fromisoformat(stored).astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def theme(self, code: str | None) -> str:
        """A workshop's title, or the label of the general theme."""
        if code is None or code == "general":
            return self.plain("ex.general")
        return self.workshops.get(code, code)

    def plain(self, key: str, **values: object) -> str:
        """A catalogue text as plain cell text (the catalogue's texts are Telegram HTML)."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.t(key, **values))).translate(_MARKS)

    def known(self, key: str) -> bool:
        """Whether this language has a text for `key` (else the code itself is shown)."""
        return key in self.keys

    def audience(self, raw: str | None) -> str:
        """A broadcast's audience in words: "the region Souss-Massa"."""
        data = json.loads(raw or "{}")
        kind, code = data.get("kind", ""), data.get("code")
        if code:
            name = self.theme(code) if kind in ("workshop", "waitlist") else self.code(kind, code)
            return self.plain(f"bc.audience_{kind}_named", name=name)
        return self.plain(f"bc.audience_name_{kind}") if kind else ""

    def action(self, action: str) -> str:
        """An audit log action in words, when the catalogue has it (else its code)."""
        key = f"audit.{action}"
        return self.plain(key) if self.known(key) else action

    def code(self, kind: str, code: str | None) -> str:
        """A stored code's label (function, region, or a status key)."""
        if not code:
            return ""
        if kind == "function":
            return self.functions.get(code, code)
        if kind == "region":
            return self.regions.get(code, code)
        key = f"ex.{kind}.{code}"
        # A status added later (the follow-up work) shows as its code until it has a label.
        return self.plain(key) if self.known(key) or not self.keys else code


def _person(user_id: int | None) -> object:
    # Anonymised rows have negative ids: nobody's Telegram id, shown as a dash.
    if user_id is None or user_id < 0:
        return "—"
    return user_id


Rows = Iterator[list[object]]
Sheet = tuple[str, list[str], Callable[[ExportRepository, ExportLabels], Rows]]


def _participants(tables: ExportRepository, lb: ExportLabels) -> Rows:
    for r in tables.participants():
        seats = []
        for seat in (r["seats"] or "").split("|"):
            if seat:
                workshop, _, state = seat.partition(":")
                seats.append(f"{lb.theme(workshop)} ({lb.code('seat', state)})")
        function = lb.code("function", r["function_code"])
        if r["function_other"]:
            function = f"{function}: {r['function_other']}"
        yield [
            r["user_id"],
            r["full_name"],
            function,
            lb.code("region", r["region_code"]),
            r["unit"],
            r["phone"] or "",
            (r["username"] and "@" + r["username"]) or "",
            lb.plain(f"ex.lang.{r['locale']}"),
            lb.when(r["registered_at"]),
            "\n".join(seats),
            lb.when(r["checkin_at"]),
            lb.plain("ex.yes") if r["reachable"] else lb.plain("ex.no"),
        ]


def _signups(tables: ExportRepository, lb: ExportLabels) -> Rows:
    position: dict[str, int] = {}
    for r in tables.signups():
        waiting = ""
        if r["state"] == "waiting":
            position[r["workshop_id"]] = position.get(r["workshop_id"], 0) + 1
            waiting = position[r["workshop_id"]]
        yield [
            lb.theme(r["workshop_id"]),
            _person(r["user_id"]),
            r["full_name"] or "",
            lb.code("seat", r["state"]),
            waiting,
            lb.when(r["created_at"]),
        ]


def _checkins(tables: ExportRepository, lb: ExportLabels) -> Rows:
    for r in tables.checkins():
        yield [_person(r["user_id"]), r["full_name"] or "", lb.when(r["at"])]


def _proposals(tables: ExportRepository, lb: ExportLabels) -> Rows:
    for r in tables.proposals():
        yield [
            f"P-{r['id']:04d}",
            _person(r["author_id"]),
            r["full_name"] or "",
            lb.theme(r["theme"]),
            lb.code("pstatus", r["status"]),
            r["text"],
            ", ".join(json.loads(r["tags"] or "[]")),
            r["note"] or "",
            r["files"] or "",
            f"R-{r['recommendation_id']}" if r["recommendation_id"] else "",
            lb.when(r["created_at"]),
            lb.when(r["reviewed_at"]),
        ]


def _recommendations(tables: ExportRepository, lb: ExportLabels) -> Rows:
    for r in tables.recommendations():
        steps = "\n".join(  # the statuses only: the comments are in the next sheet
            f"{lb.when(h['at'])} {lb.code('rstatus', h['to_status'])}"
            + (f" {h['progress']}%" if h["progress"] is not None else "")
            for h in tables.history(r["id"])
            if h["to_status"]
        )
        yield [
            f"R-{r['id']}",
            lb.theme(r["workshop_id"]),
            r["text"],
            lb.plain(f"ex.lang.{r['language']}"),
            _person(r["owner_id"]) if r["owner_id"] is not None else "",
            r["full_name"] or "",
            r["due_date"] or "",
            lb.code("rstatus", r["status"]),
            steps,
            lb.when(r["created_at"]),
            lb.when(r["updated_at"]),
        ]


def _history(tables: ExportRepository, lb: ExportLabels) -> Rows:
    for h in tables.history():
        yield [
            f"R-{h['recommendation_id']}",
            lb.when(h["at"]),
            _person(h["by_user"]),
            h["full_name"] or "",
            lb.code("rstatus", h["to_status"]) if h["to_status"] else "",
            h["progress"],
            h["comment"] or "",
        ]


def _broadcasts(tables: ExportRepository, lb: ExportLabels) -> Rows:
    for r in tables.broadcasts():
        texts = json.loads(r["texts"] or "{}")
        yield [
            r["id"],
            r["author_id"] if r["author_id"] is not None else lb.plain("ex.command_line"),
            lb.audience(r["audience"]),
            lb.code("cstate", r["state"]),
            lb.when(r["created_at"]),
            lb.when(r["started_at"]),
            lb.when(r["finished_at"]),
            int(r["sent"] or 0),
            int(r["failed"] or 0),
            int(r["unreachable"] or 0),
            int(r["pending"] or 0),
            # Kept as the Telegram HTML it is sent as; the sheet shows the text as typed.
            plain_text(texts.get(lb.t.locale) or next(iter(texts.values()), "")),
        ]


def _deliveries(tables: ExportRepository, lb: ExportLabels) -> Rows:
    for r in tables.deliveries():
        yield [
            r["campaign_id"],
            _person(r["user_id"]),
            r["full_name"] or "",
            lb.code("dstate", r["state"]),
            r["attempts"],
            r["last_error"] or "",
            lb.when(r["updated_at"]),
        ]


def _audit(tables: ExportRepository, lb: ExportLabels) -> Rows:
    for r in tables.audit():
        yield [
            lb.when(r["at"]),
            r["actor_id"] if r["actor_id"] is not None else lb.plain("ex.system"),
            r["full_name"] or "",
            lb.action(r["action"]),
            r["subject"] or "",
            r["details"] if r["details"] not in (None, "{}") else "",
        ]


def sheets() -> list[Sheet]:
    """Each sheet: its key, its column keys, and its row reader."""
    return [
        (
            "participants",
            [
                "id",
                "name",
                "function",
                "region",
                "unit",
                "phone",
                "username",
                "language",
                "registered",
                "workshops",
                "checked_in",
                "reachable",
            ],
            _participants,
        ),
        ("signups", ["workshop", "id", "name", "seat", "position", "signed_up"], _signups),
        ("checkins", ["id", "name", "checked_in"], _checkins),
        (
            "proposals",
            [
                "ref",
                "id",
                "name",
                "theme",
                "status",
                "text",
                "tags",
                "note",
                "files",
                "recommendation",
                "created",
                "reviewed",
            ],
            _proposals,
        ),
        (
            "recommendations",
            [
                "ref",
                "theme",
                "text",
                "language",
                "owner_id",
                "owner",
                "due",
                "status",
                "history",
                "created",
                "updated",
            ],
            _recommendations,
        ),
        (
            "history",
            ["recommendation", "at", "actor_id", "actor", "status", "progress", "comment"],
            _history,
        ),
        (
            "broadcasts",
            [
                "campaign",
                "author",
                "audience",
                "state",
                "created",
                "started",
                "finished",
                "sent",
                "failed",
                "unreachable",
                "pending",
                "text",
            ],
            _broadcasts,
        ),
        (
            "deliveries",
            ["campaign", "id", "name", "outcome", "attempts", "error", "updated"],
            _deliveries,
        ),
        ("audit", ["at", "actor_id", "actor", "action", "subject", "details"], _audit),
    ]


def _stamp(lb: ExportLabels, now: datetime) -> str:
    return now.astimezone(lb.zone).strftime("%Y%m%d-%H%M")


def write_xlsx(db_path: Path, out_dir: Path, lb: ExportLabels, now: datetime) -> Path:
    """The workbook, one sheet per table, streamed row by row; returns its path.

    XlsxWriter in constant-memory mode: each row goes to disk as it is written (about five
    times faster than openpyxl's write-only mode, measured with benchmarks/export.py). Text
    is written as a string cell (never a formula), so it needs no apostrophe."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"multaqa-export-{_stamp(lb, now)}.xlsx"
    partial = create_private(target.with_name(target.name + ".partial"))
    workbook = xlsxwriter.Workbook(
        str(partial),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "tmpdir": str(out_dir),
        },
    )
    bold = workbook.add_format({"bold": True})
    with ExportRepository.open(db_path) as tables:  # one read snapshot for every sheet
        for key, columns, rows in sheets():
            sheet = workbook.add_worksheet(lb.plain(f"ex.sheet.{key}")[:31])
            if lb.t.is_rtl:
                sheet.right_to_left()
            sheet.freeze_panes(1, 0)
            sheet.write_row(0, 0, [lb.plain(f"ex.col.{c}") for c in columns], bold)
            for index, row in enumerate(rows(tables, lb), start=1):
                for column, value in enumerate(row):
                    if isinstance(value, str):
                        if value:  # an empty text stays an empty cell
                            sheet.write_string(index, column, value)
                    elif value is not None:
                        sheet.write_number(index, column, value)  # type: ignore[arg-type]
    workbook.close()
    partial.replace(target)
    return target


def write_csv(db_path: Path, out_dir: Path, lb: ExportLabels, now: datetime) -> list[Path]:
    """One CSV per table (UTF-8 with BOM), streamed; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = _stamp(lb, now)
    written = []
    with ExportRepository.open(db_path) as tables:  # one read snapshot for every file
        for key, columns, rows in sheets():
            target = out_dir / f"multaqa-{key}-{stamp}.csv"
            with create_private(target).open("w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow([lb.plain(f"ex.col.{c}") for c in columns])
                for row in rows(tables, lb):
                    writer.writerow([inert(v) for v in row])
            written.append(target)
    return written


def zip_files(paths: list[Path], target: Path) -> Path:
    """Several CSV files as one ZIP (what the bot sends)."""
    with zipfile.ZipFile(create_private(target), "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.write(path, path.name)
    return target


def export(
    db_path: Path, out_dir: Path, fmt: Format, lb: ExportLabels, now: datetime
) -> list[Path]:
    """Write the export in `fmt`; the files written."""
    if fmt == "xlsx":
        return [write_xlsx(db_path, out_dir, lb, now)]
    return write_csv(db_path, out_dir, lb, now)


async def export_async(
    db_path: Path, out_dir: Path, fmt: Format, lb: ExportLabels, now: datetime
) -> list[Path]:
    """`export` in a worker thread: the bot keeps answering while thousands of rows go out."""
    return await asyncio.to_thread(export, db_path, out_dir, fmt, lb, now)


async def labels_for(event_service: Any, t: Translator, zone: ZoneInfo) -> ExportLabels:
    """Labels of the current event in one language (event service: bot.event.service)."""
    from bot.i18n import as_plain
    from bot.labels import localized

    # The labels bot.labels gives (as plain text: cells, chart labels, placeholder values).
    event = await event_service.current()
    workshops = {w.id: localized(dict(w.title), t) for w in event.workshops} if event else {}
    functions = {
        c.code: as_plain(event_service.label(t, "function", c))
        for c in await event_service.choices("function")
    }
    regions = {
        c.code: as_plain(event_service.label(t, "region", c))
        for c in await event_service.choices("region")
    }
    keys = frozenset(event_service.texts.catalogues[t.locale].singular)
    return ExportLabels(t, event.zone if event else zone, workshops, functions, regions, keys)
