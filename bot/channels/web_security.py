"""What every answer of the web server carries, and what a state-changing web chat request must show.

Headers: no MIME sniffing, no referrer leaving the site, no framing (clickjacking); the web chat's
pages get a CSP that allows only their own scripts and styles; signed file links and calendar feeds
are never cached by a shared cache. Requests: a POST to the web chat's API must come from a page of
this site (its Origin), and a JSON endpoint takes only JSON, so a form on another site cannot submit
to it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

API_PREFIX = "/api/webchat/"
# Endpoints that take files as well as JSON.
MULTIPART_OK = frozenset({API_PREFIX + "send"})
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def install(app: web.Application, public_url: str | None) -> None:
    app.middlewares.append(same_site_only(public_url))
    app.on_response_prepare.append(add_headers)


def same_site_only(public_url: str | None) -> Middleware:
    public_host = urlsplit(public_url).netloc.lower() if public_url else None

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method in STATE_CHANGING and request.path.startswith(API_PREFIX):
            if not same_origin(request, public_host):
                raise web.HTTPForbidden(text="cross-site request refused")
            allowed = {"application/json"}
            if request.path in MULTIPART_OK:
                allowed.add("multipart/form-data")
            if request.content_type not in allowed:
                raise web.HTTPUnsupportedMediaType(text="send JSON")
        return await handler(request)

    return middleware


def same_origin(request: web.Request, public_host: str | None) -> bool:
    """The page that sent this is ours: its Origin names this host (or the public address)."""
    origin = request.headers.get("Origin")
    if origin is None:
        # Browsers send Origin on every POST; without one, only their own fetch metadata vouches.
        return request.headers.get("Sec-Fetch-Site") == "same-origin"
    host = urlsplit(origin).netloc.lower()
    return bool(host) and host in {request.host.lower(), public_host}


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers["Server"] = "Ustaz"  # not aiohttp's exact version: an attacker's shortcut to its known bugs
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if request.path == "/" or request.path.startswith(("/webchat/", API_PREFIX)):
        headers.setdefault("Content-Security-Policy", PAGE_CSP)
        headers.setdefault("Cache-Control", "no-store")
    else:
        headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    if request.path.startswith(("/files/", "/calendar/")):
        headers["Cache-Control"] = "private, no-store"


def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1 or localhost (a name, not resolved: what the server binds or is called)."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(request: web.Request) -> str:
    """The Host header without its port: what the browser thinks it is talking to."""
    return urlsplit("//" + request.host).hostname or ""
