"""The web chat's conversation: what the person sends goes to the inbox, what Ustaz writes comes back.

The page (webchat_static/) posts what the person does to /api/webchat/send, which goes into the
durable inbox like any messenger update, and long-polls /api/webchat/messages for what Ustaz
answers: replies and everything the outbox delivers to this seat (notices, reminders) arrive there
as they happen. Who the seat is comes from the session (signin.py), never from the request body.
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

from bot.channels.webchat.delivery import MAX_UPLOAD, WebchatHub
from bot.channels.webchat.signin import Seats, json_body, refused
from bot.core.messages import Attachment, Incoming, Reply
from bot.queues import inbox
from bot.runtime import Runtime
from bot.services.people import web_signin
from db.base import utcnow
from db.models import Group, Person, WebchatMessage

STATIC = Path(__file__).parent.parent / "webchat_static"
LONG_POLL_SECONDS = 25.0
OTHER_PROCESS_SECONDS = 1.0  # with several processes, a long poll looks again this often


class WebchatApi:
    def __init__(self, runtime: Runtime, hub: WebchatHub, upload_dir: Path, seats: Seats) -> None:
        self.runtime = runtime
        self.hub = hub
        self.upload_dir = upload_dir
        self.seats = seats

    async def index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def people(self, request: web.Request) -> web.Response:
        """The demo people to pick from, grouped by role (the demo school on loopback only)."""
        if not await self.seats.picker_allowed(request):
            raise refused(404, "signed_out")
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
        """A demo seat: the picked person's web account (or a new one for a visitor who joins),
        with a token the tab keeps; the demo school on loopback only."""
        if not await self.seats.picker_allowed(request):
            raise refused(404, "signed_out")
        body = await json_body(request)
        person_id, role = body.get("person_id"), body.get("role")
        async with self.runtime.sessions() as session, session.begin():
            person = None
            if person_id is not None:
                if not isinstance(person_id, int):
                    raise refused(400, "bad_request")
                person = await session.scalar(
                    select(Person).options(selectinload(Person.roles)).where(Person.id == person_id)
                )
                if person is None:
                    raise refused(404, "bad_request")
                if role and role in {r.role.value for r in person.roles}:
                    person.active_role = next(r.role for r in person.roles if r.role.value == role)
                account = await web_signin.web_account(session, person)
            else:
                account = web_signin.new_web_account(None)
                session.add(account)
                await session.flush()
            if body.get("lang"):
                account.language_code = str(body["lang"])
            token, _ = await web_signin.open_session(session, account.id, self.seats.lasts())
        return web.json_response({"seat": token, "name": person.full_name if person else None})

    async def send(self, request: web.Request) -> web.Response:
        seat = await self.seats.of(request)
        attachments: list[Attachment] = []
        fields: dict[str, Any] = {}
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    raise refused(400, "bad_request")
                if part.filename:
                    attachments.append(await self._save_upload(part))
                else:
                    fields[part.name or ""] = await part.text()
        else:
            fields = await json_body(request)
        text = (str(fields.get("text") or "")).strip() or None
        button = fields.get("button") or None
        if text is None and button is None and not attachments:
            raise refused(400, "bad_request")
        incoming = Incoming.from_web(
            seat.external_id,
            text,
            str(button) if button else None,
            tuple(attachments),
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
                WebchatMessage(
                    account_id=seat.account_id, from_person=True, payload=shown, created_at=utcnow()
                )
            )
        await inbox.accept(self.runtime, incoming, f"{seat.external_id}:{message_id}")
        self.hub.notify(seat.account_id)
        return web.json_response({"ok": True})

    async def messages(self, request: web.Request) -> web.Response:
        try:
            after = int(request.query.get("after", "0"))
            wait = max(0.0, min(float(request.query.get("wait", "0")), LONG_POLL_SECONDS))
        except ValueError:
            raise refused(400, "bad_request") from None
        seat = await self.seats.of(request)
        # Taken before the query: a message written between the query and the wait still wakes us.
        event = self.hub.event(seat.account_id)
        rows = await self._rows(seat.account_id, after)
        # One of several processes: the reply may be written by another, which cannot wake this hub.
        step = wait if self.runtime.settings.process_index is None else OTHER_PROCESS_SECONDS
        clock = asyncio.get_running_loop()
        deadline = clock.time() + wait
        while not rows and (left := deadline - clock.time()) > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(left, step))
            event = self.hub.event(seat.account_id)
            rows = await self._rows(seat.account_id, after)
        return web.json_response({"messages": [self._render(row) for row in rows]})

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
