"""A local stand-in for the part of Twilio's REST API that WhatsApp uses, and Twilio's webhook side.

It answers what the twilio package calls (POST /2010-04-01/Accounts/{Sid}/Messages.json),
checks HTTP basic auth as Twilio does, records every request, can be told to
answer 429 or 5xx, serves inbound media behind basic auth (redirecting to the
bytes, as Twilio redirects to its storage), and can post signed webhooks:
inbound messages and status callbacks, signed exactly as Twilio signs them.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

API_PREFIX = "/2010-04-01/Accounts/{sid}"


def sign(auth_token: str, url: str, params: Mapping[str, str | Sequence[str]]) -> str:
    """X-Twilio-Signature for a POST of `params` to `url`: the twilio package's own computation."""
    return RequestValidator(auth_token).compute_signature(url, _MultiParams(params))


class _MultiParams(dict[str, Any]):
    """Lets RequestValidator see repeated form keys (it asks for getall)."""

    def getall(self, key: str) -> list[str]:
        value = self[key]
        return list(value) if isinstance(value, list | tuple) else [value]


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class SentMessage:
    """One POST to Messages.json, as the stand-in received it."""

    sid: str
    form: dict[str, list[str]]

    def get(self, key: str) -> str | None:
        values = self.form.get(key)
        return values[0] if values else None

    @property
    def to(self) -> str | None:
        return self.get("To")

    @property
    def body(self) -> str | None:
        return self.get("Body")

    @property
    def media_urls(self) -> list[str]:
        return self.form.get("MediaUrl", [])

    @property
    def content_sid(self) -> str | None:
        return self.get("ContentSid")


@dataclass
class _Media:
    content: bytes
    content_type: str


@dataclass
class TwilioStandIn:
    account_sid: str = field(default_factory=lambda: new_sid("AC"))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    sender: str = "whatsapp:+14155238886"

    def __post_init__(self) -> None:
        self.sent: list[SentMessage] = []  # accepted messages, in order
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status answered) for every call
        self.media_fetches: list[str] = []
        self._failures: list[tuple[int, int | None]] = []  # queued forced answers: (status, Twilio code)
        self._let_through = 0
        # Statuses to report for a message before the API has answered for it (Twilio can be that fast),
        # posted to its StatusCallback with the public origin replaced by where the bot really listens.
        self.early_statuses: list[str] = []
        self.public_to_local: tuple[str, str] | None = None
        self._media: dict[str, _Media] = {}
        self._blobs: dict[str, _Media] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self._seq = itertools.count(1)

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        prefix = API_PREFIX.format(sid="{sid}")
        app.router.add_post(prefix + "/Messages.json", self._create_message)
        app.router.add_get(prefix + "/Messages/{msg}/Media/{media}", self._media_resource)
        app.router.add_get("/blobs/{token}", self._blob)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def close(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> TwilioStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- controls ------------------------------------------------------------------------------

    def fail_next(self, status: int = 429, times: int = 1, code: int | None = None, after: int = 0) -> None:
        """The next `times` message requests get `status` (429 Too Many Requests, 500, 503...),
        once `after` more messages were accepted."""
        self._failures.extend([(status, code)] * times)
        self._let_through = after

    def add_media(self, content: bytes, content_type: str, message_sid: str | None = None) -> str:
        """Hold an inbound media file; returns its MediaUrl as Twilio would give it."""
        msg = message_sid or new_sid("MM")
        media_sid = new_sid("ME")
        self._media[media_sid] = _Media(content, content_type)
        return f"{self.base_url}{API_PREFIX.format(sid=self.account_sid)}/Messages/{msg}/Media/{media_sid}"

    async def wait_sent(self, count: int, timeout: float = 10.0) -> list[SentMessage]:
        """Wait until at least `count` messages were accepted."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.sent) >= count), timeout)
        return list(self.sent)

    # -- webhooks Twilio would post to the bot ---------------------------------------------------

    def inbound_form(
        self,
        from_phone: str,
        body: str = "",
        *,
        profile_name: str | None = None,
        media: Sequence[tuple[str, str]] = (),  # (MediaUrl, content type)
        button: tuple[str, str] | None = None,  # (ButtonPayload, ButtonText)
        message_sid: str | None = None,
    ) -> dict[str, str]:
        """The form Twilio posts for one incoming WhatsApp message."""
        sid = message_sid or new_sid("SM")
        form = {
            "SmsMessageSid": sid,
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": self.account_sid,
            "MessagingServiceSid": "",
            "From": f"whatsapp:{from_phone}",
            "To": self.sender,
            "Body": body,
            "NumMedia": str(len(media)),
            "NumSegments": "1",
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
            "WaId": from_phone.lstrip("+"),
            "MessageType": "text"
            if not media
            else ("image" if media[0][1].startswith("image/") else "document"),
        }
        if profile_name is not None:
            form["ProfileName"] = profile_name
        for i, (url, ctype) in enumerate(media):
            form[f"MediaUrl{i}"] = url
            form[f"MediaContentType{i}"] = ctype
        if button:
            form["ButtonPayload"], form["ButtonText"] = button
            form["MessageType"] = "button"
        return form

    def status_form(self, message_sid: str, status: str, error_code: int | None = None) -> dict[str, str]:
        """The form of a status callback for a message the bot sent."""
        original = next((m for m in self.sent if m.sid == message_sid), None)
        form = {
            "MessageSid": message_sid,
            "SmsSid": message_sid,
            "AccountSid": self.account_sid,
            "From": self.sender,
            "To": original.to if original and original.to else "",
            "MessageStatus": status,
            "SmsStatus": status,
            "ApiVersion": "2010-04-01",
            "ChannelPrefix": "whatsapp",
        }
        if error_code is not None:
            form["ErrorCode"] = str(error_code)
        return form

    async def post_webhook(
        self,
        url: str,
        form: Mapping[str, str],
        *,
        signed_url: str | None = None,
        signature: str | None | bool = True,
    ) -> tuple[int, str]:
        """POST `form` to `url` as Twilio does; signed for `signed_url` (the public URL), or forged.

        signature=True signs correctly, False sends none, a string sends that string.
        """
        headers = {"User-Agent": "TwilioProxy/1.1", "Content-Type": "application/x-www-form-urlencoded"}
        if signature is True:
            headers["X-Twilio-Signature"] = sign(self.auth_token, signed_url or url, form)
        elif isinstance(signature, str):
            headers["X-Twilio-Signature"] = signature
        async with aiohttp.ClientSession() as http, http.post(url, data=dict(form), headers=headers) as resp:
            return resp.status, await resp.text()

    # -- handlers ------------------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            login, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return (
            scheme.lower() == "basic"
            and login == self.account_sid
            and password == self.auth_token
            and request.match_info["sid"] == self.account_sid
        )

    @staticmethod
    def _error(status: int, code: int, message: str) -> web.Response:
        return web.json_response(
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
            status=status,
        )

    async def _record(self, request: web.Request, status: int) -> None:
        self.requests.append((request.method, request.path, status))

    async def _create_message(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            await self._record(request, 401)
            return self._error(401, 20003, "Authenticate")
        post = await request.post()
        form: dict[str, list[str]] = {}
        for key, value in post.items():
            form.setdefault(key, []).append(str(value))
        if self._failures and self._let_through:
            self._let_through -= 1
        elif self._failures:
            status, code = self._failures.pop(0)
            await self._record(request, status)
            message = {429: "Too Many Requests", 400: "Request refused"}.get(status, "Service unavailable")
            return self._error(status, code or (20429 if status == 429 else 20500), message)
        if not form.get("To") or not form.get("From"):
            await self._record(request, 400)
            return self._error(400, 21604, "A 'To' phone number is required.")
        if not (form.get("Body") or form.get("MediaUrl") or form.get("ContentSid")):
            await self._record(request, 400)
            return self._error(400, 21619, "A text message body, media or content is required")
        sid = new_sid("SM")
        callback = form.get("StatusCallback", [""])[0]
        for state in self.early_statuses:
            public, local = self.public_to_local or ("", "")
            await self.post_webhook(
                callback.replace(public, local, 1),
                {
                    "MessageSid": sid,
                    "AccountSid": self.account_sid,
                    "MessageStatus": state,
                    "SmsStatus": state,
                    "From": self.sender,
                    "To": form["To"][0],
                    "ApiVersion": "2010-04-01",
                },
                signed_url=callback,
            )
        async with self._changed:
            self.sent.append(SentMessage(sid, form))
            self._changed.notify_all()
        await self._record(request, 201)
        first = {k: v[0] for k, v in form.items()}
        return web.json_response(
            {
                "sid": sid,
                "account_sid": self.account_sid,
                "api_version": "2010-04-01",
                "body": first.get("Body", ""),
                "date_created": "Thu, 01 Jan 2026 00:00:00 +0000",
                "date_sent": None,
                "date_updated": "Thu, 01 Jan 2026 00:00:00 +0000",
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": first.get("From"),
                "to": first.get("To"),
                "num_media": str(len(form.get("MediaUrl", []))),
                "num_segments": "1",
                "status": "queued",
                "uri": f"{API_PREFIX.format(sid=self.account_sid)}/Messages/{sid}.json",
            },
            status=201,
        )

    async def _media_resource(self, request: web.Request) -> web.Response:
        # Twilio answers the media URL with a redirect to short-lived storage.
        if not self._authorized(request):
            await self._record(request, 401)
            return self._error(401, 20003, "Authenticate")
        media = self._media.get(request.match_info["media"])
        if media is None:
            await self._record(request, 404)
            return self._error(404, 20404, "The requested resource was not found")
        token = secrets.token_urlsafe(16)
        self._blobs[token] = media
        self.media_fetches.append(request.path)
        await self._record(request, 307)
        raise web.HTTPTemporaryRedirect(f"/blobs/{token}")

    async def _blob(self, request: web.Request) -> web.Response:
        media = self._blobs.pop(request.match_info["token"], None)
        if media is None:
            return web.Response(status=404)
        return web.Response(body=media.content, content_type=media.content_type)
