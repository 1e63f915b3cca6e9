"""The bot's one aiohttp web server: the web chat, messenger webhooks, signed file links, health,
and the public page that checks a certificate's code."""

from __future__ import annotations

import html
from collections.abc import Mapping

from aiohttp import web

from bot.files.names import surname_initials
from bot.i18n import LOCALES, Translator
from bot.runtime import Runtime
from bot.services.admin import certificates
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
    app.router.add_get("/healthz", health)
    app.router.add_get("/files/{token}", signed_file)
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


async def signed_file(request: web.Request) -> web.Response:
    """A file behind an unguessable, expiring link (web chat, WhatsApp's MediaUrl)."""
    runtime = request.app[RUNTIME_KEY]
    file_name_id = runtime.links.verify_file_token(request.match_info["token"])
    if file_name_id is None:
        raise web.HTTPNotFound()
    async with runtime.sessions() as session:
        try:
            data = await runtime.files.load(session, file_name_id)
        except Exception as exc:
            raise web.HTTPNotFound() from exc
    disposition = (
        "inline" if data.mime.startswith(("image/", "audio/", "video/", "application/pdf")) else "attachment"
    )
    from urllib.parse import quote

    return web.Response(
        body=data.data,
        content_type=data.mime,
        headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(data.name)}"},
    )


# -- the public certificate check ---------------------------------------------------


def _page(body: str, status: int = 200) -> web.Response:
    return web.Response(
        text=(
            "<!doctype html><html><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'><title>Ustaz</title>"
            "<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em}"
            "section{border-top:1px solid #ccc;margin-top:1em}</style></head><body>" + body + "</body></html>"
        ),
        content_type="text/html",
        status=status,
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
