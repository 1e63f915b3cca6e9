"""Talking to Ustaz as a person would, through the real inbox, core, outbox and web chat: the tests'
harness and `ustaz screens` both drive it.

seat = await driver.seat_for("Айдана Серікқызы Бекова")
replies = await driver.say(seat, "/menu")
replies = await driver.press(seat, replies[-1], "Timetable")   # by the button's shown label
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from bot.config import Settings
from bot.core.messages import Attachment, Incoming, Reply
from bot.queues import inbox
from bot.runtime import Runtime
from db.models import Channel, MessengerAccount, Person, Role, WebchatMessage


@dataclass
class Seat:
    account_id: int
    external_id: str
    person_id: int | None
    last_seen: int = 0


class Driver:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        from bot.channels.webchat import WebchatHub, WebchatSender, WebFileFetcher

        self.upload_dir = runtime.settings.files_dir / "uploads"
        runtime.channel_senders.setdefault(Channel.web, WebchatSender(runtime, WebchatHub()))
        runtime.file_fetchers.setdefault(Channel.web, WebFileFetcher(self.upload_dir))

    async def seat(self, person_id: int | None, role: Role | None = None, lang: str | None = None) -> Seat:
        external = "seat-" + secrets.token_hex(8)
        async with self.runtime.sessions() as session, session.begin():
            if person_id is not None and role is not None:
                person = await session.get(Person, person_id)
                assert person is not None
                person.active_role = role
            account = MessengerAccount(
                channel=Channel.web,
                external_id=external,
                chat_id=external,
                person_id=person_id,
                language_code=lang,
            )
            session.add(account)
            await session.flush()
            return Seat(account.id, external, person_id)

    async def seat_for(self, full_name: str, role: Role | None = None) -> Seat:
        async with self.runtime.sessions() as session:
            person_id = await session.scalar(select(Person.id).where(Person.full_name == full_name))
        assert person_id is not None, f"no person {full_name!r}"
        return await self.seat(person_id, role)

    async def say(
        self,
        seat: Seat,
        text: str | None = None,
        *,
        button: str | None = None,
        files: list[tuple[str, bytes]] | None = None,
    ) -> list[Reply]:
        """Sends as the person would and returns every message the seat got in answer."""
        attachments = []
        for name, data in files or []:
            self.upload_dir.mkdir(parents=True, exist_ok=True)
            token = secrets.token_hex(8)
            (self.upload_dir / token).write_bytes(data)
            kind = "photo" if name.lower().endswith((".jpg", ".jpeg", ".png")) else "document"
            attachments.append(Attachment(kind=kind, remote_ref=token, filename=name, size=len(data)))
        incoming = Incoming.from_web(seat.external_id, text, button, tuple(attachments))
        await inbox.accept(self.runtime, incoming, str(uuid.uuid4()))
        await self.settle()
        return await self.received(seat)

    async def press(self, seat: Seat, reply: Reply, label: str) -> list[Reply]:
        """Presses the button shown as `label` (or containing it) on a reply."""
        for row in reply.buttons:
            for button in row:
                if button.label == label:
                    return await self.say(seat, button=button.payload)
        for row in reply.buttons:
            for button in row:
                if label in button.label:
                    return await self.say(seat, button=button.payload)
        shown = [b.label for row in reply.buttons for b in row]
        raise AssertionError(f"no button {label!r}; the reply shows {shown}")

    async def tap(self, seat: Seat, *labels: str, on: list[Reply] | Reply | None = None) -> list[Reply]:
        """Presses buttons by their visible labels, one after another, as a person finds them:
        from the main menu (or from `on`), each label on the latest message that shows it."""
        shown = on if on is not None else await self.say(seat, "/menu")
        replies = [shown] if isinstance(shown, Reply) else shown
        for label in labels:
            reply = next((r for r in reversed(replies) if shows(r, label)), None)
            if reply is None:
                seen = [b.label for r in replies for row in r.buttons for b in row]
                raise AssertionError(f"no button {label!r}; the messages show {seen}")
            replies = await self.press(seat, reply, label)
        return replies

    async def settle(self) -> None:
        """Handles everything in the inbox and delivers everything due in the outbox."""
        assert self.runtime.inbox_worker is not None and self.runtime.sender is not None
        while True:
            handled = await self.runtime.inbox_worker.process_once()
            sent = await self.runtime.sender.drain_once()
            if not handled and not sent:
                return

    async def received(self, seat: Seat) -> list[Reply]:
        """What reached this seat since the last look."""
        async with self.runtime.sessions() as session:
            rows = (
                await session.scalars(
                    select(WebchatMessage)
                    .where(
                        WebchatMessage.account_id == seat.account_id,
                        WebchatMessage.id > seat.last_seen,
                        WebchatMessage.from_person.is_(False),
                    )
                    .order_by(WebchatMessage.id)
                )
            ).all()
        if rows:
            seat.last_seen = rows[-1].id
        return [Reply.from_json(r.payload) for r in rows]


def shows(reply: Reply, label: str) -> bool:
    return any(label == b.label or label in b.label for row in reply.buttons for b in row)


def local_settings(database_url: str, files_dir: Path, **overrides: object) -> Settings:
    """Settings for a runtime that talks only through the web chat: no messenger, no token."""
    values: dict[str, object] = dict(
        database_url=database_url,
        files_dir=files_dir,
        http_port=8080,
        webchat="on",
        telegram_token=None,
        twilio_account_sid=None,
        twilio_auth_token=None,
        twilio_whatsapp_from=None,
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg,arg-type]


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def labels(reply: Reply) -> list[str]:
    return [b.label for row in reply.buttons for b in row]
