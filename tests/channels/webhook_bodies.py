"""Sending a webhook only its headers: whether a server answers before reading the body."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

SIXTY_MB = 60 * 1024 * 1024


async def status_before_the_body(url: str, headers: dict[str, str]) -> int:
    """Sends only the headers of a 60 MB POST and reads the status: a server that waited for the body
    would never answer (the test then fails on its timeout)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    lines = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {SIXTY_MB}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    return int(status_line.split()[1])
