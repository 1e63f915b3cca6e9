"""The twilio REST client, asynchronous and pointable at another base URL.

The twilio package builds absolute URLs on its own domains (api.twilio.com,
content.twilio.com...) and hands them to its HTTP client. Rewriting the origin
in that one place moves every call to USTAZ_TWILIO_API_URL (a proxy, or the
test stand-in) without touching the package's domain objects.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from aiohttp import encode_basic_auth
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client


def is_twilio_host(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "twilio.com" or host.endswith(".twilio.com")


def rebase(url: str, base_url: str | None) -> str:
    """Move a twilio.com URL onto `base_url` (scheme, host, port and path prefix); others stay."""
    if not base_url or not is_twilio_host(url):
        return url
    base = urlsplit(base_url.rstrip("/"))
    parts = urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, parts.fragment))


class RebasedHttpClient(AsyncTwilioHttpClient):
    """twilio's aiohttp client, with its requests sent to another origin when one is set."""

    def __init__(self, base_url: str | None = None, timeout: float = 30.0) -> None:
        super().__init__(pool_connections=True, timeout=timeout)
        self.base_url = base_url

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        # aiohttp deprecates BasicAuth objects (the parent builds one): send the header ourselves.
        if auth is not None:
            headers = {**(headers or {}), "Authorization": encode_basic_auth(*auth)}
        # The parent ignores its own timeout unless one is passed per call.
        return await super().request(
            method,
            rebase(url, self.base_url),
            params=params,
            data=data,
            headers=headers,
            auth=None,
            timeout=timeout or self.timeout,
            allow_redirects=allow_redirects,
        )


def make_client(account_sid: str, auth_token: str, base_url: str | None = None) -> Client:
    """An async-capable twilio Client; call inside a running event loop and close its http_client."""
    return Client(account_sid, auth_token, http_client=RebasedHttpClient(base_url))
