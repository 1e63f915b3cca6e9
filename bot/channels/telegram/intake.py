"""Updates come in through the inbox, and Telegram is told only once they are committed.

aiogram's SimpleRequestHandler answers the webhook before handling, and its
polling moves the offset past an update as soon as it has been read; either
loses an update when the process dies in between. Here:

- the webhook answers 200 only after the update's inbox row is committed (a
  failure answers 500, so Telegram delivers it again);
- polling asks for the next batch with offset = last committed + 1, which is
  what confirms the previous batch to Telegram.

A redelivered or re-read update hits the inbox's unique (channel, update_id) and
is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import select

from bot.channels.telegram.incoming import Arrived, to_arrived
from bot.core.messages import Incoming, QuizAnswer
from bot.group_commit import GroupCommit
from bot.inbox import store
from db.models import OutboxMessage

if TYPE_CHECKING:
    from bot.channels.telegram.outgoing import TelegramOut
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query", "poll_answer", "my_chat_member"]
POLL_PREFIX = "poll:"  # outbox rows that carried a quiz record the poll's id as their external id


async def commit(runtime: Runtime, arrivals: Sequence[Arrived]) -> int:
    """Commits the arrivals in one transaction; returns how many were new."""
    new = 0
    todo = [a for a in arrivals if a.incoming is not None]
    if not todo:
        return 0
    async with runtime.writing(), runtime.sessions() as session, session.begin():
        for a in todo:
            assert a.incoming is not None
            incoming = await _quiz_ref(session, a.incoming)
            if await store(session, incoming, str(a.update_id)) is not None:
                new += 1
    if new and runtime.inbox_worker is not None:
        runtime.inbox_worker.wake()
    return new


async def _quiz_ref(session: Any, incoming: Incoming) -> Incoming:
    """A poll's answer names Telegram's poll id; the core wants the quiz's own ref it was sent with."""
    answer = incoming.quiz_answer
    if answer is None:
        return incoming
    payload = await session.scalar(
        select(OutboxMessage.payload).where(OutboxMessage.external_message_id == POLL_PREFIX + answer.quiz_id)
    )
    ref = ((payload or {}).get("quiz") or {}).get("ref")
    if not ref:
        return incoming
    import dataclasses

    return dataclasses.replace(incoming, quiz_answer=QuizAnswer(ref, answer.option_ids))


def parse(bot: Bot, data: Any) -> Update:
    return Update.model_validate(data, context={"bot": bot})


class RawGetUpdates(GetUpdates):
    """getUpdates whose updates stay JSON: each is parsed alone, so one that this aiogram can't read
    (a field Telegram added) is skipped instead of failing, and retrying, the whole batch forever."""

    __returning__ = list[dict[str, Any]]


def parse_batch(bot: Bot, raw: list[dict[str, Any]]) -> tuple[list[Update], int | None]:
    """The updates that parse, and the highest update_id seen (to confirm the skipped ones too)."""
    updates, last = [], None
    for data in raw:
        update_id = data.get("update_id")
        if isinstance(update_id, int):
            last = max(last or update_id, update_id)
        try:
            updates.append(parse(bot, data))
        except (ValueError, ValidationError) as exc:
            log.error("update %s skipped: it does not parse (%s)", update_id, exc)
    return updates, last


class WebhookHandler:
    """POST /telegram/webhook: secret checked, update committed, then 200.

    Updates that arrive together are committed together (group commit): each request
    still answers only once its own update is committed.
    """

    def __init__(self, runtime: Runtime, bot: Bot, secret: str | None) -> None:
        self.runtime = runtime
        self.bot = bot
        self.secret = secret
        self.arrivals: GroupCommit[Arrived] = GroupCommit(self._commit)

    async def _commit(self, arrivals: list[Arrived]) -> None:
        await commit(self.runtime, arrivals)

    async def __call__(self, request: web.Request) -> web.Response:
        if self.secret is not None:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), self.secret.encode()):
                return web.Response(status=401, text="wrong secret token")
        try:
            data = json.loads(await request.read())
        except ValueError:
            return web.Response(status=400, text="not an update")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            # Telegram never sends this; 400 tells a broken caller it is wrong, not that we failed.
            return web.Response(status=400, text="not an update")
        updates, _ = parse_batch(self.bot, [data])
        if not updates:
            return web.Response(status=200)  # logged and skipped: a retry would not read it either
        update = updates[0]
        arrived = to_arrived(update)
        if arrived is None:
            return web.Response(status=200)
        try:
            await self.arrivals.add(arrived)
        except Exception:
            log.exception("update %s not committed: Telegram will deliver it again", update.update_id)
            return web.Response(status=500)
        if arrived.callback_query_id:
            # Answered inside the webhook's own response: the button stops spinning with no extra request.
            return web.json_response(
                {"method": "answerCallbackQuery", "callback_query_id": arrived.callback_query_id}
            )
        return web.Response(status=200)


class Poller:
    """Long polling with the offset confirmed only after the batch is committed."""

    def __init__(
        self, runtime: Runtime, out: TelegramOut, timeout: int = 25, backoff_max: float = 30.0
    ) -> None:
        self.runtime = runtime
        self.out = out
        self.bot = out.bot
        self.timeout = timeout
        self.backoff_max = backoff_max
        self.offset: int | None = None  # Telegram keeps whatever we have not confirmed

    async def run(self, stop: asyncio.Event) -> None:
        await self.bot.delete_webhook(
            drop_pending_updates=False
        )  # getUpdates refuses to work beside a webhook
        delay = 0.5
        while not stop.is_set():
            poll = asyncio.create_task(self._fetch())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not poll.done():
                poll.cancel()  # nothing read in this round is lost: its offset was never confirmed
                break
            try:
                updates = poll.result()
            except Exception as exc:
                log.warning("getUpdates failed (%s): retrying in %.1f s", exc, delay)
                await _sleep_or_stop(stop, delay)
                delay = min(self.backoff_max, delay * 2)
                continue
            delay = 0.5
            parsed, last = parse_batch(self.bot, updates)
            if last is not None:
                await self.accept(parsed, last, stop)
        await self._confirm()

    async def _fetch(self) -> list[dict[str, Any]]:
        method = RawGetUpdates(offset=self.offset, timeout=self.timeout, allowed_updates=ALLOWED_UPDATES)
        return await self.bot(method, request_timeout=self.timeout + 30)

    async def accept(self, updates: list[Update], last: int, stop: asyncio.Event | None = None) -> None:
        """Commits the batch, then moves the offset past its last update (skipped ones included)."""
        arrivals = [a for a in (to_arrived(u) for u in updates) if a is not None]
        delay = 0.5
        while True:
            try:
                await commit(self.runtime, arrivals)
                break
            except Exception:
                # Not committed: the offset stays, so Telegram will hand the batch over again anyway.
                log.exception("could not commit %d updates; retrying", len(arrivals))
                if stop is not None and stop.is_set():
                    return
                await asyncio.sleep(delay)
                delay = min(self.backoff_max, delay * 2)
        self.offset = last + 1
        for a in arrivals:
            if a.callback_query_id:
                asyncio.create_task(self.out.answer_callback(a.callback_query_id))

    async def _confirm(self) -> None:
        """On a clean stop, tell Telegram what is committed so a restart does not read it again."""
        if self.offset is None:
            return
        try:
            await self.bot(GetUpdates(offset=self.offset, timeout=0, limit=1), request_timeout=10)
        except Exception as exc:  # the inbox would skip the re-read ones anyway
            log.info("final offset not confirmed: %s", exc)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
