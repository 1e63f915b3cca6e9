"""Fetching a person's media from Twilio: with the account's credentials, size and type checked.

WhatsApp carries files up to 16 MB and images up to 5 MB. The size is checked
from Content-Length before reading and again while reading (a server may not
tell, or lie); the type is taken from the bytes, not from what Twilio says.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from bot.channels.whatsapp.client import is_twilio_host, rebase
from bot.core.messages import Attachment
from bot.files.store import FileReason, FileRejected, sniff_mime

MAX_FILE = 16 * 1024 * 1024
MAX_IMAGE = 5 * 1024 * 1024
_CHUNK = 64 * 1024


class Refusal(enum.StrEnum):
    too_big = "too_big"
    image_too_big = "image_too_big"
    unreadable = "unreadable"  # Twilio would not give it (expired, gone, network)


@dataclass(frozen=True, slots=True)
class Fetched:
    content: bytes | None
    mime: str  # from the content; Twilio's word when the content says nothing
    refusal: Refusal | None = None
    size: int = 0  # what was seen before stopping


def sniff(content: bytes, declared: str) -> str:
    """The bytes' own type (the file store's rule); Twilio's word only when the bytes say nothing."""
    return sniff_mime(content) or declared.split(";", 1)[0].strip().lower() or "application/octet-stream"


def limit_for(mime: str) -> int:
    return MAX_IMAGE if mime.startswith("image/") else MAX_FILE


async def fetch(
    http: aiohttp.ClientSession,
    url: str,
    declared_type: str,
    *,
    account_sid: str,
    auth_token: str,
    api_base_url: str | None = None,
) -> Fetched:
    """Download one MediaUrl; credentials go only to Twilio (or the configured API base)."""
    target = rebase(url, api_base_url)
    base = urlsplit(api_base_url) if api_base_url else None
    here = urlsplit(target)
    trusted = is_twilio_host(url) or (
        base is not None and (here.scheme, here.netloc) == (base.scheme, base.netloc)
    )
    headers = {"Authorization": aiohttp.encode_basic_auth(account_sid, auth_token)} if trusted else {}
    ceiling = MAX_FILE  # the image limit needs the bytes' own type: checked after reading
    try:
        # Twilio redirects to its storage; aiohttp drops the Authorization header when the origin changes.
        async with http.get(target, headers=headers, timeout=aiohttp.ClientTimeout(total=120)) as resp:
            if resp.status != 200:
                return Fetched(None, declared_type, Refusal.unreadable)
            if resp.content_length is not None and resp.content_length > ceiling:
                return Fetched(None, declared_type, Refusal.too_big, resp.content_length)
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.content.iter_chunked(_CHUNK):
                size += len(chunk)
                if size > ceiling:
                    return Fetched(None, declared_type, Refusal.too_big, size)
                chunks.append(chunk)
    except (aiohttp.ClientError, TimeoutError):
        return Fetched(None, declared_type, Refusal.unreadable)
    content = b"".join(chunks)
    mime = sniff(content, declared_type)
    if len(content) > limit_for(mime):
        return Fetched(None, mime, Refusal.image_too_big, len(content))
    return Fetched(content, mime, None, len(content))


class WhatsAppFiles:
    """The core's FileFetcher for WhatsApp: the limit first, then the bytes (or a refusal)."""

    def __init__(
        self, http: aiohttp.ClientSession, account_sid: str, auth_token: str, api_base_url: str | None
    ):
        self.http = http
        self.account_sid, self.auth_token, self.api_base_url = account_sid, auth_token, api_base_url

    def max_bytes(self, att: Attachment) -> int:
        return limit_for(att.mime or "")

    async def fetch(self, att: Attachment) -> bytes:
        name = att.filename or att.kind
        if not att.remote_ref:
            raise FileRejected(FileReason.empty, name)
        got = await fetch(
            self.http,
            att.remote_ref,
            att.mime or "application/octet-stream",
            account_sid=self.account_sid,
            auth_token=self.auth_token,
            api_base_url=self.api_base_url,
        )
        if got.refusal is Refusal.unreadable:
            # An error, not a refusal: the inbox tries again, then apologizes; the row is kept.
            raise MediaUnavailable(f"Twilio did not give {att.remote_ref}")
        if got.refusal is not None or got.content is None:
            limit = MAX_IMAGE if got.refusal is Refusal.image_too_big else MAX_FILE
            raise FileRejected(FileReason.too_big, name, got.size, limit)
        return got.content


class MediaUnavailable(Exception):
    pass
