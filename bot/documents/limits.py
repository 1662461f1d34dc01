"""Limits checked on an uploaded file before any parser sees it: cheap scans of the raw
bytes or text, so that a file built to explode (a zip bomb, YAML nested thousands deep, a
billion-laughs of aliases) is refused at once with a reason, instead of being parsed.

The parsing itself runs in another process (`bot.documents.isolated`); these limits keep
that process's work bounded and give the organizer a clear answer."""

from __future__ import annotations

import io
import re
import zipfile

from bot.i18n import Message

# XLSX: a 2 MB workbook of 2,000 rows of 2,000-character texts unpacks to ~10 MB.
MAX_XLSX_UNPACKED = 24 * 1024 * 1024
MAX_XLSX_ENTRIES = 200
MAX_XLSX_RATIO = 150  # declared uncompressed / compressed size of one entry
# YAML: the event file's deepest legitimate nesting is 5 (agenda → item → title → ar).
MAX_YAML_DEPTH = 20
MAX_YAML_ALIASES = 100

# Why a file is refused: catalogue messages, in the organizer's language where they are shown.
XLSX_TOO_BIG = Message("ri.xlsx_too_big", limit=0)
XLSX_TOO_MANY_PARTS = Message("ri.xlsx_too_many_parts", limit=0)
XLSX_DAMAGED = Message("ri.file_bad_xlsx")
YAML_TOO_DEEP = Message("evf.too_deep", limit=0, first=0, last=0)
YAML_TOO_MANY_ALIASES = Message("evf.too_many_aliases", limit=0)

_ALIAS = re.compile(r"(?:^|[\s\[{,:-])\*[^\s,\[\]{}]+")


def xlsx_problem(data: bytes) -> Message | None:
    """Why a workbook is refused before opening it: its zip directory's declared sizes and
    entry count (reading the directory costs nothing, whatever the file unpacks to)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return XLSX_DAMAGED
    if len(entries) > MAX_XLSX_ENTRIES:
        return XLSX_TOO_MANY_PARTS.format(limit=MAX_XLSX_ENTRIES)
    total = sum(entry.file_size for entry in entries)
    squeezed = any(
        entry.file_size > 1024 * 1024 and entry.file_size > MAX_XLSX_RATIO * entry.compress_size
        for entry in entries
    )
    if total > MAX_XLSX_UNPACKED or squeezed:
        return XLSX_TOO_BIG.format(limit=MAX_XLSX_UNPACKED // (1024 * 1024))
    return None


def yaml_depth(text: str) -> tuple[int, int, int]:
    """The deepest nesting of a YAML text (block indentation, `- ` items and `[`/`{`
    brackets together), and the lines where it was first and last that deep. An estimate
    that never under-counts what a parser would build."""
    indents: list[int] = []
    flow = 0
    deepest, first, last = 0, 0, 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        if flow == 0:
            indent = len(line) - len(stripped)
            while indents and indents[-1] >= indent:
                indents.pop()
            indents.append(indent)
            items = 0
            while stripped.startswith("- ") or stripped == "-":
                items += 1
                stripped = stripped[2:].lstrip(" ")
            block = len(indents) + items
        else:
            block = len(indents)
        for char in stripped:
            if char in "[{":
                flow += 1
            elif char in "]}" and flow:
                flow -= 1
            depth = block + flow
            if depth > deepest:
                deepest, first = depth, number
            if depth == deepest:
                last = number
        if block > deepest:
            deepest, first, last = block, number, number
    return deepest, first, last


def yaml_problem(text: str) -> Message | None:
    """Why an event file is refused before parsing it: too deep, or too many aliases (the
    size is checked by the caller, on the bytes)."""
    depth, first, last = yaml_depth(text)
    if depth > MAX_YAML_DEPTH:
        return YAML_TOO_DEEP.format(limit=MAX_YAML_DEPTH, first=first, last=last)
    if len(_ALIAS.findall(text)) > MAX_YAML_ALIASES:
        return YAML_TOO_MANY_ALIASES.format(limit=MAX_YAML_ALIASES)
    return None
