"""A local stand-in for the Telegram Bot API, spoken over HTTP exactly as aiogram calls it.

It serves POST /bot<token>/<method> (JSON, urlencoded or multipart, which is what
aiogram always sends) and GET /file/bot<token>/<path>, records every request,
keeps each chat's messages as a person would see them, and enforces Telegram's
flood limits, answering 429 with parameters.retry_after when one is broken:

- 30 messages a second overall (a sliding one-second window),
- about 1 a second in one private chat (a bucket of `chat_burst` refilled at 1/s:
  Telegram tolerates short bursts there, not a sustained rate),
- 20 a minute in one group chat (a sliding one-minute window).

Tests control what getUpdates returns (`push_update`) or POST updates to the
webhook the bot registered (`deliver_webhook`). Builders for Update JSON live in
`Updates`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import copy
import html
import html.parser
import itertools
import json
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

TOKEN = "123456:TEST-stand-in-token"
BOT_ID = 123456
BOT_USERNAME = "ustaz_test_bot"

# Methods that put a message into a chat: these count against the flood limits.
SENDING = frozenset(
    {
        "sendmessage", "senddocument", "sendphoto", "sendaudio", "sendvoice", "sendvideo",
        "sendvideonote", "sendpoll", "sendmediagroup", "copymessage", "forwardmessage",
        "editmessagetext", "editmessagecaption", "editmessagereplymarkup",
    }
)  # fmt: skip
FILE_KINDS = ("document", "photo", "audio", "voice", "video", "video_note")
JSON_FIELDS = frozenset(
    {"reply_markup", "options", "entities", "caption_entities", "allowed_updates", "link_preview_options",
     "reply_parameters", "media", "correct_option_ids"}
)  # fmt: skip
INT_FIELDS = frozenset(
    {"offset", "limit", "timeout", "message_id", "correct_option_id", "open_period", "max_connections"}
)
ALLOWED_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span", "tg-spoiler",
     "blockquote", "tg-emoji"}
)  # fmt: skip
MAX_TEXT = 4096
MAX_CAPTION = 1024
CLOUD_DOWNLOAD_LIMIT = 20 * 1024 * 1024


class ApiError(Exception):
    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass
class Limits:
    enabled: bool = True
    global_per_sec: int = 30
    chat_per_sec: float = 1.0
    chat_burst: int = 3
    group_per_min: int = 20


@dataclass
class Call:
    """One request as the stand-in received it, and what it answered."""

    method: str  # as Telegram spells it: sendMessage
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]]  # form field -> (filename, bytes)
    at: float
    status: int = 200
    result: Any = None
    description: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class RemoteFile:
    file_id: str
    unique_id: str
    size: int
    name: str | None
    mime: str | None
    content: bytes | None  # None: a file we only claim to hold (an oversize one)
    path: str


@dataclass
class ChatMessage:
    """A message in a chat as the person sees it."""

    message_id: int
    chat_id: int
    text: str  # visible text (HTML tags removed, entities unescaped), or the caption
    raw: str  # as sent
    buttons: list[list[dict[str, Any]]] = field(default_factory=list)
    kind: str = "text"  # text, document, photo, poll, ...
    file_id: str | None = None
    poll: dict[str, Any] | None = None
    edits: int = 0

    @property
    def button_labels(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]

    def button(self, label_part: str) -> dict[str, Any]:
        for row in self.buttons:
            for b in row:
                if label_part in b["text"]:
                    return b
        raise KeyError(f"no button containing {label_part!r} in {self.button_labels}")


class _HtmlCheck(html.parser.HTMLParser):
    """Refuses what Telegram refuses: unknown tags, and gathers the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.visible: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"')
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Unmatched end tag "{tag}"')
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.visible.append(data)


_BAD_AMP = re.compile(r"&(?!(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);)")


def visible_text(raw: str, parse_mode: str | None) -> str:
    if (parse_mode or "").upper() != "HTML":
        return raw
    if _BAD_AMP.search(raw):
        raise ApiError(400, "Bad Request: can't parse entities: Character entity expected")
    checker = _HtmlCheck()
    checker.feed(raw)
    checker.close()
    if checker.stack:
        raise ApiError(400, f'Bad Request: can\'t parse entities: Unclosed start tag "{checker.stack[-1]}"')
    return "".join(checker.visible)


class _Window:
    """At most `limit` events in any `window` seconds; tells how long to wait if full."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.events: collections.deque[float] = collections.deque()

    def check(self, now: float) -> float:
        while self.events and now - self.events[0] >= self.window:
            self.events.popleft()
        if len(self.events) >= self.limit:
            return self.events[0] + self.window - now
        return 0.0

    def add(self, now: float) -> None:
        self.events.append(now)


class _Bucket:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = float(burst), None

    def check(self, now: float) -> float:
        if self.at is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def add(self, now: float) -> None:
        self.tokens -= 1


class BotAPIStandIn:
    """Run with `async with BotAPIStandIn() as api:`; point aiogram at `api.base_url`."""

    def __init__(
        self,
        token: str = TOKEN,
        limits: Limits | None = None,
        download_limit: int = CLOUD_DOWNLOAD_LIMIT,
        record_bodies: bool = True,
    ) -> None:
        self.token = token
        self.limits = limits or Limits()
        self.download_limit = download_limit
        self.record_bodies = record_bodies
        self.calls: list[Call] = []
        self.chats: dict[int, list[ChatMessage]] = collections.defaultdict(list)
        self.files: dict[str, RemoteFile] = {}
        self.polls: dict[str, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self.removed_from: set[int] = set()  # groups the bot was removed from
        self.webhook: dict[str, Any] = {}
        self.answered_callbacks: dict[str, dict[str, Any]] = {}
        self.confirmed_offset = 0
        self.rate_limited = 0  # 429s answered
        # Paths left out of every successful result, as an older or a future Bot API might answer:
        # {("chat",), ("poll", "options")}. The call still succeeds (ok: true).
        self.omit_from_results: set[tuple[str, ...]] = set()
        # Called with the chat id whenever a message appears or is edited there
        # (benchmarks time replies with it).
        self.on_message: Callable[[int], None] | None = None
        self._pending: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._faults: collections.deque[tuple[str, int, str]] = collections.deque()
        self._global = _Window(self.limits.global_per_sec, 1.0)
        self._chat_limits: dict[int, _Bucket | _Window] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._client: aiohttp.ClientSession | None = None
        self.base_url = ""

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        # Long polls still waiting answer now: the server's shutdown would otherwise wait for them.
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._client:
            await self._client.close()
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> BotAPIStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ test controls

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (gives it an update_id if it has none)."""
        update.setdefault("update_id", next(self._update_ids))
        self._pending.append(update)
        self._notify()
        return update

    async def deliver_webhook(self, update: dict[str, Any], secret: str | None = ...) -> int:  # type: ignore[assignment]
        """POST an update to the registered webhook as Telegram does; returns the HTTP status."""
        update.setdefault("update_id", next(self._update_ids))
        if not self.webhook.get("url"):
            raise RuntimeError("no webhook registered")
        token = self.webhook.get("secret_token") if secret is ... else secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": token} if token else {}
        if self._client is None:
            self._client = aiohttp.ClientSession()
        async with self._client.post(self.webhook["url"], json=update, headers=headers) as resp:
            body = await resp.read()
            status = resp.status
            is_json = resp.content_type == "application/json"
        if status == 200 and is_json and body:
            await self._webhook_reply(json.loads(body))
        return status

    async def _webhook_reply(self, data: dict[str, Any]) -> None:
        """A bot may answer a webhook with one method call in the body; Telegram executes it."""
        method = str(data.pop("method", ""))
        handler = getattr(self, f"_m_{method.lower()}", None)
        call = Call(method, data, {}, time.monotonic())
        self.calls.append(call)
        if handler is None:
            call.status, call.description = 404, "Not Found: method not found"
            return
        try:
            result = handler(data, {})
            call.result = await result if asyncio.iscoroutine(result) else result
        except ApiError as err:
            call.status, call.description = err.status, err.description
        self._notify()

    def add_file(
        self, content: bytes | None, name: str | None = None, mime: str | None = None, size: int | None = None
    ) -> RemoteFile:
        """A file Telegram holds (one a person sent); `content=None` with a size claims a file never
        served."""
        n = next(self._file_ids)
        file_id = f"BQAC{n:06d}{secrets.token_hex(6)}"
        ext = (name or "").rsplit(".", 1)[-1] if name and "." in name else "bin"
        rf = RemoteFile(
            file_id=file_id,
            unique_id=f"AgAD{n:06d}",
            size=size if size is not None else len(content or b""),
            name=name,
            mime=mime,
            content=content,
            path=f"documents/file_{n}.{ext}",
        )
        self.files[file_id] = rf
        return rf

    def fail_next(
        self, method: str, status: int = 500, description: str = "Internal Server Error", times: int = 1
    ):
        """The next calls of `method` fail with `status`; status 0 drops the connection instead."""
        for _ in range(times):
            self._faults.append((method.lower(), status, description))

    def remove_from_group(self, chat_id: int) -> None:
        """The bot is no longer in this group: sends there fail as Telegram's do (403)."""
        self.removed_from.add(chat_id)

    def block(self, chat_id: int) -> None:
        self.blocked.add(int(chat_id))

    def calls_of(self, method: str) -> list[Call]:
        m = method.lower()
        return [c for c in self.calls if c.method.lower() == m]

    def sent(self, ok_only: bool = True) -> list[Call]:
        return [c for c in self.calls if c.method.lower() in SENDING and (c.ok or not ok_only)]

    def messages(self, chat_id: int | str) -> list[ChatMessage]:
        return self.chats[int(chat_id)]

    def last_message(self, chat_id: int | str) -> ChatMessage:
        msgs = self.chats[int(chat_id)]
        if not msgs:
            raise AssertionError(f"nothing was sent to chat {chat_id}")
        return msgs[-1]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `predicate()` holds; it is re-checked after every request the stand-in serves."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def wait_messages(self, chat_id: int | str, count: int, timeout: float = 10.0) -> list[ChatMessage]:
        await self.wait_for(lambda: len(self.chats[int(chat_id)]) >= count, timeout)
        return self.chats[int(chat_id)]

    def _notify(self) -> None:
        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        with contextlib.suppress(RuntimeError):  # no loop: nobody can be waiting
            asyncio.get_running_loop().create_task(notify())

    # ------------------------------------------------------------------ HTTP

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        ctype = request.content_type
        if ctype == "application/json":
            params = await request.json()
        elif ctype == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if part.filename is not None:
                    files[part.name] = (part.filename, await part.read())
                else:
                    params[part.name] = await part.text()
        elif request.can_read_body:
            params = dict(await request.post())
        params.update(request.query)
        for key, value in list(params.items()):
            if isinstance(value, str):
                if key in JSON_FIELDS:
                    params[key] = json.loads(value)
                elif key in INT_FIELDS or key == "chat_id" and re.fullmatch(r"-?\d+", value):
                    params[key] = int(value)
                elif value in ("true", "false"):
                    params[key] = value == "true"
        return params, files

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params, files = await self._read_params(request)
        call = Call(
            method,
            params if self.record_bodies else {},
            files if self.record_bodies else {},
            time.monotonic(),
        )
        self.calls.append(call)
        self._notify()
        try:
            fault = self._take_fault(method)
            if fault is not None:
                status, description = fault
                if status == 0:
                    assert request.transport is not None
                    request.transport.close()
                    raise ApiError(0, "connection dropped")
                raise ApiError(status, description)
            handler = getattr(self, f"_m_{method.lower()}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            if method.lower() in SENDING:
                self._check_chat(params)
                self._check_flood(int(params["chat_id"]) if "chat_id" in params else 0)
            result = (
                await handler(params, files)
                if asyncio.iscoroutinefunction(handler)
                else handler(params, files)
            )
        except ApiError as err:
            call.status, call.description = err.status, err.description
            body: dict[str, Any] = {"ok": False, "error_code": err.status, "description": err.description}
            if err.parameters:
                body["parameters"] = err.parameters
            self._notify()
            return web.json_response(body, status=err.status or 500)
        call.result = result
        self._notify()
        return web.json_response({"ok": True, "result": self._omitted(result)})

    def _omitted(self, result: Any) -> Any:
        if not isinstance(result, dict) or not self.omit_from_results:
            return result
        result = copy.deepcopy(result)
        for *path, last in self.omit_from_results:
            inner = result
            for key in path:
                inner = inner.get(key) if isinstance(inner, dict) else None
            if isinstance(inner, dict):
                inner.pop(last, None)
        return result

    def _take_fault(self, method: str) -> tuple[int, str] | None:
        for i, (m, status, description) in enumerate(self._faults):
            if m == method.lower():
                del self._faults[i]
                return status, description
        return None

    def _check_chat(self, params: dict[str, Any]) -> None:
        if "chat_id" not in params:
            return
        if int(params["chat_id"]) in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if int(params["chat_id"]) in self.removed_from:
            raise ApiError(403, "Forbidden: bot was kicked from the supergroup chat")

    def _check_flood(self, chat_id: int) -> None:
        if not self.limits.enabled:
            return
        now = time.monotonic()
        limiter = self._chat_limits.get(chat_id)
        if limiter is None:
            if chat_id < 0:
                limiter = _Window(self.limits.group_per_min, 60.0)
            else:
                limiter = _Bucket(self.limits.chat_per_sec, self.limits.chat_burst)
            self._chat_limits[chat_id] = limiter
        wait = max(self._global.check(now), limiter.check(now))
        if wait > 0:
            self.rate_limited += 1
            retry = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        self._global.add(now)
        limiter.add(now)

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            raise web.HTTPUnauthorized()
        path = request.match_info["path"]
        self.calls.append(Call("download", {"path": path}, {}, time.monotonic()))
        self._notify()
        for rf in self.files.values():
            if rf.path == path and rf.content is not None:
                return web.Response(body=rf.content, content_type="application/octet-stream")
        raise web.HTTPNotFound()

    # ------------------------------------------------------------------ objects

    @staticmethod
    def bot_user() -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Ustaz", "username": BOT_USERNAME}

    def _new_message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "group"}
        if chat_id > 0:
            chat["first_name"] = "Person"
        else:
            chat["title"] = "Group"
        return {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                "from": self.bot_user(), **content}  # fmt: skip

    @staticmethod
    def _check_markup(params: dict[str, Any]) -> list[list[dict[str, Any]]]:
        markup = params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or []
        for row in rows:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        return rows

    def _record(self, chat_id: int, msg: dict[str, Any], raw: str, shown: str, params: dict[str, Any],
                kind: str, file_id: str | None = None) -> None:  # fmt: skip
        self.chats[chat_id].append(
            ChatMessage(
                msg["message_id"],
                chat_id,
                shown,
                raw,
                self._check_markup(params),
                kind,
                file_id,
                msg.get("poll"),
            )
        )
        if self.on_message is not None:
            self.on_message(chat_id)

    # ------------------------------------------------------------------ methods

    def _m_getme(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        return {**self.bot_user(), "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}  # fmt: skip

    async def _m_getupdates(self, params: dict[str, Any], files: Any) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = params.get("offset")
        if offset:
            # Everything below the offset is confirmed: Telegram forgets it.
            self.confirmed_offset = max(self.confirmed_offset, offset)
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        limit = params.get("limit") or 100
        timeout = params.get("timeout") or 0
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                if self._pending:
                    return self._pending[:limit]
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closing:
                    return []
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    return []

    def _m_setwebhook(self, params: dict[str, Any], files: Any) -> bool:
        self.webhook = {"url": params.get("url", ""), "secret_token": params.get("secret_token"),
                        "allowed_updates": params.get("allowed_updates")}  # fmt: skip
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _m_deletewebhook(self, params: dict[str, Any], files: Any) -> bool:
        self.webhook = {}
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _m_getwebhookinfo(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._pending)}  # fmt: skip

    def _m_sendmessage(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        raw = str(params.get("text", ""))
        shown = visible_text(raw, params.get("parse_mode"))
        if not shown.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(shown) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        self._check_markup(params)
        msg = self._new_message(chat_id, text=shown)
        if params.get("reply_markup"):
            msg["reply_markup"] = params["reply_markup"]
        self._record(chat_id, msg, raw, shown, params, "text")
        return msg

    def _m_editmessagetext(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        raw = str(params.get("text", ""))
        shown = visible_text(raw, params.get("parse_mode"))
        if len(shown) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        rows = self._check_markup(params)
        for m in self.chats[chat_id]:
            if m.message_id == message_id:
                if m.kind != "text":
                    raise ApiError(400, "Bad Request: there is no text in the message to edit")
                if m.text == shown and m.buttons == rows:
                    raise ApiError(400, "Bad Request: message is not modified")
                m.text, m.raw, m.buttons, m.edits = shown, raw, rows, m.edits + 1
                if self.on_message is not None:
                    self.on_message(chat_id)
                msg = self._new_message(chat_id, text=shown)
                msg["message_id"] = message_id
                return msg
        raise ApiError(400, "Bad Request: message to edit not found")

    def _m_answercallbackquery(self, params: dict[str, Any], files: Any) -> bool:
        qid = str(params["callback_query_id"])
        if qid in self.answered_callbacks:
            raise ApiError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        self.answered_callbacks[qid] = params
        return True

    def _file_param(
        self, kind: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> RemoteFile:
        value = params.get(kind)
        if kind in files:  # a plain multipart file field
            name, content = files[kind]
        elif isinstance(value, str) and value.startswith("attach://"):
            key = value.removeprefix("attach://")
            if key not in files:
                raise ApiError(400, f"Bad Request: file {key} not found in the request")
            name, content = files[key]
        elif isinstance(value, str) and value in self.files:
            return self.files[value]  # re-sent by file_id: no upload
        elif isinstance(value, str):
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        else:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        if not content:
            raise ApiError(400, "Bad Request: file must be non-empty")
        return self.add_file(content, name, None)

    def _send_file(
        self, kind: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        rf = self._file_param(kind, params, files)
        raw = str(params.get("caption") or "")
        shown = visible_text(raw, params.get("parse_mode"))
        if len(shown) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        self._check_markup(params)
        obj: Any = {"file_id": rf.file_id, "file_unique_id": rf.unique_id, "file_size": rf.size}
        if kind == "photo":
            obj = [{**obj, "width": 800, "height": 600}]
        else:
            if rf.name:
                obj["file_name"] = rf.name
            if kind in ("voice", "audio", "video", "video_note"):
                obj["duration"] = 1
            if kind in ("video",):
                obj.update(width=640, height=480)
            if kind == "video_note":
                obj["length"] = 240
        content: dict[str, Any] = {kind: obj}
        if shown:
            content["caption"] = shown
        msg = self._new_message(chat_id, **content)
        self._record(chat_id, msg, raw, shown, params, kind, rf.file_id)
        return msg

    def _m_senddocument(self, p: dict[str, Any], f: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        return self._send_file("document", p, f)

    def _m_sendphoto(self, p: dict[str, Any], f: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        return self._send_file("photo", p, f)

    def _m_sendaudio(self, p: dict[str, Any], f: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        return self._send_file("audio", p, f)

    def _m_sendvoice(self, p: dict[str, Any], f: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        return self._send_file("voice", p, f)

    def _m_sendvideo(self, p: dict[str, Any], f: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        return self._send_file("video", p, f)

    def _m_sendpoll(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        options = params.get("options") or []
        texts = [o["text"] if isinstance(o, dict) else str(o) for o in options]
        if not 2 <= len(texts) <= 10:
            raise ApiError(400, "Bad Request: poll must have 2-10 options")
        question = str(params.get("question", ""))
        if not 1 <= len(question) <= 300:
            raise ApiError(400, "Bad Request: poll question length must be 1-300")
        if any(not 1 <= len(t) <= 100 for t in texts):
            raise ApiError(400, "Bad Request: poll options length must not exceed 100")
        poll_type = params.get("type", "regular")
        correct = params.get("correct_option_id")
        if correct is None and params.get("correct_option_ids"):
            correct = params["correct_option_ids"][0]
        if poll_type == "quiz" and (correct is None or not 0 <= correct < len(texts)):
            raise ApiError(400, "Bad Request: wrong correct option ID specified")
        poll_id = str(5_000_000_000 + next(self._message_ids))
        poll = {
            "id": poll_id, "question": question,
            "options": [{"persistent_id": str(i), "text": t, "voter_count": 0} for i, t in enumerate(texts)],
            "total_voter_count": 0, "is_closed": False, "is_anonymous": params.get("is_anonymous", True),
            "type": poll_type, "allows_multiple_answers": False, "allows_revoting": False,
            "members_only": False,
        }  # fmt: skip
        if poll_type == "quiz":
            poll["correct_option_ids"] = [correct]
        self.polls[poll_id] = {**poll, "chat_id": chat_id}
        msg = self._new_message(chat_id, poll=poll)
        self._record(chat_id, msg, question, question, params, "poll")
        return msg

    def _m_getfile(self, params: dict[str, Any], files: Any) -> dict[str, Any]:
        rf = self.files.get(str(params.get("file_id")))
        if rf is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if rf.size > self.download_limit:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": rf.file_id,
            "file_unique_id": rf.unique_id,
            "file_size": rf.size,
            "file_path": rf.path,
        }

    def _m_setmycommands(self, params: dict[str, Any], files: Any) -> bool:
        return True

    def _m_deletemessage(self, params: dict[str, Any], files: Any) -> bool:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        self.chats[chat_id] = [m for m in self.chats[chat_id] if m.message_id != message_id]
        return True

    def _m_close(self, params: dict[str, Any], files: Any) -> bool:
        return True

    def _m_logout(self, params: dict[str, Any], files: Any) -> bool:
        return True


# ---------------------------------------------------------------------- Update JSON builders


@dataclass
class TgUser:
    id: int
    first_name: str = "Aigerim"
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "kk"

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    def private_chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


class Updates:
    """Builds Update JSON as Telegram sends it. update_ids are unique per builder."""

    def __init__(self, first_update_id: int = 1) -> None:
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(100_000)
        self._callback_ids = itertools.count(1)

    def _update(self, **body: Any) -> dict[str, Any]:
        return {"update_id": next(self._update_ids), **body}

    def _message(self, user: TgUser, **content: Any) -> dict[str, Any]:
        return {"message_id": next(self._message_ids), "date": int(time.time()), "chat": user.private_chat(),
                "from": user.as_json(), **content}  # fmt: skip

    def text(self, user: TgUser, text: str) -> dict[str, Any]:
        return self._update(message=self._message(user, text=text))

    def member_change(self, user: TgUser, old: str, new: str) -> dict[str, Any]:
        """my_chat_member in a private chat: "member" -> "kicked" when the person blocks the bot."""
        bot = {"id": BOT_ID, "is_bot": True, "first_name": "Ustaz"}

        def member(status: str) -> dict[str, Any]:
            return {"status": status, "user": bot, **({"until_date": 0} if status == "kicked" else {})}

        body = {"chat": user.private_chat(), "from": user.as_json(), "date": int(time.time()),
                "old_chat_member": member(old), "new_chat_member": member(new)}  # fmt: skip
        return self._update(my_chat_member=body)

    def command(self, user: TgUser, name: str, args: str = "") -> dict[str, Any]:
        text = f"/{name}" + (f" {args}" if args else "")
        msg = self._message(
            user, text=text, entities=[{"type": "bot_command", "offset": 0, "length": len(name) + 1}]
        )
        return self._update(message=msg)

    # -------------------------------------------------------------- group chats (a class's chat)

    def group_command(
        self,
        user: TgUser,
        name: str,
        args: str = "",
        chat: dict[str, Any] | None = None,
        mention: bool = False,
    ) -> dict[str, Any]:
        """A command typed in a group: `/name args`, or `/name@bot args` as the command menu sends it."""
        head = f"/{name}" + (f"@{BOT_USERNAME}" if mention else "")
        msg = {**self._message(user, text=head + (f" {args}" if args else "")), "chat": chat or self.group(),
               "entities": [{"type": "bot_command", "offset": 0, "length": len(head)}]}  # fmt: skip
        return self._update(message=msg)

    def group_text(self, user: TgUser, text: str, chat: dict[str, Any] | None = None) -> dict[str, Any]:
        """Plain talk in a group (a bot with privacy mode off gets it too)."""
        return self._update(message={**self._message(user, text=text), "chat": chat or self.group()})

    def group_migrated(self, user: TgUser, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        """A group upgraded to a supergroup: the service message in the new chat, migrate_from_chat_id."""
        msg = {**self._message(user), "chat": new, "migrate_from_chat_id": old["id"]}
        return self._update(message=msg)

    def bot_in_group(
        self, user: TgUser, old: str, new: str, chat: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """my_chat_member in a group: "left" -> "member" when `user` adds the bot, "member" -> "left"
        (or "kicked") when they remove it. ChatMemberBanned carries until_date (0: for ever)."""
        bot = {"id": BOT_ID, "is_bot": True, "first_name": "Ustaz", "username": BOT_USERNAME}

        def member(status: str) -> dict[str, Any]:
            return {"status": status, "user": bot, **({"until_date": 0} if status == "kicked" else {})}

        body = {"chat": chat or self.group(), "from": user.as_json(), "date": int(time.time()),
                "old_chat_member": member(old), "new_chat_member": member(new)}  # fmt: skip
        return self._update(my_chat_member=body)

    def callback(
        self, user: TgUser, data: str, message: ChatMessage | dict[str, Any] | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"id": f"cb{next(self._callback_ids)}{secrets.token_hex(4)}",
                                "from": user.as_json(), "chat_instance": str(user.id),
                                "data": data}  # fmt: skip
        if isinstance(message, ChatMessage):
            body["message"] = {"message_id": message.message_id, "date": int(time.time()),
                               "chat": user.private_chat(), "text": message.text or "."}  # fmt: skip
        elif message is not None:
            body["message"] = message
        return self._update(callback_query=body)

    def document(self, user: TgUser, rf: RemoteFile, caption: str | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {"file_id": rf.file_id, "file_unique_id": rf.unique_id, "file_size": rf.size}
        if rf.name:
            doc["file_name"] = rf.name
        if rf.mime:
            doc["mime_type"] = rf.mime
        content: dict[str, Any] = {"document": doc}
        if caption:
            content["caption"] = caption
        return self._update(message=self._message(user, **content))

    def photo(self, user: TgUser, sizes: list[RemoteFile], caption: str | None = None) -> dict[str, Any]:
        """`sizes` smallest first, as Telegram lists them."""
        photo = [{"file_id": rf.file_id, "file_unique_id": rf.unique_id, "file_size": rf.size,
                  "width": 90 * (i + 1), "height": 60 * (i + 1)} for i, rf in enumerate(sizes)]  # fmt: skip
        content: dict[str, Any] = {"photo": photo}
        if caption:
            content["caption"] = caption
        return self._update(message=self._message(user, **content))

    def media(self, user: TgUser, kind: str, rf: RemoteFile, caption: str | None = None) -> dict[str, Any]:
        """voice, audio, video or video_note."""
        obj: dict[str, Any] = {"file_id": rf.file_id, "file_unique_id": rf.unique_id, "file_size": rf.size,
                               "duration": 3}  # fmt: skip
        if kind == "video":
            obj.update(width=640, height=480)
        if kind == "video_note":
            obj["length"] = 240
        if rf.mime and kind != "video_note":
            obj["mime_type"] = rf.mime
        if rf.name and kind in ("audio", "video"):
            obj["file_name"] = rf.name
        content: dict[str, Any] = {kind: obj}
        if caption:
            content["caption"] = caption
        return self._update(message=self._message(user, **content))

    def poll_answer(self, user: TgUser, poll_id: str, option_ids: list[int]) -> dict[str, Any]:
        return self._update(
            poll_answer={
                "poll_id": poll_id,
                "user": user.as_json(),
                "option_ids": option_ids,
                "option_persistent_ids": [str(i) for i in option_ids],
            }
        )

    def poll_answer_shape(
        self,
        user: TgUser,
        poll_id: str,
        option_ids: list[int],
        persistent: bool = True,
        voter_chat: bool = False,
    ) -> dict[str, Any]:
        """A vote as older servers send it (no option_persistent_ids), or an anonymous chat's (voter_chat)."""
        update = self.poll_answer(user, poll_id, option_ids)
        body = update["poll_answer"]
        if not persistent:
            del body["option_persistent_ids"]
        if voter_chat:
            del body["user"]
            body["voter_chat"] = {"id": -1001000000000 - user.id, "type": "channel", "title": "Арна"}
        return update

    # -------------------------------------------------------------- what Ustaz does not act on

    def message_with(self, user: TgUser, **content: Any) -> dict[str, Any]:
        """A message of any kind in the person's private chat: sticker=..., location=..., contact=..."""
        return self._update(message=self._message(user, **content))

    def sticker(self, user: TgUser) -> dict[str, Any]:
        return self.message_with(
            user,
            sticker={
                "file_id": "CAACstk1",
                "file_unique_id": "AgADstk1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
                "file_size": 20_000,
            },
        )

    def location(self, user: TgUser) -> dict[str, Any]:
        return self.message_with(user, location={"latitude": 43.2389, "longitude": 76.8897})

    def contact(self, user: TgUser) -> dict[str, Any]:
        return self.message_with(
            user, contact={"phone_number": "+77010000000", "first_name": user.first_name, "user_id": user.id}
        )

    @staticmethod
    def group(chat_id: int = -1001234567890, title: str = "10А сынып") -> dict[str, Any]:
        return {"id": chat_id, "type": "supergroup", "title": title}

    def joined_group(self, user: TgUser, newcomer: TgUser) -> dict[str, Any]:
        """A service message: someone added to a group the bot is in."""
        msg = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.group(),
            "from": user.as_json(),
            "new_chat_members": [newcomer.as_json()],
            "new_chat_member": newcomer.as_json(),
            "new_chat_participant": newcomer.as_json(),
        }
        return self._update(message=msg)

    def edited(self, user: TgUser, text: str) -> dict[str, Any]:
        msg = {**self._message(user, text=text), "edit_date": int(time.time())}
        return self._update(edited_message=msg)

    def channel_post(self, text: str, edited: bool = False) -> dict[str, Any]:
        chat = {"id": -1009876543210, "type": "channel", "title": "Колледж жаңалықтары"}
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "sender_chat": chat,
            "text": text,
        }
        if edited:
            msg["edit_date"] = int(time.time())
            return self._update(edited_channel_post=msg)
        return self._update(channel_post=msg)

    def group_member_change(self, admin: TgUser, user: TgUser, old: str, new: str) -> dict[str, Any]:
        """chat_member: someone's status in a group changed (needs chat_member in allowed_updates)."""
        body = {
            "chat": self.group(),
            "from": admin.as_json(),
            "date": int(time.time()),
            "old_chat_member": {"status": old, "user": user.as_json()},
            "new_chat_member": {"status": new, "user": user.as_json()},
        }
        return self._update(chat_member=body)

    @staticmethod
    def inaccessible(user: TgUser, message_id: int) -> dict[str, Any]:
        """The message of a button press that is too old or deleted: date 0 (InaccessibleMessage)."""
        return {"message_id": message_id, "date": 0, "chat": user.private_chat()}

    def inline_callback(self, user: TgUser, data: str) -> dict[str, Any]:
        """A button on a message sent in inline mode: inline_message_id, no message."""
        update = self.callback(user, data)
        update["callback_query"]["inline_message_id"] = f"AgAAA{next(self._callback_ids)}"
        return update

    def game_callback(self, user: TgUser, message: ChatMessage) -> dict[str, Any]:
        """A game's Play button: game_short_name, no data."""
        update = self.callback(user, "", message)
        body = update["callback_query"]
        del body["data"]
        body["game_short_name"] = "quiz_race"
        return update

    def poll(self, poll_id: str = "5000000777") -> dict[str, Any]:
        """A poll's new state, as Telegram sends it to the bot that sent the poll."""
        options = [
            {"persistent_id": str(i), "text": t, "voter_count": i} for i, t in enumerate(["3", "4", "5"])
        ]
        return self._update(
            poll={
                "id": poll_id,
                "question": "2 + 2 = ?",
                "options": options,
                "total_voter_count": 3,
                "is_closed": False,
                "is_anonymous": False,
                "type": "quiz",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
                "correct_option_ids": [1],
            }
        )

    def media_group(
        self, user: TgUser, photos: list[RemoteFile], caption: str | None = None
    ) -> list[dict[str, Any]]:
        """An album: one message per photo sharing a media_group_id, the caption on the first."""
        group_id = str(13_000_000_000_000_000 + next(self._message_ids))
        updates = [self.photo(user, [rf], caption=caption if i == 0 else None) for i, rf in enumerate(photos)]
        for update in updates:
            update["message"]["media_group_id"] = group_id
        return updates

    def reaction(self, user: TgUser, message_id: int, emoji: str = "👍") -> dict[str, Any]:
        return self._update(
            message_reaction={
                "chat": user.private_chat(),
                "message_id": message_id,
                "user": user.as_json(),
                "date": int(time.time()),
                "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": emoji}],
            }
        )

    def join_request(self, user: TgUser) -> dict[str, Any]:
        return self._update(
            chat_join_request={
                "chat": self.group(),
                "from": user.as_json(),
                "user_chat_id": user.id,
                "date": int(time.time()),
            }
        )

    def business_message(self, user: TgUser, text: str) -> dict[str, Any]:
        """A message to the business account the bot serves (a different chat owner, not the bot)."""
        msg = {**self._message(user, text=text), "business_connection_id": "biz-1"}
        return self._update(business_message=msg)

    def future(self, **fields: Any) -> dict[str, Any]:
        """An update of a kind Telegram may add later: a top-level field this aiogram does not know."""
        return self._update(**fields)


def escape(text: str) -> str:
    return html.escape(text, quote=False)
