"""The organizers' web dashboard, served by `multaqa run` when WEB_PORT is set (aiohttp, on
WEB_HOST, 127.0.0.1 by default; HTTPS is the reverse proxy's job).

Access: a personal sign-in link from /admin → Dashboard (single use, 15 minutes) sets a
session cookie (HttpOnly, SameSite=Lax, expiring). Every page and file checks the session
and that its owner still holds the organizer role. The optional public board (`organizers.
public_board: true` in the event file) shows recommendations without any personal data."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.context import Services
from bot.documents.export import zip_files
from bot.i18n import Translator
from bot.web.pages import (
    CONTENT_SECURITY_POLICY,
    board_rows,
    dashboard_page,
    message_page,
    public_board_page,
    signin_form,
)

log = logging.getLogger(__name__)

COOKIE = "multaqa_session"
CHART_CACHE_SECONDS = 30.0
SERVICES: web.AppKey[Services] = web.AppKey("services", Services)
CACHE: web.AppKey[dict[str, Any]] = web.AppKey("chart_cache", dict)


def _t(services: Services, locale: str) -> Translator:
    return services.texts[locale]


def _default_t(request: web.Request) -> Translator:
    services = request.app[SERVICES]
    header = request.headers.get("Accept-Language", "")
    return services.texts[services.texts.pick(None, header.split(",")[0].strip() or None)]


async def _session(request: web.Request):  # type: ignore[no-untyped-def]
    return await request.app[SERVICES].organizers.web.session(request.cookies.get(COOKIE))


def _refused(request: web.Request, status: int, key: str) -> web.Response:
    t = _default_t(request)
    return web.Response(
        status=status,
        text=message_page(t, t(key)),
        content_type="text/html",
        headers={"Cache-Control": "no-store"},
    )


async def _secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every response, streamed ones too: nothing cached, sniffed, framed or referred; no
    script at all, the page's one stylesheet by its hash, images and forms from here only;
    and no software versions in the Server header (aiohttp fills it only when it is unset)."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # Nothing to other sites; same-origin (not no-referrer) so that the browser names this
    # origin in its POSTs rather than "null", which the cross-site check refuses.
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["Server"] = "Multaqa"


_SAFE_FETCH_SITES = ("same-origin", "none")


def _cross_site(request: web.Request) -> bool:
    """Whether a browser sent this request from another site's page (login CSRF: a page
    signing the visitor in as someone else, or out). Browsers send Origin with every POST;
    tools that send neither header are not browsers."""
    if request.headers.get("Sec-Fetch-Site", "none") not in _SAFE_FETCH_SITES:
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    found = urlsplit(origin)
    if found.scheme not in ("http", "https") or not found.netloc:
        return True  # "null": a sandboxed frame, a file, a redirect from elsewhere
    base = urlsplit(request.app[SERVICES].organizers.base_url or "")
    return found.netloc.lower() not in {request.host.lower(), base.netloc.lower()}


@web.middleware
async def _same_site_posts(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every POST (sign in, sign out, language) must come from the dashboard's own pages."""
    if request.method == "POST" and _cross_site(request):
        log.warning("dashboard: a cross-site %s %s refused", request.method, request.path[:7])
        return _refused(request, 403, "web.cross_site")
    return await handler(request)


async def signin_page(request: web.Request) -> web.Response:
    """Opening the link shows a Sign-in button; only pressing it uses the link. Link
    previews (Telegram's, a mail scanner's) only ever GET: they cannot use it up."""
    services = request.app[SERVICES]
    token = request.match_info["token"]
    if not await services.organizers.web.link_valid(token):
        return _refused(request, 403, "web.link_used")
    return web.Response(text=signin_form(_default_t(request)), content_type="text/html")


async def signin(request: web.Request) -> web.Response:
    """Redeem a sign-in link (once) and set the session cookie."""
    services = request.app[SERVICES]
    token = request.match_info["token"]
    session = await services.organizers.web.redeem(token)
    if session is None:
        return _refused(request, 403, "web.link_used")
    found = await services.organizers.web.session(session)
    if found is not None:
        await services.audit.record(found.user_id, "dashboard.signin")
    response = web.HTTPFound("/")
    base = services.organizers.base_url or ""
    response.set_cookie(
        COOKIE,
        session,
        max_age=int(services.organizers.web.session_ttl.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=base.startswith("https://"),
        path="/",
    )
    raise response


async def index(request: web.Request) -> web.Response:
    """The dashboard."""
    session = await _session(request)
    if session is None:
        return _refused(request, 401, "web.signin_needed")
    services = request.app[SERVICES]
    t = _t(services, session.locale)
    desk = services.organizers.desk
    figures = await desk.figures()
    labels = await desk.labels(t)
    charts = await _charts(request, t)
    rows = await board_rows(services, t, labels)
    page = dashboard_page(t, services, figures, labels, [c.name for c, _ in charts], rows)
    return web.Response(text=page, content_type="text/html")


async def _charts(request: web.Request, t: Translator):  # type: ignore[no-untyped-def]
    cache = request.app[CACHE]
    hit = cache.get(t.locale)
    if hit is not None and time.monotonic() - hit[0] < CHART_CACHE_SECONDS:
        return hit[1]
    charts = await request.app[SERVICES].organizers.desk.charts(t)
    cache[t.locale] = (time.monotonic(), charts)
    return charts


async def chart(request: web.Request) -> web.Response:
    """One chart as PNG."""
    session = await _session(request)
    if session is None:
        return _refused(request, 401, "web.signin_needed")
    t = _t(request.app[SERVICES], session.locale)
    for found, png in await _charts(request, t):
        if found.name == request.match_info["name"]:
            return web.Response(body=png, content_type="image/png")
    raise web.HTTPNotFound()


async def download(request: web.Request) -> web.StreamResponse:
    """The export, XLSX or CSV (in a ZIP), made now in a worker thread and streamed."""
    session = await _session(request)
    if session is None:
        return _refused(request, 401, "web.signin_needed")
    fmt = request.match_info["fmt"]
    if fmt not in ("xlsx", "csv"):
        raise web.HTTPNotFound()
    services = request.app[SERVICES]
    t = _t(services, session.locale)
    with tempfile.TemporaryDirectory(prefix="multaqa-web-") as folder:
        paths = await services.organizers.desk.export(t, fmt, Path(folder))  # type: ignore[arg-type]
        if fmt == "csv":
            paths = [zip_files(paths, Path(folder) / (paths[0].stem + ".zip"))]
        await services.audit.record(session.user_id, "export", fmt, {"via": "web"})
        response = web.StreamResponse(
            headers={
                "Content-Type": _KINDS[fmt],
                "Content-Disposition": f'attachment; filename="{paths[0].name}"',
                "Content-Length": str(paths[0].stat().st_size),
            }
        )
        await response.prepare(request)
        with paths[0].open("rb") as fh:  # in pieces: memory stays flat whatever the size
            while chunk := await asyncio.to_thread(fh.read, 256 * 1024):
                await response.write(chunk)
        await response.write_eof()
    return response


_KINDS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "application/zip",
}


async def language(request: web.Request) -> web.Response:
    """Switch the dashboard's language."""
    session = await _session(request)
    if session is None:
        return _refused(request, 401, "web.signin_needed")
    code = request.match_info["code"]
    services = request.app[SERVICES]
    if code in services.texts.locales:
        await services.organizers.web.set_locale(request.cookies[COOKIE], code)
    raise web.HTTPFound("/")


async def signout(request: web.Request) -> web.Response:
    """End the session."""
    token = request.cookies.get(COOKIE)
    if token:
        await request.app[SERVICES].organizers.web.end(token)
    response = web.HTTPFound("/")
    response.del_cookie(COOKIE, path="/")
    raise response


async def public_board(request: web.Request) -> web.Response:
    """Recommendations and their progress, without personal data, when switched on."""
    services = request.app[SERVICES]
    event = await services.event.current()
    if event is None or not event.organizers.public_board:
        raise web.HTTPNotFound()
    code = request.query.get("lang")
    t = services.texts[code] if code in services.texts.locales else _default_t(request)
    labels = await services.organizers.desk.labels(t)
    rows = await board_rows(services, t, labels, public=True)
    return web.Response(text=public_board_page(t, rows), content_type="text/html")


def build_web_app(services: Services) -> web.Application:
    """The dashboard's aiohttp application."""
    app = web.Application(client_max_size=64 * 1024, middlewares=[_same_site_posts])
    app.on_response_prepare.append(_secure_headers)
    app[SERVICES] = services
    app[CACHE] = {}
    app.router.add_get("/", index)
    app.router.add_get("/signin/{token}", signin_page)
    app.router.add_post("/signin/{token}", signin)
    app.router.add_get("/chart/{name}.png", chart)
    app.router.add_get("/export/{fmt}", download)
    app.router.add_post("/lang/{code}", language)
    app.router.add_post("/signout", signout)
    app.router.add_get("/board", public_board)
    return app


async def start_web(services: Services) -> web.AppRunner | None:
    """Serve the dashboard when WEB_PORT is set; the runner to clean up at shutdown."""
    settings = services.settings
    if settings.web_port is None:
        return None
    # No access log: sign-in links carry their token in the path.
    runner = web.AppRunner(build_web_app(services), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.web_host, settings.web_port).start()
    except OSError as exc:  # the port is taken: the bot itself must still start
        log.error(
            "dashboard not started: cannot listen on %s:%d (%s)",
            settings.web_host,
            settings.web_port,
            exc.strerror,
        )
        await runner.cleanup()
        return None
    log.info("dashboard on http://%s:%d", settings.web_host, settings.web_port)
    return runner
