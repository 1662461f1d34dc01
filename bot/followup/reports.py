"""What organizers take away from follow-up: every recommendation with its full history as
XLSX (a sheet for the recommendations, one for the timeline; right to left in Arabic) or CSV
(UTF-8 with BOM so Excel reads Arabic), and a chart of statuses per workshop (PNG; matplotlib 3.11+
shapes Arabic and orders it right to left itself, through libraqm: shaping it again beforehand
would reverse it). The tables are read on the event loop, all the recommendations and all the
timelines in one query each (`export_tables`); the files and the chart are built in a worker
thread: never on the event loop."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.followup.service import FollowUpService
    from bot.i18n import Translator

STATUS_ORDER = ("not_started", "in_progress", "blocked", "done", "dropped")
STATUS_COLOURS = {
    "not_started": "#b0b0b0",
    "in_progress": "#f2c14e",
    "blocked": "#d1495b",
    "done": "#2e8b57",
    "dropped": "#505050",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(value: object) -> object:
    """A cell a spreadsheet will not run as a formula (a leading apostrophe)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@dataclass(frozen=True, slots=True)
class Table:
    """A sheet: its title, headers and rows (already in the reader's language)."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]


async def export_tables(followup: FollowUpService, t: Translator) -> list[Table]:
    """Recommendations and their timeline, in the reader's language. Each person's name,
    workshop title and status label is looked up once, not once per row."""
    zone = await followup.zone()
    recs = await followup.repo.all()
    timelines = await followup.repo.timelines()
    names: dict[int, str] = {}
    titles: dict[str | None, str] = {}

    async def name(user_id: int | None) -> str:
        if not user_id:
            return ""
        if user_id not in names:
            person = await followup.participants.get(user_id)
            names[user_id] = person.full_name if person else str(user_id)
        return names[user_id]

    async def title(workshop_id: str | None) -> str:
        if workshop_id not in titles:
            titles[workshop_id] = str(await followup.workshop_title(t, workshop_id))
        return titles[workshop_id]

    statuses: dict[str, str] = {}

    def status(code: str | None) -> str:
        if not code:
            return ""
        if code not in statuses:
            statuses[code] = t.plain(f"rec.{code}")
        return statuses[code]

    main_rows, history_rows = [], []
    for rec in recs:
        timeline = timelines.get(rec.id, [])
        last = next((u for u in reversed(timeline) if u.kind == "status"), None)
        main_rows.append(
            [
                rec.reference,
                await title(rec.workshop_id),
                rec.text,
                await name(rec.owner_id),
                rec.due_date.isoformat() if rec.due_date else "",
                status(rec.status),
                rec.progress,
                last.at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if last else "",
                (last.comment or "") if last else "",
            ]
        )
        for u in timeline:
            history_rows.append(
                [
                    rec.reference,
                    u.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                    await name(u.by_user) if u.by_user else t("fu.system"),
                    u.kind,
                    status(u.from_status),
                    status(u.to_status),
                    u.progress if u.progress is not None else "",
                    u.comment or "",
                    " ".join(e.file_id for e in u.evidence),
                ]
            )
    headers = t.plain("fu.export.headers").split("|")
    history_headers = t.plain("fu.export.history_headers").split("|")
    return [
        Table(t.plain("fu.export.sheet"), headers, main_rows),
        Table(t.plain("fu.export.history_sheet"), history_headers, history_rows),
    ]


def xlsx_bytes(tables: Sequence[Table], right_to_left: bool) -> bytes:
    """A workbook with one sheet per table, streamed (write-only) to bytes."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for table in tables:
        sheet = book.create_sheet(title=table.title[:31])
        sheet.sheet_view.rightToLeft = right_to_left
        sheet.append([inert(h) for h in table.headers])
        for row in table.rows:
            sheet.append([inert(cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(table: Table) -> bytes:
    """One table as CSV, UTF-8 with a BOM (Excel then reads Arabic right)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([inert(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([inert(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def status_chart_png(
    title: str,
    workshops: Sequence[str],
    counts: dict[str, Sequence[int]],
    legend: dict[str, str],
) -> bytes:
    """A horizontal stacked bar per workshop, one colour per status."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    from bot.documents.poster import font_path

    font = font_manager.FontProperties(fname=str(font_path()))
    height = max(3.0, 0.6 * len(workshops) + 2.0)
    fig, ax = plt.subplots(figsize=(9, height), dpi=110)
    try:
        left = [0] * len(workshops)
        labels = [w if len(w) <= 48 else w[:47] + "…" for w in workshops]
        for status in STATUS_ORDER:
            values = list(counts.get(status, [0] * len(workshops)))
            if not any(values):
                continue
            ax.barh(
                labels,
                values,
                left=left,
                color=STATUS_COLOURS[status],
                label=legend[status],
            )
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.invert_yaxis()
        ax.set_title(title, fontproperties=font, fontsize=13)
        for label in ax.get_yticklabels():
            label.set_fontproperties(font)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(prop=font, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=5, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(fig)
