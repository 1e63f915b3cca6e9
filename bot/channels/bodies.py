"""Reading a webhook's body within a limit that fits it, before anything is parsed.

The web app allows large bodies for signed-in uploads; a webhook must not: Twilio posts a few
kilobytes, Telegram an update well under a megabyte. A bigger body is refused (413) from its
Content-Length before it is read, or as soon as a chunked one passes the limit, so unsigned
posts of tens of megabytes cannot fill the process's memory.
"""

from __future__ import annotations

from aiohttp import web

TWILIO_LIMIT = 64 * 1024
TELEGRAM_LIMIT = 1024 * 1024


async def read_within(request: web.Request, limit: int) -> bytes:
    """The body, or HTTPRequestEntityTooLarge once it is known to pass `limit` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    body = bytearray()
    while chunk := await request.content.read(64 * 1024):
        body += chunk
        if len(body) > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(body))
    return bytes(body)
