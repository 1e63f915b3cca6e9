"""What Ustaz sends to a web seat: written to its log, and the seat's long-polls woken."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from bot.core.messages import Attachment
from bot.queues.outbox import Delivery, DeliveryResult, Sent, Unreachable
from bot.runtime import Runtime
from bot.services.people.web_signin import takes_notices
from db.models import Channel, FileName, WebchatMessage

MAX_UPLOAD = 50 * 1024 * 1024


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
            # Opening the web must not take a person's notices from their messenger: a notice goes on
            # to their next account unless a session here chose to get them (or there is no other).
            if delivery.kind != "reply":
                channels = self.runtime.channel_senders.keys()
                if not await takes_notices(session, delivery.account_id, delivery.person_id, channels):
                    return Unreachable("notices go to the person's messenger")
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
