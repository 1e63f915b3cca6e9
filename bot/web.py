"""The bot's one aiohttp web server: the web chat, messenger webhooks, signed file links, health,
and the public page that checks a certificate's code."""

from __future__ import annotations

import html
from collections.abc import Mapping
from urllib.parse import quote

from aiohttp import web

from bot.channels import web_security
from bot.i18n import LOCALES, Translator
from bot.language.names import surname_initials
from bot.ops import metrics
from bot.runtime import Runtime
from bot.services.admin import certificates
from bot.services.schedule import feeds
from bot.supervisor import Loop, Supervisor

RUNTIME_KEY = web.AppKey("runtime", Runtime)
# Long-running loops a channel needs beside the server (Telegram polling), supervised like the workers.
BACKGROUND_KEY = web.AppKey("background", list[Loop])
SUPERVISOR_KEY = web.AppKey("supervisor", Supervisor)
# Counters a channel keeps of what it could not take (Telegram's given-up updates), shown by /healthz.
COUNTERS_KEY = web.AppKey("counters", dict[str, Mapping[str, int]])


def make_web_app(runtime: Runtime) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[RUNTIME_KEY] = runtime
    app[BACKGROUND_KEY] = []
    app[COUNTERS_KEY] = {}
    web_security.install(app, runtime.settings.public_url)
    app.router.add_get("/healthz", health)
    app.router.add_get("/metrics", metrics_page)
    app.router.add_get("/files/{token}", signed_file)
    app.router.add_get("/calendar/{token}", calendar_feed)
    app.router.add_get("/verify", verify_page)
    app.router.add_get("/verify/{code}", verify_page)
    return app


async def health(request: web.Request) -> web.Response:
    """200 when every loop runs and makes progress; 503 naming the loop that is dead or stuck."""
    supervisor = request.app.get(SUPERVISOR_KEY)
    if supervisor is None:  # the web app alone (tests of a single route): nothing runs beside it
        return web.json_response({"ok": True, "loops": {}})
    report = await supervisor.report()
    counters = {name: dict(counts) for name, counts in request.app[COUNTERS_KEY].items()}
    body = {"ok": report.ok, "loops": report.loops, "counters": counters}
    return web.json_response(body, status=200 if report.ok else 503)


async def metrics_page(request: web.Request) -> web.Response:
    """Prometheus's scrape: the queues read now from the database, the loops' health, the counters."""
    async with request.app[RUNTIME_KEY].sessions() as session:
        await metrics.read_queues(session)
    supervisor = request.app.get(SUPERVISOR_KEY)
    loops = (await supervisor.report()).loops if supervisor is not None else {}
    metrics.read_health(loops, request.app[COUNTERS_KEY])
    return web.Response(body=metrics.render(), headers={"Content-Type": metrics.CONTENT_TYPE})


async def signed_file(request: web.Request) -> web.StreamResponse:
    """A file behind an unguessable, expiring link (web chat, WhatsApp's MediaUrl), streamed from disk."""
    runtime = request.app[RUNTIME_KEY]
    file_name_id = runtime.links.verify_file_token(request.match_info["token"])
    if file_name_id is None:
        raise web.HTTPNotFound()
    async with runtime.sessions() as session:
        found = await runtime.files.locate(session, file_name_id)
    if found is None or not found.path.is_file():
        raise web.HTTPNotFound()
    inline = found.mime.startswith(("image/", "audio/", "video/", "application/pdf"))
    disposition = "inline" if inline else "attachment"
    headers = {
        "Content-Type": found.mime,
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(found.name)}",
    }  # Cache-Control: private, no-store and nosniff come from web_security, as for every page
    return web.FileResponse(found.path, headers=headers)


async def calendar_feed(request: web.Request) -> web.Response:
    """A person's private calendar (.ics) behind a signed link that a new link revokes."""
    runtime = request.app[RUNTIME_KEY]
    async with runtime.sessions() as session, session.begin():
        person_id = await feeds.verify(session, runtime.links, request.match_info["token"])
        body = await feeds.render(session, person_id, runtime.settings.default_locale) if person_id else None
    if body is None:
        raise web.HTTPNotFound()
    headers = {"Content-Disposition": "inline; filename=ustaz.ics"}
    # Cache-Control: private, no-store and nosniff come from web_security, as for /files/
    return web.Response(body=body, content_type="text/calendar", charset="utf-8", headers=headers)


# -- the public certificate check ---------------------------------------------------


def _page(body: str, status: int = 200) -> web.Response:
    return web.Response(
        text=(
            "<!doctype html><html><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<meta name='robots' content='noindex'><title>Ustaz</title>"
            "<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em}"
            "section{border-top:1px solid #ccc;margin-top:1em}</style></head><body>" + body + "</body></html>"
        ),
        content_type="text/html",
        status=status,
        headers={"X-Robots-Tag": "noindex"},  # a certificate's check page is not for search engines
    )


async def verify_page(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    code = request.match_info.get("code") or request.query.get("code", "")
    async with runtime.sessions() as session:
        found = await certificates.find(session, code) if code else None
    sections = []
    for locale in LOCALES:
        t = Translator(locale)
        _ = t.gettext
        if found is None:
            text = _("No certificate has the code {code}.").format(code=html.escape(code or "—"))
            title = html.escape(_("Certificate check"))
            sections.append(f"<section lang='{locale}'><h2>{title}</h2><p>{text}</p></section>")
            continue
        cert, person, org = found
        rows = [
            (_("Organization"), org.name),
            (_("Issued to"), surname_initials(person.full_name)),
            (_("Course"), cert.course_name),
            (_("Credits"), str(cert.credits)),
            (_("Date of issue"), t.date(cert.issued_on)),
        ]
        items = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
        title = html.escape(_("The certificate is genuine."))
        sections.append(f"<section lang='{locale}'><h2>{title}</h2><dl>{items}</dl></section>")
    return _page("".join(sections), 200 if found else 404)
