"""The dashboard's pages: plain HTML and CSS, readable on a phone and on a projector (large
type, one column on narrow screens), right to left in Arabic. Texts come from locales/;
everything else is escaped here."""

from __future__ import annotations

import base64
import hashlib
import html
from dataclasses import dataclass

from bot.context import Services
from bot.documents.figures import EventLabels
from bot.i18n import Translator
from storage.figures import RECOMMENDATION_STATUSES, Figures, ordered

_STYLE = """
:root { color-scheme: light; --ink:#1d2733; --muted:#5b6673; --line:#d9dee4; --accent:#1b6ca8; }
* { box-sizing: border-box; }
body { margin:0; font-family:"IBM Plex Sans Arabic","Noto Sans Arabic","DejaVu Sans",sans-serif;
  color:var(--ink); background:#f6f7f9; font-size:clamp(16px, 1.1vw + 10px, 26px); }
header { display:flex; flex-wrap:wrap; gap:.6em; align-items:center; justify-content:space-between;
  padding:.6em 1em; background:#fff; border-bottom:1px solid var(--line); }
header h1 { font-size:1.3em; margin:0; }
nav a, nav button { margin-inline-start:.6em; color:var(--accent); background:none; border:0;
  font:inherit; cursor:pointer; text-decoration:underline; }
main { display:grid; grid-template-columns:repeat(auto-fit, minmax(min(100%, 28em), 1fr));
  gap:1em; padding:1em; }
section { background:#fff; border:1px solid var(--line); border-radius:.5em; padding:.8em 1em;
  min-width:0; overflow-x:auto; }
section h2 { font-size:1.1em; margin:.2em 0 .6em; }
.big { font-size:2.2em; font-weight:700; }
.kpis { display:flex; flex-wrap:wrap; gap:1.2em; }
.kpis div { min-width:6em; }
.kpis span { display:block; color:var(--muted); font-size:.8em; }
table { width:100%; border-collapse:collapse; }
th, td { text-align:start; padding:.35em .4em; border-bottom:1px solid var(--line);
  vertical-align:top; }
th { color:var(--muted); font-weight:600; font-size:.85em; }
img { max-width:100%; height:auto; display:block; margin:.4em 0; }
.bar { appearance:none; border:0; background:#e8edf3; border-radius:.3em; height:.7em;
  width:100%; min-width:5em; }
.bar::-webkit-progress-bar { background:#e8edf3; border-radius:.3em; }
.bar::-webkit-progress-value { background:var(--accent); border-radius:.3em; }
.bar::-moz-progress-bar { background:var(--accent); border-radius:.3em; }
form.inline { display:inline; }
button.button { font:inherit; border:0; cursor:pointer; }
a.button, button.button { display:inline-block; padding:.4em .9em; margin:.2em; border-radius:.4em;
  background:var(--accent); color:#fff; text-decoration:none; }
.wide { grid-column:1 / -1; }
.nowrap { white-space:nowrap; }
.charts { display:grid; grid-template-columns:repeat(auto-fit, minmax(min(100%, 30em), 1fr));
  gap:1em; align-items:start; }
"""


_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
# No script, nothing from elsewhere: the one <style> by its hash (so no style="" attributes),
# charts from here, forms posting here, never inside another site's frame.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _page(t: Translator, title: str, body: str, refresh: bool = False) -> str:
    direction = "rtl" if t.is_rtl else "ltr"
    meta = '<meta http-equiv="refresh" content="60">' if refresh else ""
    return (
        f'<!doctype html><html lang="{t.locale}" dir="{direction}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{meta}'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def message_page(t: Translator, message: str) -> str:
    """A page that only says something (refused access, a used link)."""
    return _page(t, t("web.title"), f"<main><section><p>{message}</p></section></main>")


def signin_form(t: Translator) -> str:
    """The sign-in page: one button that uses the personal link (posted to the same address)."""
    return _page(
        t,
        t("web.title"),
        f"<main><section><h2>{t('web.title')}</h2><p>{t('web.signin_intro')}</p>"
        f'<form method="post"><button class="button" type="submit">{t("web.signin")}</button>'
        "</form></section></main>",
    )


@dataclass(frozen=True, slots=True)
class BoardRow:
    """One recommendation on the board."""

    theme: str
    status_code: str
    updated_at: str  # ISO, UTC: the latest is found by comparing these
    ref: str
    text: str
    status: str
    progress: int | None  # percent, when the follow-up work records it
    owner: str  # empty on the public board
    due: str
    updated: str


async def board_rows(
    services: Services, t: Translator, labels: EventLabels, public: bool = False
) -> list[BoardRow]:
    """Recommendations with their progress, grouped by workshop in the event's order."""
    names = labels.names
    entries = await services.followup.repo.board()
    order = {w: i for i, w in enumerate(labels.capacities)}
    entries.sort(key=lambda r: (order.get(r.workshop_id, len(order)), r.id))
    found = []
    for r in entries:
        found.append(
            BoardRow(
                theme=names.theme(r.workshop_id),
                status_code=r.status,
                updated_at=r.updated_at,
                ref=f"R-{r.id}",
                text=r.text,
                status=names.code("rstatus", r.status),
                progress=r.progress,
                owner="" if public else (r.owner_name or ""),
                due=r.due_date or "",
                updated=names.when(r.updated_at),
            )
        )
    return found


def _board(t: Translator, rows: list[BoardRow], public: bool) -> str:
    heads = ["theme", "ref", "text", "status", "progress"] + ([] if public else ["owner"])
    heads += ["due", "updated"]
    head = "".join(f"<th>{t(f'web.col.{h}')}</th>" for h in heads)
    body = []
    for row in rows:
        bar = (
            f'<progress class="bar" value="{row.progress}" max="100" title="{row.progress}%">'
            f"{row.progress}%</progress>"
            if row.progress is not None
            else ""
        )
        # Texts may be in another script than the page: each cell finds its own direction.
        texts = [_e(row.theme), _e(row.ref), _e(row.text), _e(row.status)]
        cells = [f'<td dir="auto">{c}</td>' for c in texts] + [f"<td>{bar}</td>"]
        if not public:
            cells.append(f'<td dir="auto">{_e(row.owner)}</td>')
        cells += [
            f'<td class="nowrap">{_e(row.due)}</td>',
            f'<td class="nowrap">{_e(row.updated)}</td>',
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        return f"<p>{t('web.no_recommendations')}</p>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _per_workshop(t: Translator, labels: EventLabels, rows: list[BoardRow]) -> str:
    """Per workshop: how many recommendations, how many done, and the last update."""
    groups: dict[str, list[BoardRow]] = {}
    for row in rows:
        groups.setdefault(row.theme, []).append(row)
    if not groups:
        return f"<p>{t('web.no_recommendations')}</p>"
    head = "".join(
        f"<th>{t(f'web.col.{h}')}</th>" for h in ("workshop", "total", "done", "updated")
    )
    body = []
    for theme, items in groups.items():
        latest = max(items, key=lambda r: r.updated_at)
        done = sum(r.status_code == "done" for r in items)
        cells = [f'<td dir="auto">{_e(theme)}</td>', f"<td>{len(items)}</td>", f"<td>{done}</td>"]
        cells.append(f'<td class="nowrap">{_e(latest.updated)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _languages(services: Services, t: Translator) -> str:
    return "".join(  # a POST: following a link must not change anything
        f'<form method="post" action="/lang/{code}" class="inline">'
        f'<button lang="{code}">{_e(name)}</button></form>'
        for code, name in services.texts.language_names().items()
        if code != t.locale
    )


def _kpi_label(t: Translator, key: str, value: int) -> str:
    """The word under a figure of the dashboard, agreeing with it (1 inscrit, 3 inscrits)."""
    if key == "waiting":  # "on waiting lists": the same for every count
        return str(t("web.kpi.waiting"))
    return str(t.plural(f"web.kpi.{key}", value))


def dashboard_page(
    t: Translator,
    services: Services,
    figures: Figures,
    labels: EventLabels,
    chart_names: list[str],
    rows: list[BoardRow],
) -> str:
    """The organizers' dashboard."""
    names = labels.names
    kpis = "".join(
        f'<div><b class="big" data-kpi="{key}">{value}</b>'
        f"<span>{_kpi_label(t, key, value)}</span></div>"
        for key, value in (
            ("registered", figures.registered),
            ("checkins", figures.checkins),
            ("waiting", figures.waiting),
            ("proposals", sum(figures.proposals_by_status.values())),
            ("recommendations", sum(figures.recommendations.values())),
        )
    )
    seat_rows = []
    for w, capacity in labels.capacities.items():
        confirmed, waiting = figures.seats.get(w, (0, 0))
        cells = (_e(names.theme(w)), confirmed, capacity, waiting)
        seat_rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    seats = "".join(seat_rows)
    seats_table = (
        f"<table><thead><tr><th>{t('web.col.workshop')}</th><th>{t('web.col.confirmed')}</th>"
        f"<th>{t('web.col.capacity')}</th><th>{t('web.col.waiting')}</th></tr></thead>"
        f"<tbody>{seats}</tbody></table>"
        if seats
        else f"<p>{t('web.no_workshops')}</p>"
    )
    statuses = "".join(
        f"<tr><td>{_e(names.code('rstatus', s))}</td><td>{n}</td></tr>"
        for s, n in ordered(figures.recommendations, RECOMMENDATION_STATUSES)
    )
    charts = "".join(f'<img src="/chart/{_e(name)}.png" alt="{_e(name)}">' for name in chart_names)
    updated = t.datetime(services.clock.now(), names.zone, "short")
    body = (
        f"<header><h1>{t('web.title')}</h1><nav>{_languages(services, t)}"
        f'<form method="post" action="/signout" class="inline">'
        f"<button>{t('web.signout')}</button></form></nav></header><main>"
        f'<section class="wide"><h2>{t("web.figures")}</h2><div class="kpis">{kpis}</div></section>'
        f"<section><h2>{t('web.seats')}</h2>{seats_table}</section>"
        f"<section><h2>{t('fig.recommendations')}</h2><table>{statuses}</table></section>"
        f"<section><h2>{t('web.per_workshop')}</h2>{_per_workshop(t, labels, rows)}</section>"
        f'<section class="wide"><h2>{t("web.board")}</h2>{_board(t, rows, public=False)}</section>'
        f'<section class="wide"><h2>{t("web.charts")}</h2>'
        f'<div class="charts">{charts or t("web.no_data")}</div></section>'
        f'<section class="wide"><h2>{t("web.exports")}</h2>'
        f'<a class="button" href="/export/xlsx" download>{t("admin.export_xlsx")}</a>'
        f'<a class="button" href="/export/csv" download>{t("admin.export_csv")}</a></section>'
        f'<section class="wide"><small>{t("web.updated", at=updated)}</small></section>'
        "</main>"
    )
    return _page(t, t("web.title"), body, refresh=True)


def public_board_page(t: Translator, rows: list[BoardRow]) -> str:
    """The public progress board: no names, no ids of people."""
    body = (
        f"<header><h1>{t('web.public_title')}</h1></header><main>"
        f'<section class="wide">{_board(t, rows, public=True)}</section></main>'
    )
    return _page(t, t("web.public_title"), body, refresh=True)
