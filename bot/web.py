"""The bot's one aiohttp web server: the web chat, messenger webhooks, signed file links, health."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from bot.channels import web_security
from bot.runtime import Runtime
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
    app.router.add_get("/files/{token}", signed_file)
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
