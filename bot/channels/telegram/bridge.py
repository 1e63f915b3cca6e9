"""Where the Telegram channel meets the core: the outbox's sender, the file fetcher, the file source."""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from sqlalchemy import select

from bot.channels.telegram.intake import POLL_PREFIX
from bot.channels.telegram.outgoing import Acked, FileToSend, TelegramOut, TryLater, Unreachable
from bot.channels.telegram.unconfirmed import Unconfirmed
from bot.core.messages import Attachment
from bot.files.store import FileReason, FileRejected
from bot.queues.outbox import Delivery, DeliveryResult, Failed, RetryLater, Sent
from bot.queues.outbox import Unreachable as OutboxUnreachable
from db.base import utcnow
from db.models import Channel, ChannelFileId, FileName
from db.statements import dialect_insert

if TYPE_CHECKING:
    from bot.runtime import Runtime

MB = 1024 * 1024
CLOUD_DOWNLOAD_LIMIT = 20 * MB  # getFile refuses bigger files on api.telegram.org
LOCAL_DOWNLOAD_LIMIT = 2000 * MB  # a local telegram-bot-api server serves up to 2 GB


class TelegramSender:
    """The outbox hands each Telegram row here; the answer says what to do with the row."""

    channel = Channel.telegram

    def __init__(self, out: TelegramOut, unconfirmed: Unconfirmed | None = None) -> None:
        self.out = out
        self.unconfirmed = unconfirmed  # the slots out's sends take, freed here once recorded

    async def ready_in(self, address: str) -> float:
        """Seconds this chat is held back by its flood limit (the outbox waits them out off its workers)."""
        return await self.out.limiter.ready_in(address)

    async def deliver(self, delivery: Delivery) -> DeliveryResult:
        reply = delivery.reply
        source = reply.source_message_id if reply.edit_source else None
        progress = delivery.progress

        async def part_sent(done: int, total: int, acked: Acked) -> None:
            if progress is not None:
                await progress(done, _sent(acked) if done == total else None)
            self._confirmed()

        try:
            done = await self.out.deliver(
                delivery.address,
                reply,
                source_message_id=source,
                start=delivery.parts_done,
                on_part=part_sent,
            )
        except Unreachable as exc:
            return OutboxUnreachable(str(exc))
        except TryLater as exc:
            # The call already retried with backoff; the row goes back with a longer pause each time.
            return RetryLater(min(600.0, 15.0 * 2**delivery.attempts), str(exc))
        except TelegramBadRequest as exc:  # Telegram will never take this one: do not try again
            return Failed(exc.message, code="400")
        finally:
            self._confirmed()  # an edit, or a part whose record failed: its slot is not kept
        return _sent(Acked(done.message_ids[-1] if done.message_ids else None, done.poll_id))

    def _confirmed(self) -> None:
        if self.unconfirmed is not None:
            self.unconfirmed.confirmed()


def _sent(last: Acked) -> Sent:
    if last.poll_id:
        return Sent(POLL_PREFIX + last.poll_id)  # how the quiz's answers find their way back
    return Sent(last.message_id)


class TelegramFiles:
    """Brings a person's file in: the size is checked from the update, before anything is downloaded.

    The limit a person hears is the smaller of Ustaz's own and the Bot API server's. A custom server
    is taken for a local one (2 GB) until it refuses a file as too big: then it keeps the cloud's 20 MB.
    """

    def __init__(self, bot: Bot, local_server: bool, own_limit: int) -> None:
        self.bot = bot
        self.server_limit = LOCAL_DOWNLOAD_LIMIT if local_server else CLOUD_DOWNLOAD_LIMIT
        self.own_limit = own_limit

    def max_bytes(self, att: Attachment) -> int:
        return min(self.server_limit, self.own_limit)

    async def fetch(self, att: Attachment) -> bytes:
        assert att.remote_ref is not None
        name = att.filename or att.kind
        try:
            remote = await self.bot.get_file(att.remote_ref)
        except TelegramAPIError as exc:
            if "too big" not in exc.message.lower():
                raise
            self.server_limit = min(self.server_limit, CLOUD_DOWNLOAD_LIMIT)
            raise FileRejected(FileReason.too_big, name, att.size or 0, self.max_bytes(att)) from exc
        limit = self.max_bytes(att)
        if remote.file_size is not None and remote.file_size > limit:
            raise FileRejected(FileReason.too_big, name, remote.file_size, limit)
        path = remote.file_path or ""
        if os.path.isabs(path) and os.path.exists(path):
            # A local Bot API server in --local mode hands out a path on this machine, not a URL.
            with open(path, "rb") as fh:
                return fh.read(limit + 1)
        buffer = io.BytesIO()
        await self.bot.download_file(path, destination=buffer, timeout=300)
        return buffer.getvalue()


class StoreFiles:
    """The file store as the Telegram sender sees it, with Telegram's file_id cached per stored file."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def describe(self, file_name_id: int) -> FileToSend:
        async with self.runtime.sessions() as session:
            fname = await session.get(FileName, file_name_id)
            if fname is None:
                raise TryLater(f"file {file_name_id} is gone")
            remote = await session.scalar(
                select(ChannelFileId.remote_id).where(
                    ChannelFileId.channel == Channel.telegram,
                    ChannelFileId.stored_file_id == fname.stored_file_id,
                )
            )
            return FileToSend(fname.id, fname.stored_file_id, fname.name, fname.kind, remote)

    async def read(self, file_name_id: int) -> bytes:
        async with self.runtime.sessions() as session:
            return (await self.runtime.files.load(session, file_name_id)).data

    async def remember(self, stored_file_id: int, remote_id: str) -> None:
        async with self.runtime.sessions() as session, session.begin():
            stmt = dialect_insert(session, ChannelFileId).values(
                channel=Channel.telegram,
                stored_file_id=stored_file_id,
                remote_id=remote_id,
                created_at=utcnow(),
            )
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["channel", "stored_file_id"], set_={"remote_id": stmt.excluded.remote_id}
                )
            )
