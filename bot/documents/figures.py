"""The figures in words and in charts, in one language: the /admin → Figures message, the
daily summary, the dashboard. Pure functions of `storage.figures.Figures` and labels."""

from __future__ import annotations

from dataclasses import dataclass

from babel.dates import format_date

from bot.documents.charts import Bars, Chart, Timeline
from bot.documents.export import ExportLabels
from bot.i18n import Html
from storage.figures import PROPOSAL_STATUSES, RECOMMENDATION_STATUSES, Figures, ordered

_CLDR = {"ar": "ar_MA", "fr": "fr_MA", "en": "en_GB"}
MAX_LINES = 25  # per section: a message stays readable (and under Telegram's 4,096)


@dataclass(frozen=True, slots=True)
class EventLabels:
    """Translated names of the event's things, and workshop capacities in file order."""

    names: ExportLabels
    capacities: dict[str, int]  # workshop id -> capacity, in the event file's order


# What an empty section says, in its own words: "nobody yet" fits people, not proposals.
_EMPTY = {
    "fig.by_function": "admin.no_regions",
    "fig.by_region": "admin.no_regions",
    "fig.workshops": "fig.empty_workshops",
    "fig.proposals": "fig.empty_proposals",
    "fig.recommendations": "fig.empty_recommendations",
}


def _section(t, title_key: str, lines: list[str]) -> str:  # type: ignore[no-untyped-def]
    shown = lines[:MAX_LINES]
    if len(lines) > MAX_LINES:
        shown.append(t("fig.more", n=len(lines) - MAX_LINES))
    # Built as safe HTML (Html joins): every piece is a catalogue text with escaped values.
    return Html("\n").join([Html(f"<b>{t(title_key)}</b>"), *(shown or [t(_EMPTY[title_key])])])


def figures_text(figures: Figures, labels: EventLabels) -> str:
    """The figures as one readable message (Telegram HTML)."""
    t, names = labels.names.t, labels.names
    head = t(
        "fig.head",
        registered=Html(t.plural("admin.registered", figures.registered)),
        unreachable=Html(t.plural("admin.unreachable", figures.unreachable)),
        erased=figures.erased,
        checkins=figures.checkins,
        waiting=figures.waiting,
    )
    line = "fig.line"
    functions = [
        t(line, label=names.code("function", c), n=n) for c, n in figures.by_function.items()
    ]
    regions = [t(line, label=names.code("region", c), n=n) for c, n in figures.by_region.items()]
    workshops = []
    for workshop_id, capacity in labels.capacities.items():
        confirmed, waiting = figures.seats.get(workshop_id, (0, 0))
        workshops.append(
            t(
                "admin.workshop_line",
                title=names.theme(workshop_id),
                seats=t.plural("admin.seats_taken", capacity, taken=confirmed),
                waiting=t.plural("admin.waiting", waiting),
            )
        )
    proposals = []
    for theme, statuses in sorted(figures.proposals.items(), key=lambda kv: -sum(kv[1].values())):
        detail = t("fig.separator").join(
            t("fig.part", label=names.code("pstatus", s), n=n)
            for s, n in ordered(statuses, PROPOSAL_STATUSES)
            if n
        )
        proposals.append(
            t(
                "fig.theme_line",
                label=names.theme(theme),
                n=sum(statuses.values()),
                detail=Html(detail),
            )
        )
    recommendations = [
        t(line, label=names.code("rstatus", s), n=n)
        for s, n in ordered(figures.recommendations, RECOMMENDATION_STATUSES)
    ]
    return Html("\n\n").join(
        [
            head,
            _section(t, "fig.by_function", functions),
            _section(t, "fig.by_region", regions),
            *([_section(t, "fig.workshops", workshops)] if workshops else []),
            _section(t, "fig.proposals", proposals),
            _section(t, "fig.recommendations", recommendations if figures.recommendations else []),
        ]
    )


def split_message(text: str, limit: int = 4096) -> list[str]:
    """A long text as messages Telegram accepts (counted in UTF-16 units, as Telegram counts),
    cut between sections, else between lines (every line of these texts is whole HTML)."""

    def size(part: str) -> int:
        return len(part.encode("utf-16-le")) // 2

    pieces: list[tuple[str, str]] = []  # (separator before, piece)
    for block in text.split("\n\n"):
        lines = [block] if size(block) <= limit else block.split("\n")
        pieces.append(("\n\n", lines[0]))
        pieces.extend(("\n", line) for line in lines[1:])
    parts: list[str] = []
    current = ""
    for separator, piece in pieces:
        if size(piece) > limit:  # a single line longer than a message: shortened
            piece = piece[: limit // 2] + "…"
        candidate = current + separator + piece if current else piece
        if size(candidate) <= limit:
            current = candidate
        else:
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return [Html(part) for part in parts]  # pieces of safe HTML stay safe HTML


def build_charts(figures: Figures, labels: EventLabels) -> list[Chart]:
    """The charts of the figures (empty panels left out)."""
    t, names = labels.names.t, labels.names
    plain = names.plain  # chart labels are plain text: no tags, entities or marks
    charts: list[Chart] = []
    if figures.by_day:
        days = [format_date(day, "d MMM", locale=_CLDR[t.locale]) for day, _ in figures.by_day]
        charts.append(
            Chart(
                "registrations",
                plain("fig.chart.registrations"),
                [
                    Timeline(
                        plain("fig.chart.registrations"),
                        days,
                        [n for _, n in figures.by_day],
                        plain("fig.chart.total"),
                        plain("fig.chart.per_day"),
                    )
                ],
            )
        )
    people: list[Bars | Timeline] = []
    if figures.by_function:
        people.append(
            Bars(
                plain("fig.by_function"),
                [names.code("function", c) for c in figures.by_function],
                [(plain("fig.chart.people"), list(figures.by_function.values()))],
            )
        )
    if figures.by_region:
        people.append(
            Bars(
                plain("fig.by_region"),
                [names.code("region", c) for c in figures.by_region],
                [(plain("fig.chart.people"), list(figures.by_region.values()))],
            )
        )
    if people:
        charts.append(Chart("people", plain("fig.chart.people_caption"), people))
    if labels.capacities:
        ids = list(labels.capacities)
        charts.append(
            Chart(
                "workshops",
                plain("fig.workshops"),
                [
                    Bars(
                        plain("fig.workshops"),
                        [names.theme(w) for w in ids],
                        [
                            (
                                plain("ex.seat.confirmed"),
                                [figures.seats.get(w, (0, 0))[0] for w in ids],
                            ),
                            (
                                plain("ex.seat.waiting"),
                                [figures.seats.get(w, (0, 0))[1] for w in ids],
                            ),
                        ],
                        limits=[labels.capacities[w] for w in ids],
                    )
                ],
            )
        )
    follow: list[Bars | Timeline] = []
    if figures.proposals:
        themes = sorted(figures.proposals, key=lambda k: -sum(figures.proposals[k].values()))
        statuses = [s for s, n in ordered(figures.proposals_by_status, PROPOSAL_STATUSES) if n]
        follow.append(
            Bars(
                plain("fig.proposals"),
                [names.theme(theme) for theme in themes],
                [
                    (names.code("pstatus", s), [figures.proposals[th].get(s, 0) for th in themes])
                    for s in statuses
                ],
            )
        )
    if figures.recommendations:
        pairs = ordered(figures.recommendations, RECOMMENDATION_STATUSES)
        follow.append(
            Bars(
                plain("fig.recommendations"),
                [names.code("rstatus", s) for s, _ in pairs],
                [(plain("fig.chart.recommendations"), [n for _, n in pairs])],
            )
        )
    if follow:
        charts.append(Chart("follow-up", plain("fig.chart.follow_caption"), follow))
    return charts
