"""The local web chat: pick any demo person and talk to Ustaz through the same core.

The page (webchat_static/) posts what the person does to /api/webchat/send, which
goes into the durable inbox like any messenger update, and long-polls
/api/webchat/messages for what Ustaz answers: replies and everything the outbox
delivers to this seat (notices, reminders) arrive there as they happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.core.messages import Attachment, Incoming, Reply
from bot.queues import inbox
from bot.queues.outbox import Delivery, DeliveryResult, Sent
from bot.runtime import Runtime
from db.base import utcnow
from db.models import Channel, FileName, Group, MessengerAccount, Person, WebchatMessage

STATIC = Path(__file__).parent / "webchat_static"
MAX_UPLOAD = 50 * 1024 * 1024
LONG_POLL_SECONDS = 25.0


class WebchatHub:
    """Wakes the long-polls of a seat when something is written for it (in this process)."""

    def __init__(self) -> None:
        self._events: dict[int, asyncio.Event] = {}

    def event(self, account_id: int) -> asyncio.Event:
        return self._events.setdefault(account_id, asyncio.Event())

    def notify(self, account_id: int) -> None:
        event = self._events.pop(account_id, None)
        if event is not None:
            event.set()


class WebchatSender:
    channel = Channel.web

    def __init__(self, runtime: Runtime, hub: WebchatHub) -> None:
        self.runtime = runtime
        self.hub = hub

    async def deliver(self, delivery: Delivery) -> DeliveryResult:
        payload = delivery.reply.to_json()
        async with self.runtime.sessions() as session, session.begin():
            if delivery.reply.files:
                ids = [f.file_name_id for f in delivery.reply.files]
                names = dict(
                    (await session.execute(select(FileName.id, FileName.name).where(FileName.id.in_(ids))))
                    .tuples()
                    .all()
                )
                payload["file_names"] = {str(k): v for k, v in names.items()}
            row = WebchatMessage(account_id=delivery.account_id, from_person=False, payload=payload)
            session.add(row)
            await session.flush()
            row_id = row.id
        self.hub.notify(delivery.account_id)
        return Sent(str(row_id))


class WebFileFetcher:
    """Uploads wait on disk under a random token until the core takes them into the file store."""

    def __init__(self, upload_dir: Path) -> None:
        self.upload_dir = upload_dir

    def max_bytes(self, att: Attachment) -> int:
        return MAX_UPLOAD

    async def fetch(self, att: Attachment) -> bytes:
        assert att.remote_ref is not None
        path = self.upload_dir / Path(att.remote_ref).name
        return await asyncio.to_thread(path.read_bytes)


def setup_webchat(runtime: Runtime, app: web.Application, serve_page: bool) -> WebchatHub:
    """Registers the web chat's sender and file fetcher always (seats may get notices),
    and its page and API when the web chat is on."""
    hub = WebchatHub()
    upload_dir = runtime.settings.files_dir / "uploads"
    runtime.channel_senders[Channel.web] = WebchatSender(runtime, hub)
    runtime.file_fetchers[Channel.web] = WebFileFetcher(upload_dir)
    if serve_page:
        api = WebchatApi(runtime, hub, upload_dir)
        app.router.add_get("/", api.index)
        app.router.add_static("/webchat/", STATIC)
        app.router.add_get("/api/webchat/people", api.people)
        app.router.add_post("/api/webchat/seat", api.seat)
        app.router.add_post("/api/webchat/send", api.send)
        app.router.add_get("/api/webchat/messages", api.messages)
    return hub


class WebchatApi:
    def __init__(self, runtime: Runtime, hub: WebchatHub, upload_dir: Path) -> None:
        self.runtime = runtime
        self.hub = hub
        self.upload_dir = upload_dir

    async def index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def people(self, request: web.Request) -> web.Response:
        """The demo people to pick from, grouped by role."""
        async with self.runtime.sessions() as session:
            persons = (
                await session.scalars(
                    select(Person).options(selectinload(Person.roles)).order_by(Person.full_name)
                )
            ).all()
            groups = {g.id: g.name for g in (await session.scalars(select(Group))).all()}
        out = []
        for person in persons:
            for role in sorted(person.roles, key=lambda r: r.role.value):
                out.append(
                    {
                        "person_id": person.id,
                        "name": person.full_name,
                        "role": role.role.value,
                        "group": groups.get(role.group_id) if role.group_id else None,
                        "locale": person.locale,
                    }
                )
        return web.json_response(out)

    async def seat(self, request: web.Request) -> web.Response:
        """A seat is a web-chat account bound to the picked person (or to nobody: a visitor who joins)."""
        body = await request.json()
        person_id = body.get("person_id")
        role = body.get("role")
        seat = "seat-" + secrets.token_urlsafe(18)
        async with self.runtime.sessions() as session, session.begin():
            person = None
            if person_id is not None:
                person = await session.scalar(
                    select(Person).options(selectinload(Person.roles)).where(Person.id == int(person_id))
                )
                if person is None:
                    raise web.HTTPNotFound(text="no such person")
                if role and role in {r.role.value for r in person.roles}:
                    person.active_role = next(r.role for r in person.roles if r.role.value == role)
            session.add(
                MessengerAccount(
                    channel=Channel.web,
                    external_id=seat,
                    chat_id=seat,
                    person_id=person.id if person else None,
                    display_name=person.full_name if person else None,
                    language_code=body.get("lang"),
                )
            )
        return web.json_response({"seat": seat, "name": person.full_name if person else None})

    async def _account(self, seat: str) -> MessengerAccount:
        async with self.runtime.sessions() as session:
            account = await session.scalar(
                select(MessengerAccount).where(
                    MessengerAccount.channel == Channel.web, MessengerAccount.external_id == seat
                )
            )
        if account is None:
            raise web.HTTPForbidden(text="unknown seat")
        return account

    async def send(self, request: web.Request) -> web.Response:
        attachments: list[Attachment] = []
        fields: dict[str, Any] = {}
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    raise web.HTTPBadRequest(text="nested multipart")
                if part.filename:
                    attachments.append(await self._save_upload(part))
                else:
                    fields[part.name or ""] = await part.text()
        else:
            fields = await request.json()
        seat = str(fields.get("seat", ""))
        account = await self._account(seat)
        text = (fields.get("text") or "").strip() or None
        button = fields.get("button") or None
        if text is None and button is None and not attachments:
            raise web.HTTPBadRequest(text="nothing to send")
        command, args = Incoming.parse_text(text)
        incoming = Incoming(
            channel=Channel.web,
            external_user_id=seat,
            chat_id=seat,
            text=text,
            command=command,
            command_args=args,
            button=button,
            attachments=tuple(attachments),
            language_code=fields.get("lang") or None,
        )
        # The person's own line in the log, shown back as sent (the label for a pressed button).
        shown = {
            "text": fields.get("label", text or ""),
            "files": [a.filename for a in attachments],
        }
        message_id = str(fields.get("message_id") or uuid.uuid4())
        async with self.runtime.sessions() as session, session.begin():
            session.add(
                WebchatMessage(account_id=account.id, from_person=True, payload=shown, created_at=utcnow())
            )
        await inbox.accept(self.runtime, incoming, f"{seat}:{message_id}")
        self.hub.notify(account.id)
        return web.json_response({"ok": True})

    async def _save_upload(self, part: Any) -> Attachment:
        """Keeps the upload on disk before answering, so a restart before handling loses nothing."""
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(16)
        path = self.upload_dir / token
        size = 0
        with open(path, "wb") as fh:
            while chunk := await part.read_chunk(1 << 16):
                size += len(chunk)
                if size > MAX_UPLOAD + 1:
                    break  # the core refuses it by size; no need to keep reading
                fh.write(chunk)
        mime = part.headers.get("Content-Type", "")
        kind = (
            "photo"
            if mime.startswith("image/")
            else "audio"
            if mime.startswith("audio/")
            else ("video" if mime.startswith("video/") else "document")
        )
        return Attachment(kind=kind, remote_ref=token, filename=part.filename, mime=mime, size=size)

    async def messages(self, request: web.Request) -> web.Response:
        seat = request.query.get("seat", "")
        after = int(request.query.get("after", "0"))
        wait = min(float(request.query.get("wait", "0")), LONG_POLL_SECONDS)
        account = await self._account(seat)
        # Taken before the query: a message written between the query and the wait still wakes us.
        event = self.hub.event(account.id)
        rows = await self._rows(account.id, after)
        if not rows and wait > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), wait)
            rows = await self._rows(account.id, after)
        return web.json_response({"messages": [self._render(row) for row in rows]})

    async def _rows(self, account_id: int, after: int) -> list[WebchatMessage]:
        async with self.runtime.sessions() as session:
            return list(
                (
                    await session.scalars(
                        select(WebchatMessage)
                        .where(WebchatMessage.account_id == account_id, WebchatMessage.id > after)
                        .order_by(WebchatMessage.id)
                        .limit(200)
                    )
                ).all()
            )

    def _render(self, row: WebchatMessage) -> dict[str, Any]:
        if row.from_person:
            return {"id": row.id, "from_person": True, **row.payload}
        reply = Reply.from_json(row.payload)
        return {
            "id": row.id,
            "from_person": False,
            "text": reply.text,
            "buttons": [
                [{"label": b.label, "payload": b.payload, "url": b.url} for b in r] for r in reply.buttons
            ],
            "files": [
                {
                    # relative: whatever host the page came from
                    "url": f"/files/{self.runtime.links.file_token(f.file_name_id)}",
                    "name": row.payload.get("file_names", {}).get(str(f.file_name_id), "file"),
                    "caption": f.caption,
                }
                for f in reply.files
            ],
            "quiz": {"question": reply.quiz.question, "options": list(reply.quiz.options)}
            if reply.quiz
            else None,
        }
