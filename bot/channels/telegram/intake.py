"""Updates come in through the inbox, and Telegram is told only once they are committed.

aiogram's SimpleRequestHandler answers the webhook before handling, and its
polling moves the offset past an update as soon as it has been read; either
loses an update when the process dies in between. Here:

- the webhook answers 200 only after the update's inbox row is committed (a
  failure answers 500, so Telegram delivers it again);
- polling asks for the next batch with offset = last committed + 1, which is
  what confirms the previous batch to Telegram.

A redelivered or re-read update hits the inbox's unique (channel, update_id) and
is skipped (within the inbox's redelivery window).

Each update is read and mapped on its own (`arrive`): one this aiogram cannot parse
is read leniently (lenient.py), and one that still cannot be read, mapped or stored
is given up, logged and counted in `stats`; a button press is answered either way.
Nothing about one update holds up another, another chat, or a restart.
"""

from __future__ import annotations

import asyncio
import collections
import hmac
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson
from aiogram import Bot
from aiogram.exceptions import TelegramConflictError
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiohttp import web
from sqlalchemy import select

import bot.channels.telegram.lenient as lenient
from bot.channels.bodies import TELEGRAM_LIMIT, read_within
from bot.channels.telegram.incoming import Arrived, lean_arrive, to_arrived
from bot.core.messages import Incoming, QuizAnswer
from bot.queues.group_commit import GroupCommit
from bot.queues.inbox import chat_key, store, store_born
from bot.supervisor import FailureStreak, Heartbeat, sleep_or_stop
from db.models import OutboxMessage

if TYPE_CHECKING:
    from bot.channels.telegram.outgoing import TelegramOut
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query", "poll_answer", "my_chat_member"]
POLL_PREFIX = "poll:"  # outbox rows that carried a quiz record the poll's id as their external id


async def commit(
    runtime: Runtime, arrivals: Sequence[Arrived], born: dict[int, tuple[int, str]] | None = None
) -> int:
    """Commits the arrivals in one transaction; returns how many were new.

    With `born`, rows are inserted already claimed by this process's inbox worker while it has room
    (and their chat has nothing unfinished); those are added there (update_id: row id, chat key) for
    the caller to handle right away, and the worker is not woken for them.
    """
    todo = [a for a in arrivals if a.incoming is not None]
    if not todo:
        return 0
    worker = runtime.inbox_worker
    room = worker.room() if born is not None and worker is not None else 0
    stored: list[tuple[int, int, str, bool]] = []  # update_id, row id, chat key, born
    async with runtime.writing(), runtime.sessions() as session, session.begin():
        for a in todo:
            assert a.incoming is not None
            incoming = await _quiz_ref(session, a.incoming)
            key = chat_key(incoming)
            if room > 0 and worker is not None:
                got = await store_born(session, incoming, str(a.update_id), worker)
                room -= got is not None and got[1]
            else:
                row_id = await store(session, incoming, str(a.update_id))
                got = None if row_id is None else (row_id, False)
            if got is not None:
                stored.append((a.update_id, got[0], key, got[1]))
        if worker is not None:  # several processes: rows waiting for another's claim (bot/queues/shards.py)
            await worker.shard.tell_owners(session, [key for _, _, key, born in stored if not born])
    waiting = False
    for update_id, row_id, key, is_born in stored:
        if worker is not None:
            worker.took(row_id, key, is_born)
        if is_born and born is not None:
            born[update_id] = (row_id, key)
        elif worker is None or worker.shard.owns(key):  # another process's chat: its owner was told
            waiting = True
            if worker is not None:
                worker.rows_waiting([key])  # maybe behind a row of it that another process handles
    if waiting and worker is not None:
        worker.wake()
    return len(stored)


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
    """getUpdates whose updates stay JSON: each is read alone, so one that this aiogram can't read
    (a field Telegram added) is handled on its own instead of failing, and retrying, the whole batch."""

    __returning__ = list[dict[str, Any]]


# What this process could not take as it came, for the health check: "lenient" (read from the raw
# JSON only), "given_up" (all given up), and why: "unreadable" (not even leniently), "unmappable"
# (to_arrived failed), "uncommittable" (the database refused it alone).
stats: collections.Counter[str] = collections.Counter()


def arrive(bot: Bot, data: dict[str, Any]) -> Arrived | None:
    """One update as the inbox keeps it. Never raises: whatever goes wrong is this update's alone."""
    update_id = data["update_id"]
    lean = lean_arrive(data)  # a plain text or button press: read without aiogram's models
    if lean is not None:
        return lean
    try:
        update = parse(bot, data)
    except Exception as strict:  # pydantic's ValidationError, mostly
        try:
            update = lenient.parse(bot, data)
        except Exception as exc:
            return _give_up(data, "unreadable", exc)
        stats["lenient"] += 1
        log.warning("update %s read leniently: this aiogram does not parse it (%s)", update_id, strict)
    try:
        return to_arrived(update)
    except Exception as exc:  # a mapping bug must not stop the other updates
        log.exception("update %s could not be mapped", update_id)
        return _give_up(data, "unmappable", exc)


def _give_up(data: dict[str, Any], reason: str, exc: Exception) -> Arrived | None:
    """Nothing for the core; a button press is still answered so it stops spinning."""
    _count_given_up(reason, data["update_id"], exc)
    query_id = lenient.callback_id(data)
    return Arrived(data["update_id"], "", None, query_id) if query_id else None


def _count_given_up(reason: str, update_id: object, exc: object) -> None:
    stats["given_up"] += 1
    stats[reason] += 1
    log.error("update %s given up (%s): %s", update_id, reason, exc)


def refuses_the_data(exc: BaseException) -> bool:
    """PostgreSQL refused this update's own data (SQLSTATE class 22: a NUL in jsonb, say), not the
    connection or a lock: another try would fail the same way."""
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith("22")


def arrive_batch(bot: Bot, raw: list[Any]) -> tuple[list[Arrived], int | None]:
    """The batch's arrivals, and the highest update_id seen (to confirm the given-up ones too)."""
    arrivals, last = [], None
    for data in raw:
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int):
            _count_given_up("unreadable", None, f"no update_id in {data!r:.200}")
            continue
        last = max(last or update_id, update_id)
        arrived = arrive(bot, data)
        if arrived is not None:
            arrivals.append(arrived)
    return arrivals, last


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
        self._born: dict[int, tuple[int, str]] = {}  # update_id: (row id, chat key), for __call__
        # The database away: one error with its cause, not a traceback per update Telegram retries.
        self.committing = FailureStreak("committing Telegram's webhook updates", log)

    async def _commit(self, arrivals: list[Arrived]) -> None:
        await commit(self.runtime, arrivals, self._born)

    async def __call__(self, request: web.Request) -> web.Response:
        if self.secret is not None:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), self.secret.encode()):
                return web.Response(status=401, text="wrong secret token")
        try:
            data = orjson.loads(await read_within(request, TELEGRAM_LIMIT))
        except ValueError:  # not JSON, or nested deeper than orjson's 1,024 levels
            return web.Response(status=400, text="not an update")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            # Telegram never sends this; 400 tells a broken caller it is wrong, not that we failed.
            return web.Response(status=400, text="not an update")
        arrived = arrive(self.bot, data)
        if arrived is None:
            # Nothing for Ustaz, or given up: a retry would not read it either.
            return web.Response(status=200)
        worker = self.runtime.inbox_worker
        at_once = arrived.incoming is not None and worker is not None and worker.handles_arriving()
        if at_once:
            assert worker is not None and arrived.incoming is not None
            try:
                await worker.handle_arriving(str(arrived.update_id), arrived.incoming, _quiz_ref)
            except Exception:  # nothing was kept: stored below as new, for the worker's tries and apology
                log.exception("update %s: storing and handling it at once failed", arrived.update_id)
            else:
                self.committing.ok()
                return self._answer(arrived)
        try:
            if at_once:
                await commit(self.runtime, [arrived])
            else:
                await self.arrivals.add(arrived)
        except Exception as exc:
            if not refuses_the_data(exc):
                self.committing.failed(exc)  # not committed: Telegram will deliver it again
                return web.Response(status=500)
            _count_given_up("uncommittable", arrived.update_id, exc)  # delivered again, it would fail again
        else:
            self.committing.ok()
        born = self._born.pop(arrived.update_id, None)
        response = self._answer(arrived)
        if born is not None and self.runtime.inbox_worker is not None:
            # Born claimed by this process: Telegram has its answer first, then this task handles the
            # row as the worker would (a crash leaves it claimed, and the claim runs out: handled again).
            await response.prepare(request)
            await response.write_eof()
            await self.runtime.inbox_worker.handle_born(*born)
            # Another process's chat, free when it came: its owner may have rows of it waiting behind.
            await self.runtime.inbox_worker.shard.tell_done(self.runtime.sessions, born[1])
        return response

    @staticmethod
    def _answer(arrived: Arrived) -> web.Response:
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
        self.webhook_deleted = False
        self.heartbeat = Heartbeat()  # beaten by every getUpdates answered (the health check reads it)
        self.committing = FailureStreak("committing Telegram's polled updates", log)

    async def run(self, stop: asyncio.Event) -> None:
        """Ends only on stop: Telegram being away, or one bad round, is retried with backoff."""
        reach = FailureStreak("Telegram long polling", log, most=self.backoff_max, traceback=False)
        while not stop.is_set():
            try:
                if not self.webhook_deleted:
                    # getUpdates refuses to work beside a webhook.
                    await self.bot.delete_webhook(drop_pending_updates=False)
                    self.webhook_deleted = True
                updates = await self._fetch_or_stop(stop)
                if updates is None:
                    break
                reach.ok()
                self.heartbeat.beat()
                arrivals, last = arrive_batch(self.bot, updates)
                if last is not None:
                    await self.accept(arrivals, last, stop)
            except TelegramConflictError as exc:  # a webhook was set meanwhile
                self.webhook_deleted = False
                await sleep_or_stop(stop, reach.failed(exc))
            except Exception as exc:
                await sleep_or_stop(stop, reach.failed(exc))
        await self._confirm()

    async def _fetch_or_stop(self, stop: asyncio.Event) -> list[dict[str, Any]] | None:
        """The next batch, or None when stopping interrupted the long poll."""
        poll = asyncio.create_task(self._fetch())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not poll.done():
            poll.cancel()  # nothing read in this round is lost: its offset was never confirmed
            return None
        return poll.result()

    async def _fetch(self) -> list[dict[str, Any]]:
        method = RawGetUpdates(offset=self.offset, timeout=self.timeout, allowed_updates=ALLOWED_UPDATES)
        # GetUpdates is declared to return list[Update]; this subclass's __returning__ keeps the JSON,
        # which aiogram's types cannot say.
        raw: list[dict[str, Any]] = await self.bot(method, request_timeout=self.timeout + 30)  # type: ignore[arg-type]
        return raw

    async def accept(self, arrivals: list[Arrived], last: int, stop: asyncio.Event | None = None) -> None:
        """Commits the batch, then moves the offset past its last update (given-up ones included)."""
        delay = 0.5
        while not await self._commit(arrivals):
            # Not committed: the offset stays, so Telegram will hand the batch over again anyway.
            if stop is not None and stop.is_set():
                return
            await asyncio.sleep(delay)
            delay = min(self.backoff_max, delay * 2)
        self.offset = last + 1
        for a in arrivals:
            if a.callback_query_id:
                asyncio.create_task(self.out.answer_callback(a.callback_query_id))

    async def _commit(self, arrivals: list[Arrived]) -> bool:
        """True once each arrival is committed or given up. One is given up when the database refuses
        its data, or when it fails alone while others commit; when all fail otherwise, the database
        is at fault and all wait."""
        try:
            await commit(self.runtime, arrivals)
            self.committing.ok()
            return True
        except Exception as exc:
            self.committing.failed(exc)
        failed: list[tuple[Arrived, Exception]] = []
        for a in arrivals:
            try:
                await commit(self.runtime, [a])  # the ones committed before are skipped as seen
            except Exception as exc:
                failed.append((a, exc))
        if len(failed) == len(arrivals) and not all(refuses_the_data(why) for _, why in failed):
            return False
        for a, why in failed:
            _count_given_up("uncommittable", a.update_id, why)
        return True

    async def _confirm(self) -> None:
        """On a clean stop, tell Telegram what is committed so a restart does not read it again."""
        if self.offset is None:
            return
        try:
            await self.bot(GetUpdates(offset=self.offset, timeout=0, limit=1), request_timeout=10)
        except Exception as exc:  # the inbox would skip the re-read ones anyway
            log.info("final offset not confirmed: %s", exc)
