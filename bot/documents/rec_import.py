"""Importing recommendations from a workshop's table (CSV or XLSX): `plan_import` reads and checks
the file without writing anything, so the organizer can see the plan and every problem first;
`apply_import` then creates the planned recommendations.

The file
    `.csv` in UTF-8 (with or without BOM), cells separated by `,` or `;` (French Excel uses `;`),
    or `.xlsx` (its first sheet). At most 2 MB and 2,000 rows below the header.

The header row (the first non-blank row, normally row 1)
    Column names are matched ignoring case, spaces, `_`, `-`, accents and Arabic diacritics.
    Columns with other names are ignored; only `text` is required.

    workshop  workshop, atelier; ورشة, الورشة, ورشة العمل
    text      text, recommendation, texte, recommandation; نص, النص, توصية, التوصية
    owner     owner, delegate, responsible, responsable, délégué, porteur;
              مسؤول, المسؤول, مكلف, المكلف
    due       due, due date, deadline, échéance, date limite, délai;
              أجل, الأجل, تاريخ الإنجاز, الموعد
    language  language, lang, langue; لغة, اللغة

The cells
    workshop  a workshop id (`management`) or its title in any language; empty, `general`,
              `général(e)`, `عام` or `عامة` for a recommendation of the whole event.
    text      required, at most 2,000 characters.
    owner     the delegate: a phone number (Moroccan by default), a Telegram `@username`, or a
              name. A name is matched by whole words of the full name ("Karim", not "Kar") and
              must match exactly one registered participant (an exact full name wins over
              longer names containing it); otherwise the row is refused with the candidates.
              Empty: no owner yet.
    due       `2026-03-31`, `31/03/2026` or `31-03-2026` (or a date cell in XLSX); empty: none.
              Not before `today`.
    language  `ar`, `fr` or `en`. Empty or no column: guessed from the text — `ar` when it has
              more Arabic letters than Latin ones; otherwise `fr` when it has a French accented
              letter (é, è, à, ç…), an elision (l', d') or a common French word (le, la, les,
              de, des, pour…); else `en`.

A row empty in every recognised column is skipped silently; the other rows are planned or
reported with their spreadsheet row number (the header is normally row 1), one problem per bad
cell."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from bot.documents.isolated import IsolatedFailure, run_isolated
from bot.documents.limits import xlsx_problem
from bot.documents.owners import by_name, candidates_reason
from bot.event.file import EventDefinition
from bot.i18n import Message, Plural
from bot.profile import clean_phone
from bot.settings import SUPPORTED_LOCALES
from storage.participants import Participant, ParticipantRepository
from storage.proposals import NewRecommendation, RecommendationRepository

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000  # below the header
MAX_TEXT = 2000
# An XLSX is a zip: bound what 2 MB may unpack to, and how wide a sheet we read.
_MAX_UNPACKED = 64 * 1024 * 1024
_MAX_COLUMNS = 50
_NAME_MATCHES = 20  # how many name matches we count before saying "more than"
_QUOTE_MAX = 40  # cell values quoted in reasons are cut to this length

# Organizer-facing reasons: catalogue messages (locales/, keys ri.*), shown in the organizer's
# language by the bot and the CLI; as a str each reads as its English text.
FILE_EMPTY = Message("ri.file_empty")
FILE_TOO_BIG = Message("ri.file_too_big")
FILE_TOO_MANY_ROWS = Message("ri.file_too_many_rows", limit="")
FILE_UNKNOWN_TYPE = Message("ri.file_unknown_type", suffix="")
FILE_OLD_EXCEL = Message("ri.file_old_excel")
FILE_NOT_UTF8 = Message("ri.file_not_utf8", byte="", line=0)
FILE_XLSX_AS_CSV = Message("ri.file_xlsx_as_csv")
FILE_BAD_CSV = Message("ri.file_bad_csv", line=0, detail="")
FILE_BAD_XLSX = Message("ri.file_bad_xlsx")
FILE_NO_TEXT_COLUMN = Message("ri.file_no_text_column", row=0)
FILE_DUPLICATE_COLUMN = Message("ri.file_duplicate_column", first="", second="", column="")
FILE_NO_ROWS = Message("ri.file_no_rows")
FILE_TOO_HEAVY = Message("ri.file_too_heavy")

ROW_UNKNOWN_WORKSHOP = Message("ri.row_unknown_workshop", value="")
ROW_NO_EVENT = Message("ri.row_no_event", value="")
ROW_TEXT_MISSING = Message("ri.row_text_missing")
ROW_TEXT_TOO_LONG = Message("ri.row_text_too_long", length="", limit="")
ROW_OWNER_AMBIGUOUS = Message("ri.row_owner_ambiguous", value="", count="")
ROW_OWNER_TOO_MANY = Message("ri.row_owner_too_many", value="", count="")
ROW_OWNER_NOT_FOUND = Message("ri.row_owner_not_found", value="")
ROW_BAD_PHONE = Message("ri.row_bad_phone", value="")
ROW_BAD_DATE = Message("ri.row_bad_date", value="")
ROW_DUE_PAST = Message("ri.row_due_past", value="")
ROW_BAD_LANGUAGE = Message("ri.row_bad_language", value="")
ROW_IDENTICAL = Message("ri.row_identical", ref="")
ROW_REPEATED = Message("ri.row_repeated", row=0)

_HEADERS: dict[str, tuple[str, ...]] = {
    "workshop": ("workshop", "atelier", "ورشة", "الورشة", "ورشة العمل"),
    "text": ("text", "recommendation", "texte", "recommandation", "نص", "النص", "توصية", "التوصية"),
    "owner": (
        "owner",
        "delegate",
        "responsible",
        "responsable",
        "délégué",
        "porteur",
        "مسؤول",
        "المسؤول",
        "مكلف",
        "المكلف",
    ),
    "due": (
        "due",
        "due date",
        "deadline",
        "échéance",
        "date limite",
        "délai",
        "أجل",
        "الأجل",
        "تاريخ الإنجاز",
        "الموعد",
    ),
    "language": ("language", "lang", "langue", "لغة", "اللغة"),
}
_GENERAL = ("general", "général", "générale", "عام", "عامة")
_FRENCH_COMMON = "le la les de des du une et pour dans avec aux au sur par est qui que"
_FRENCH_WORDS = frozenset(_FRENCH_COMMON.split())
_FRENCH_LETTERS = frozenset("éèêëàâîïôûùçœ")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_FIRST_DATE = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})")
_PHONE_LIKE = re.compile(r"\+?[\d\s().\-/]+")
# Arabic, Arabic Supplement, Arabic Extended-A, and the presentation forms.
_ARABIC_BLOCKS = (
    ("\u0600", "\u06ff"),
    ("\u0750", "\u077f"),
    ("\u08a0", "\u08ff"),
    ("\ufb50", "\ufdff"),
    ("\ufe70", "\ufeff"),
)
_LATIN_WORD = re.compile(r"[a-zà-ÿœ]+")
_FRENCH_ELISION = re.compile(r"\b[dlj]['’][a-zà-ÿœ]")  # d'une, l'offre, j'ai

Cell = str | int | float | bool | datetime | date | time | None


@dataclass(frozen=True, slots=True)
class PlannedRecommendation:
    """A row that will become a recommendation."""

    row: int
    workshop_id: str | None
    text: str
    language: str
    owner_id: int | None
    owner_label: str | None  # the owner's registered full name, to show in the plan
    due: date | None


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why a row cannot be imported; `row` is the spreadsheet's row number (header: 1)."""

    row: int
    reason: Message


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What an import would create; with a file problem nothing is planned."""

    planned: list[PlannedRecommendation]
    problems: list[RowProblem]
    file_problem: Message | None
    # Rows left out because they repeat an existing recommendation or an earlier row (a
    # table sent twice): a warning, not created again.
    identical: list[RowProblem] = field(default_factory=list)


class _FileProblem(Exception):
    """The whole file is refused; the argument is the reason."""


def _fold(text: str) -> str:
    """Text compared loosely: no case, accents or Arabic diacritics, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _header_key(text: str) -> str:
    """A header name compared ignoring spaces, `_` and `-` as well."""
    return re.sub(r"[\s_\-]", "", _fold(text))


_HEADER_KEYS = {_header_key(name): field for field, names in _HEADERS.items() for name in names}
_GENERAL_KEYS = frozenset(_fold(word) for word in _GENERAL)


def _quote(text: str) -> str:
    """A cell value short enough to quote in a reason."""
    return text if len(text) <= _QUOTE_MAX else text[: _QUOTE_MAX - 1] + "…"


def _as_text(cell: Cell) -> str:
    """A cell as trimmed NFC text (a whole float, as XLSX stores phone numbers, without .0)."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = cell.isoformat() if isinstance(cell, date | time) else str(cell)
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()


def _nonblank(cells: Iterable[Cell]) -> bool:
    """Whether any cell holds something."""
    return any(_as_text(cell) for cell in cells)


def _limited(rows: Iterable[tuple[int, list[Cell]]]) -> list[tuple[int, list[Cell]]]:
    """The non-blank rows, refusing a table longer than the limit."""
    kept: list[tuple[int, list[Cell]]] = []
    for number, cells in rows:
        if _nonblank(cells):
            kept.append((number, cells))
            if len(kept) > MAX_ROWS + 1:  # + the header
                raise _FileProblem(FILE_TOO_MANY_ROWS.format(limit=Plural("count.rows", MAX_ROWS)))
    return kept


def _decode_csv(data: bytes) -> str:
    """The CSV's text: strictly UTF-8, since guessing other encodings garbles Arabic silently."""
    body = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if body.startswith(b"PK\x03\x04"):
            raise _FileProblem(FILE_XLSX_AS_CSV) from None
        line = body[: exc.start].count(b"\n") + 1
        raise _FileProblem(
            FILE_NOT_UTF8.format(byte=f"0x{body[exc.start]:02X}", line=line)
        ) from None


def _delimiter(text: str) -> str:
    """`,` or `;`: the one splitting the header line into more known columns, then more cells."""
    first_line = next((line for line in io.StringIO(text) if line.strip()), "")

    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        known = sum(1 for cell in cells if _header_key(cell) in _HEADER_KEYS)
        return known, len(cells)

    return ";" if score(";") > score(",") else ","


def _read_csv(data: bytes) -> list[tuple[int, list[Cell]]]:
    """The CSV's non-blank records, numbered as a spreadsheet numbers its rows."""
    text = _decode_csv(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    records: list[tuple[int, list[Cell]]] = []
    try:
        # A record is a spreadsheet row even when a quoted cell spans several lines.
        for number, record in enumerate(reader, start=1):
            records.append((number, list(record)))
    except csv.Error as exc:
        raise _FileProblem(FILE_BAD_CSV.format(line=reader.line_num, detail=str(exc))) from None
    return _limited(records)


def _read_xlsx(data: bytes) -> list[tuple[int, list[Cell]]]:
    """The first sheet's non-blank rows (values, not formulas), with their row numbers."""
    # Imported here: only organizers importing a workbook pay for loading openpyxl.
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > _MAX_UNPACKED:
            raise _FileProblem(FILE_TOO_BIG)
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _FileProblem:
        raise
    except Exception:  # a damaged file makes openpyxl raise all kinds of errors
        raise _FileProblem(FILE_BAD_XLSX) from None
    try:
        sheet = book.worksheets[0]
        # Read-only mode yields missing rows as empty ones, so the count is the row number.
        rows = sheet.iter_rows(values_only=True, max_col=_MAX_COLUMNS)
        return _limited((n, list(cells)) for n, cells in enumerate(rows, start=1))
    except _FileProblem:
        raise
    except Exception:  # as above: the sheet's XML is parsed lazily, while iterating
        raise _FileProblem(FILE_BAD_XLSX) from None
    finally:
        book.close()


def _read_table(data: bytes, file_name: str) -> list[tuple[int, list[Cell]]]:
    """The file's non-blank rows; raises _FileProblem when it cannot be used at all."""
    suffix = Path(file_name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise _FileProblem(
            FILE_OLD_EXCEL
            if suffix == ".xls"
            else FILE_UNKNOWN_TYPE.format(suffix=suffix or Message("ri.no_extension"))
        )
    if len(data) > MAX_BYTES:
        raise _FileProblem(FILE_TOO_BIG)
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise _FileProblem(FILE_EMPTY)
    rows = _read_csv(data) if suffix == ".csv" else _read_xlsx(data)
    if not rows:
        raise _FileProblem(FILE_EMPTY)
    return rows


def _columns(row: int, header: list[Cell]) -> dict[str, int]:
    """Field name → column index, from the header row (numbered `row`)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = _as_text(cell)
        field = _HEADER_KEYS.get(_header_key(name))
        if field is None:
            continue
        if field in found:
            first = _as_text(header[found[field]])
            raise _FileProblem(FILE_DUPLICATE_COLUMN.format(first=first, second=name, column=field))
        found[field] = index
    if "text" not in found:
        raise _FileProblem(FILE_NO_TEXT_COLUMN.format(row=row))
    return found


def _workshop_index(event: EventDefinition | None) -> dict[str, str]:
    """Folded workshop id or title (any language) → workshop id."""
    index: dict[str, str] = {}
    for workshop in event.workshops if event else []:
        for title in workshop.title.values():
            index.setdefault(_fold(title), workshop.id)
    for workshop in event.workshops if event else []:
        index[_fold(workshop.id)] = workshop.id  # an id wins over a title spelled the same
    return index


def _workshop_of(
    value: str, index: dict[str, str], has_event: bool
) -> tuple[str | None, Message | None]:
    """(workshop id or None for the whole event, problem)."""
    if not value:
        return None, None
    key = _fold(value)
    if key in index:
        return index[key], None
    if key in _GENERAL_KEYS:
        return None, None
    reason = ROW_UNKNOWN_WORKSHOP if has_event else ROW_NO_EVENT
    return None, reason.format(value=_quote(value))


def _text_problem(text: str) -> Message | None:
    """Why the recommendation's text is unusable, if it is."""
    if not text:
        return ROW_TEXT_MISSING
    if len(text) > MAX_TEXT:
        return ROW_TEXT_TOO_LONG.format(
            length=Plural("count.characters", len(text)), limit=Plural("count.characters", MAX_TEXT)
        )
    return None


def _parse_date(cell: Cell) -> date | None:
    """A date cell or text in one of the accepted forms; None when it is none of them."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if not isinstance(cell, str):
        return None  # numbers: an XLSX date cell would have come as a datetime
    text = cell.strip()
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DAY_FIRST_DATE.fullmatch(text):
        day, month, year = match.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _due_of(cell: Cell, today: date) -> tuple[date | None, Message | None]:
    """(due date or None, problem)."""
    raw = _as_text(cell)
    if not raw:
        return None, None
    due = _parse_date(cell)
    if due is None:
        return None, ROW_BAD_DATE.format(value=_quote(raw))
    if due < today:
        return None, ROW_DUE_PAST.format(value=due.isoformat())
    return due, None


def guess_language(text: str) -> str:
    """ar, fr or en by the simple rule in the module docstring."""
    letters = [c for c in text if c.isalpha()]
    arabic = sum(1 for c in letters if any(low <= c <= high for low, high in _ARABIC_BLOCKS))
    latin = sum(1 for c in letters if c <= "\u024f")  # Basic Latin to Latin Extended-B
    if arabic > latin:
        return "ar"
    lowered = text.casefold()
    if any(c in _FRENCH_LETTERS for c in lowered):
        return "fr"
    if _FRENCH_ELISION.search(lowered):
        return "fr"
    if any(word in _FRENCH_WORDS for word in _LATIN_WORD.findall(lowered)):
        return "fr"
    return "en"


def _language_of(value: str, text: str) -> tuple[str, Message | None]:
    """(language, problem): the cell's code, or the guess when it is empty."""
    if not value:
        return guess_language(text), None
    code = value.casefold()
    if code in SUPPORTED_LOCALES:
        return code, None
    return "", ROW_BAD_LANGUAGE.format(value=_quote(value))


class _Owners:
    """Finds owners among the participants, once per distinct cell value."""

    def __init__(self, participants: ParticipantRepository) -> None:
        self._participants = participants
        self._seen: dict[str, tuple[Participant | None, Message | None]] = {}
        self._folded: dict[int, list[str]] = {}  # name words, folded once per person

    async def resolve(self, value: str) -> tuple[Participant | None, Message | None]:
        """(the one participant meant, problem); (None, None) for an empty cell."""
        if not value:
            return None, None
        if value not in self._seen:
            self._seen[value] = await self._lookup(value)
        return self._seen[value]

    async def _lookup(self, value: str) -> tuple[Participant | None, Message | None]:
        """The lookup itself: @username, phone, or name."""
        quoted = _quote(value)
        if value.startswith("@"):
            found = await self._participants.find(value, limit=2)
        elif _PHONE_LIKE.fullmatch(value) and sum(c.isdigit() for c in value) >= 6:
            phone = clean_phone(value)
            if phone is None:
                return None, ROW_BAD_PHONE.format(value=quoted)
            found = await self._participants.find(phone, limit=2)
        else:  # whole words of the name only (bot.documents.owners)
            found, _ = await by_name(self._participants, value, self._folded)
            if len(found) > 1:
                return None, candidates_reason(quoted, found)
        if not found:
            return None, ROW_OWNER_NOT_FOUND.format(value=quoted)
        if len(found) > _NAME_MATCHES:
            return None, ROW_OWNER_TOO_MANY.format(
                value=quoted, count=Plural("bc.people", _NAME_MATCHES)
            )
        if len(found) > 1:
            return None, ROW_OWNER_AMBIGUOUS.format(
                value=quoted, count=Plural("bc.people", len(found))
            )
        return found[0], None


FileProblem = _FileProblem  # for the parsing process (bot.documents.isolated)
read_table = _read_table
columns_of = _columns


async def _read_rows(data: bytes, file_name: str) -> list[tuple[int, list[Cell]]]:
    """`read_table` in the parsing process, off the event loop; a workbook's zip directory
    is checked first (limits.py), so a zip bomb is refused before anything is unpacked."""
    if Path(file_name).suffix.lower() == ".xlsx" and 0 < len(data) <= MAX_BYTES:
        problem = xlsx_problem(data)
        if problem is not None:
            raise _FileProblem(problem)
    try:
        status, value = await run_isolated("table", data, file_name)
    except IsolatedFailure:
        raise _FileProblem(FILE_TOO_HEAVY) from None
    if status != "ok":
        raise _FileProblem(value)
    return value


async def plan_import(
    data: bytes,
    file_name: str,
    event: EventDefinition | None,
    participants: ParticipantRepository,
    today: date,
    recommendations: RecommendationRepository | None = None,
) -> ImportPlan:
    """Read and check a CSV or XLSX table of recommendations; writes nothing. With
    `recommendations`, rows identical to existing ones are set apart (`identical`)."""
    try:
        rows = await _read_rows(data, file_name)
        columns = _columns(*rows[0])
    except _FileProblem as exc:
        return ImportPlan([], [], exc.args[0])
    workshops = _workshop_index(event)
    owners = _Owners(participants)
    planned: list[PlannedRecommendation] = []
    problems: list[RowProblem] = []
    for number, cells in rows[1:]:
        fields = {f: cells[i] if i < len(cells) else None for f, i in columns.items()}
        if not _nonblank(fields.values()):
            continue  # content only in columns we ignore (a row number, a note…)
        text = _as_text(fields.get("text"))
        workshop_id, workshop_problem = _workshop_of(
            _as_text(fields.get("workshop")), workshops, event is not None
        )
        owner, owner_problem = await owners.resolve(_as_text(fields.get("owner")))
        due, due_problem = _due_of(fields.get("due"), today)
        language, language_problem = _language_of(_as_text(fields.get("language")), text)
        reasons = [
            reason
            for reason in (
                workshop_problem,
                _text_problem(text),
                owner_problem,
                due_problem,
                language_problem,
            )
            if reason
        ]
        if reasons:
            problems.extend(RowProblem(number, reason) for reason in reasons)
            continue
        planned.append(
            PlannedRecommendation(
                row=number,
                workshop_id=workshop_id,
                text=text,
                language=language,
                owner_id=owner.user_id if owner else None,
                owner_label=owner.full_name if owner else None,
                due=due,
            )
        )
    if not planned and not problems:
        return ImportPlan([], [], FILE_NO_ROWS)
    kept, identical = await _without_repeats(planned, recommendations)
    return ImportPlan(kept, problems, None, identical)


async def _without_repeats(
    planned: list[PlannedRecommendation], recommendations: RecommendationRepository | None
) -> tuple[list[PlannedRecommendation], list[RowProblem]]:
    """Rows identical (same workshop, same text ignoring case and spacing) to an existing
    recommendation or to an earlier row of the same table, set apart."""
    kept: list[PlannedRecommendation] = []
    identical: list[RowProblem] = []
    existing = await recommendations.text_index() if recommendations is not None else {}
    seen: dict[tuple[str | None, str], int] = {}
    for item in planned:
        key = (item.workshop_id, " ".join(item.text.casefold().split()))
        if key in existing:
            identical.append(RowProblem(item.row, ROW_IDENTICAL.format(ref=f"R-{existing[key]}")))
        elif key in seen:
            identical.append(RowProblem(item.row, ROW_REPEATED.format(row=seen[key])))
        else:
            seen[key] = item.row
            kept.append(item)
    return kept, identical


async def apply_import(
    plan: ImportPlan, recommendations: RecommendationRepository, created_by: int | None
) -> list[int]:
    """Create the planned recommendations (only those), in row order, in one transaction:
    a crash mid-import leaves none of them, never half the table; returns their ids."""
    if plan.file_problem is not None:
        return []
    return await recommendations.create_many(
        [
            NewRecommendation(p.workshop_id, p.text, p.language, p.owner_id, p.due)
            for p in plan.planned
        ],
        created_by,
    )
