"""The durable inbox: what arrives is committed before the messenger is told, then handled.

A channel calls `accept()` and answers its messenger only after it returns. The
worker claims rows so that one chat's messages are handled one at a time and in
order, while different chats go in parallel (and across processes on PostgreSQL).
A row seen twice (the messenger's redelivery) is stored once and handled once.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import functools
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import (
    String,
    Table,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.core.messages import Incoming
from bot.queues import worker
from bot.queues.claims import CLAIM_SECONDS, Claims, Database, claim_until
from bot.queues.group_commit import GroupCommit, ItemFailed
from bot.queues.outbox import FOR_CLAIM
from bot.queues.shards import ALONE, Shard
from bot.supervisor import FailureStreak, Heartbeat
from db import direct
from db.base import utcnow
from db.direct import DirectStatement
from db.models import InboxStatus, InboxUpdate
from db.session import is_postgres
from db.statements import built_once, dialect_name, ignoring_insert, insert_or_ignore

if TYPE_CHECKING:
    from bot.queues.outbox import Job, OutboxSender
    from bot.queues.replies import InboxConversation

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# One update's handling may take this long; past it, it fails like any error (tried again, then
# apologized for): a handler that hangs must not hold its chat, or a SQLite writer, for ever.
HANDLE_SECONDS = 120.0
__all__ = ["CLAIM_SECONDS", "InboxWorker", "accept", "chat_key", "store", "store_born"]


class Accepting(Database, Protocol):
    """What accepting an update needs of the running process (bot/runtime.py has it)."""

    @property
    def inbox_worker(self) -> InboxWorker | None: ...


class InboxHost(Database, Protocol):
    """What the worker needs of the running process (bot/runtime.py has it)."""

    @property
    def conversation(self) -> InboxConversation: ...

    @property
    def sender(self) -> OutboxSender | None: ...

    def wake_sender(self) -> None: ...


def chat_key(incoming: Incoming) -> str:
    return f"{incoming.channel.value}:{incoming.chat_id}"


# Built once per dialect, on the table (Core, not the ORM's bulk path): the webhook's hot path pays for
# the parameters only.
_STORE = {
    name: ignoring_insert(name, InboxUpdate, ["channel", "external_id"], "id")
    for name in ("postgresql", "sqlite")
}

# The class of PostgreSQL's advisory locks that the born-claimed insert takes per chat (any constant
# no other part of Ustaz uses).
CHAT_LOCK_CLASS = 0x757A  # "uz"


def _born_statement(dialect: str, born_status: InboxStatus = InboxStatus.processing) -> DirectStatement:
    """The row inserted already claimed by this process when its chat has nothing unfinished (so the
    caller may handle it at once, with no claim query), else inserted as new for the worker.

    With `born_status` done, a row born free is inserted done (no claim, processed now) by a caller
    that handles it in this same transaction (InboxWorker.handle_arriving): if the handling fails,
    the rollback takes the row with it, so "done" is never seen without its replies.

    On PostgreSQL, two processes inserting one chat's updates at once would each see no unfinished row
    of the other (not committed yet): a per-chat advisory lock, held to the commit, lets only one of
    them be born claimed; if it is busy, the row is new and waits its turn behind the other.
    """
    t: Table = InboxUpdate.__table__  # type: ignore[assignment]
    earlier = t.alias("earlier")
    free: Any = ~exists().where(
        earlier.c.chat_key == bindparam("chat_key", type_=t.c.chat_key.type),
        # Two plain parameters: a list would be an "expanding" IN, whose SQL is rewritten at each execution.
        earlier.c.status.in_(
            [literal(InboxStatus.new, t.c.status.type), literal(InboxStatus.processing, t.c.status.type)]
        ),
    )
    if dialect == "postgresql":
        locked = func.pg_try_advisory_xact_lock(
            CHAT_LOCK_CLASS, func.hashtext(bindparam("chat_key", type_=t.c.chat_key.type))
        )
        free = and_(locked, free)
    probe = select(free.label("free")).subquery("probe")
    born = probe.c.free
    status = t.c.status.type

    def given(name: str) -> Any:
        return bindparam(name, type_=t.c[name].type)

    if born_status == InboxStatus.done:
        held = {"processed_at": case((born, given("received_at")), else_=null())}  # done as it arrives
    else:
        held = {
            "claimed_by": case((born, bindparam("me", type_=t.c.claimed_by.type)), else_=null()),
            "claimed_until": case((born, bindparam("until", type_=t.c.claimed_until.type)), else_=null()),
        }
    # Each column with what it gets, in one mapping: the INSERT's column list and its SELECT's values.
    inserted = {
        **{name: given(name) for name in ("channel", "external_id", "chat_key", "payload")},
        "status": case((born, literal(born_status, status)), else_=literal(InboxStatus.new, status)),
        "attempts": case((born, 1), else_=0),
        "received_at": given("received_at"),
        **held,
    }
    rows = (
        select(*inserted.values())
        .select_from(probe)
        .where(true())  # SQLite: INSERT ... SELECT needs a WHERE before ON CONFLICT
    )
    # Compiled once and run past SQLAlchemy's execution on SQLite (db/direct.py); through SQLAlchemy,
    # built once so that its compiled form is cached (db/statements.built_once).
    return DirectStatement(
        built_once(
            insert_or_ignore(dialect, t, ["channel", "external_id"])  # the table: a Core statement, no ORM
            .from_select(list(inserted), rows)
            .returning(t.c.id, t.c.status)
        )
    )


_BORN = {name: _born_statement(name) for name in ("postgresql", "sqlite")}
# SQLite's arriving path: stored, handled and committed in one transaction (InboxWorker.handle_arriving).
_BORN_DONE = _born_statement("sqlite", InboxStatus.done)


async def store_born(
    session: AsyncSession, incoming: Incoming, external_id: str, worker: InboxWorker
) -> tuple[int, bool] | None:
    """Like `store`, but the row is born claimed by `worker` when its chat has nothing unfinished:
    returns (row id, born), or None when the row was already there."""
    claim = {"me": worker.worker_id, "until": claim_until()}
    return await _insert_born(session, incoming, external_id, _BORN[dialect_name(session)], claim)


async def _store_born_done(
    session: AsyncSession, incoming: Incoming, external_id: str
) -> tuple[int, bool] | None:
    """SQLite, in a transaction that handles the row before it commits: like `store_born`, but a row
    born free is born done, and the caller handles the `incoming` it holds (no second statement to mark
    the row done, no payload read back)."""
    return await _insert_born(session, incoming, external_id, _BORN_DONE, {}, InboxStatus.done)


async def _insert_born(
    session: AsyncSession,
    incoming: Incoming,
    external_id: str,
    statement: Any,
    claim: dict[str, Any],
    born_status: InboxStatus = InboxStatus.processing,
) -> tuple[int, bool] | None:
    values = _values(incoming, external_id) | claim
    del values["status"], values["attempts"]  # the statement sets them, by whether the row is born free
    # A Core statement, no ORM state to flush first: past the session's per-statement ORM checks.
    rows = await direct.execute(session, statement, values)
    if not rows:
        row_id = await store(session, incoming, external_id)  # seen before, or renamed if long ago
        return None if row_id is None else (row_id, False)
    [(row_id, status)] = rows
    return int(row_id), status == born_status


# Messengers redeliver within hours (Telegram keeps an update for 24 h), and Telegram may start its
# update_ids over after a quiet week: an id seen longer ago than this is a new update, not a redelivery.
REDELIVERY_WINDOW = dt.timedelta(hours=48)


async def store(session: AsyncSession, incoming: Incoming, external_id: str) -> int | None:
    """Inserts the row in the caller's transaction; returns None when it was already there."""
    stmt = _STORE[dialect_name(session)]
    row_id: int | None = await session.scalar(stmt, _values(incoming, external_id))
    if row_id is not None:
        return row_id
    # The old row keeps its history under a name no messenger uses; no migration needed.
    renamed = await session.scalar(
        update(InboxUpdate)
        .where(
            InboxUpdate.channel == incoming.channel,
            InboxUpdate.external_id == external_id,
            InboxUpdate.received_at < utcnow() - REDELIVERY_WINDOW,
        )
        .values(external_id=InboxUpdate.external_id + "~" + cast(InboxUpdate.id, String))
        .returning(InboxUpdate.id)
        .execution_options(synchronize_session=False)
    )
    if renamed is None:
        return None
    log.info(
        "%s %s was last seen over %s ago: a new one", incoming.channel.value, external_id, REDELIVERY_WINDOW
    )
    new_id: int | None = await session.scalar(stmt, _values(incoming, external_id))
    return new_id


def _values(incoming: Incoming, external_id: str) -> dict[str, Any]:
    return {
        "channel": incoming.channel,
        "external_id": external_id,
        "chat_key": chat_key(incoming),
        "payload": incoming.to_json(),
        "status": InboxStatus.new,
        "attempts": 0,
        "received_at": utcnow(),
    }


async def accept(runtime: Accepting, incoming: Incoming, external_id: str) -> bool:
    """Commits what arrived; True if it is new. Call before answering the messenger."""
    worker = runtime.inbox_worker
    async with runtime.writing(), runtime.sessions() as session, session.begin():
        row_id = await store(session, incoming, external_id)
        if row_id is not None and worker is not None:
            await worker.shard.tell_owners(session, [chat_key(incoming)])
    if row_id is not None and worker is not None and worker.shard.owns(chat_key(incoming)):
        worker.wake()
    return row_id is not None


_INBOX: Table = InboxUpdate.__table__  # type: ignore[assignment]

# The row, if still this worker's to handle, marked done and returned (built once: the hot path; on the
# table, so that SQLAlchemy runs it as Core, without the ORM's bulk-update machinery).
_MARK_DONE = (
    update(_INBOX)
    .where(
        _INBOX.c.id == bindparam("row_id"),
        _INBOX.c.claimed_by == bindparam("me"),
        _INBOX.c.status == InboxStatus.processing,
    )
    .values(status=InboxStatus.done, processed_at=bindparam("now"), claimed_by=None)
    .returning(_INBOX.c.payload, _INBOX.c.attempts)
)


@dataclass
class _Arriving:
    """An arriving update on its way through a shared handling transaction, and what became of it."""

    external_id: str
    given: Incoming
    prepare: Callable[[AsyncSession, Incoming], Awaitable[Incoming]] | None
    incoming: Incoming = field(init=False)  # as prepared (a quiz's answer names the quiz's own ref)
    born: bool | None = None  # None: a duplicate; True: handled; False: waiting behind its chat's rows
    handed: list[Job] = field(default_factory=list)  # replies born claimed, for the sender after commit
    for_claim: bool = False  # outbox rows written for the sender's claim

    def __post_init__(self) -> None:
        self.incoming = self.given


class InboxWorker:
    """Claims due rows (the first unfinished one of each chat) and handles them.

    SQLite has one writer, so a claimed batch is handled in one transaction, one row
    after another (a failing row sends the batch back to one transaction a row). On
    PostgreSQL rows go in parallel, each in its own transaction holding its row's lock.
    The replies a transaction wrote are born claimed by this process's sender and handed
    to it right after the commit.
    """

    def __init__(
        self, runtime: InboxHost, batch: int = 100, concurrency: int = 32, shard: Shard = ALONE
    ) -> None:
        self.runtime = runtime
        self.shard = shard  # the chats this process owns (bot/queues/shards.py)
        self.batch = batch
        # SQLite has one writer: parallel handlers would only wait for each other.
        self.concurrency = asyncio.Semaphore(1 if runtime.is_sqlite else concurrency)
        self.worker_id = f"in-{uuid.uuid4().hex[:12]}"
        self.claims = Claims(InboxUpdate, self.worker_id)
        self.limit = concurrency
        self._running: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self.heartbeat = Heartbeat()
        self._orphans_released = False
        self.failures = FailureStreak("the inbox worker", log)
        # Rows born claimed, handled by the task that committed them (the webhook's): how many, and
        # of which chats; a chat that got a new row meanwhile wakes the worker when its turn comes.
        # On SQLite they take turns (one writer) in arrival order, which costs less CPU than the worker's
        # claim query and keeps the worker's rows from queueing behind them for the write turn (p99):
        # room for every connection Telegram opens to a webhook (40 by default, 100 at most).
        self.born_limit = 100 if runtime.is_sqlite else concurrency
        self._born = 0
        self._born_chats: collections.Counter[str] = collections.Counter()
        self._queued_behind: set[str] = set()
        # SQLite: arriving updates that wait for the write turn meanwhile share the next handling
        # transaction (handle_arriving), one commit for them all.
        self._arriving: GroupCommit[_Arriving] = GroupCommit(self._handle_arriving_together, runtime.writing)

    def wake(self) -> None:
        self._wake.set()

    def room(self) -> int:
        """How many newly arriving rows may be born claimed and handled by their arriving tasks."""
        return self.born_limit - self._born

    def took(self, row_id: int, key: str, born: bool) -> None:
        """Called right after the commit that stored a row (no await in between, so the claim's
        heartbeat covers a born row from the start)."""
        if born:
            self._born += 1
            self._born_chats[key] += 1
            self.claims.held.add(row_id)
        elif key in self._born_chats:
            self._queued_behind.add(key)

    def rows_waiting(self, keys: Iterable[str]) -> None:
        """Rows of these chats, which this process owns, wait for its claim; another process may be
        handling an earlier row of one of them, as it came to it (bot/queues/shards.py)."""
        self.shard.waiting(keys)
        self._queued_behind.update(k for k in keys if k in self._born_chats)
        self.wake()

    def done_elsewhere(self, key: str) -> None:
        """Another process finished a row of this chat, which this one owns: claim what waits behind."""
        if self.shard.freed(key):
            self.wake()

    async def handle_born(self, row_id: int, key: str) -> None:
        """Handles a row born claimed by this worker, as a claimed one is; never raises."""
        try:
            await self._process(row_id)
        finally:
            self._born -= 1
            self.claims.drop([row_id])
            self._born_chats[key] -= 1
            if self._born_chats[key] <= 0:
                del self._born_chats[key]
                if key in self._queued_behind:
                    self._queued_behind.discard(key)
                    self.wake()  # that chat's next row is no longer blocked

    @contextlib.asynccontextmanager
    async def _handling(self) -> AsyncIterator[AsyncSession]:
        """A handling transaction: within the time limit, in the write turn, committed on success."""
        async with asyncio.timeout(HANDLE_SECONDS), self.runtime.writing(), self._transaction() as session:
            yield session

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        """A handling transaction, committed on success; the caller holds the write turn.

        On SQLite it also carries the sender's results waiting to be recorded (a reply's message id,
        a part sent): they would otherwise wait for this write turn to end and then take a commit of
        their own, which under load is nearly one commit more per update."""
        carried = None
        runtime = self.runtime
        async with runtime.sessions() as session:
            try:
                async with session.begin():
                    yield session
                    sender = runtime.sender
                    if runtime.is_sqlite and sender is not None:
                        carried = await sender.carry_records(session)
            except BaseException:
                if carried is not None:
                    carried.failed()  # the sender's own writer records them
                raise
        if carried is not None:
            carried.committed()

    def handles_arriving(self) -> bool:
        """Whether an arriving update may be stored and handled in one transaction (handle_arriving)."""
        return self.runtime.is_sqlite and self.room() > 0

    async def handle_arriving(
        self,
        external_id: str,
        incoming: Incoming,
        prepare: Callable[[AsyncSession, Incoming], Awaitable[Incoming]] | None = None,
    ) -> bool | None:
        """SQLite: stores an arriving update and, when its chat has nothing unfinished, handles it, all in
        one transaction, committed before the messenger is answered. Returns True when it was new and is
        stored (handled, or waiting its turn behind its chat's earlier rows), None when it was a
        duplicate; raises when nothing was kept, and the caller stores it as usual.

        One transaction instead of two (store, then handle): SQLite has one writer, held by this
        transaction from the insert to the commit, so no other task can see the row half done or take
        the chat's next row before it; a crash before the commit leaves nothing, and the messenger,
        unanswered, delivers the update again. Updates that arrive while the writer is busy share the
        next such transaction, one after another in arrival order (`_handle_arriving_together`)."""
        arriving = _Arriving(external_id, incoming, prepare)
        self._born += 1  # counts against room(), as a row born claimed does
        try:
            await self._arriving.add(arriving)
        finally:
            self._born -= 1
        if arriving.born is None:
            return None
        if arriving.born:
            self._hand_over(arriving.handed, arriving.for_claim)
        else:
            # Its chat's earlier rows first: the worker takes it in turn, woken again when a row of that
            # chat handled by its arriving task (while this path had no room) is done.
            self.rows_waiting([chat_key(arriving.incoming)])
        return True

    async def _handle_arriving_together(self, batch: list[_Arriving]) -> None:
        """Arriving updates stored and handled one after another in one transaction, one commit for
        them all (the write turn is held). Each has its own time limit; one that fails or runs out of
        time rolls the transaction back and is named (ItemFailed), and the others go again without it:
        its caller stores it for the worker's tries, as when it arrived alone."""
        async with asyncio.timeout(None) as limit, self._transaction() as session:
            for index, arriving in enumerate(batch):
                try:
                    async with asyncio.timeout(HANDLE_SECONDS):
                        await self._store_and_handle(session, arriving)
                except Exception as exc:
                    raise ItemFailed(index, exc) from exc
            limit.reschedule(asyncio.get_running_loop().time() + HANDLE_SECONDS)  # and the commit

    async def _store_and_handle(self, session: AsyncSession, arriving: _Arriving) -> None:
        arriving.handed, arriving.born, arriving.for_claim = [], None, False  # a batch may go again
        incoming = arriving.given
        if arriving.prepare is not None:
            incoming = await arriving.prepare(session, incoming)
        arriving.incoming = incoming
        got = await _store_born_done(session, incoming, arriving.external_id)
        if got is None:
            return
        arriving.born = got[1]
        if arriving.born:  # stored done: handled here, or rolled back with it
            await self.runtime.conversation.handle(session, incoming, arriving.handed)
            arriving.for_claim = session.info.pop(FOR_CLAIM, False)

    async def run(self, stop: asyncio.Event, idle_seconds: float = 1.0) -> None:
        if not self._orphans_released:  # once: a restarted loop must not free rows its own tasks hold
            await self.release_orphans()
            self._orphans_released = True
        heartbeat = asyncio.create_task(self.claims.heartbeat(self.runtime, stop))
        one_round = self.process_once if self.runtime.is_sqlite else self._start_more
        try:
            await worker.rounds(stop, self._wake, one_round, idle_seconds, self.heartbeat, self.failures)
        finally:
            await asyncio.gather(*self._running, return_exceptions=True)
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)

    async def waiting(self) -> int:
        """Updates that could be handled now (for the health check of a quiet worker)."""
        async with self.runtime.sessions() as session:
            return int(
                await session.scalar(
                    select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == InboxStatus.new)
                )
                or 0
            )

    async def _start_more(self) -> int:
        """PostgreSQL: rows start as soon as there is room, not when the whole previous batch is done."""
        room = self.limit - len(self._running)
        if room <= 0:
            return 0  # a finishing row wakes the loop
        ids = self.claims.take(await self._claim(room))
        for row_id in ids:
            task = asyncio.create_task(self._process(row_id))
            self._running.add(task)
            task.add_done_callback(functools.partial(self._finished, row_id=row_id))
        return len(ids)

    def _finished(self, task: asyncio.Task[None], row_id: int) -> None:
        self._running.discard(task)
        self.claims.drop([row_id])
        self._wake.set()  # room for the next row, and this chat's next row is no longer blocked

    async def release_orphans(self) -> int:
        return await self.claims.release_orphans(self.runtime, InboxStatus.processing, InboxStatus.new)

    async def process_once(self) -> int:
        ids = self.claims.take(await self._claim())
        if not ids:
            return 0
        try:
            if self.runtime.is_sqlite and len(ids) > 1 and await self._process_together(ids):
                return len(ids)
            await asyncio.gather(*(self._process(row_id) for row_id in ids))
        finally:
            self.claims.drop(ids)
        return len(ids)

    async def drain(self) -> None:
        """Handles everything waiting, including what handling it produces (for tests and the CLI)."""
        while await self.process_once():
            pass

    async def _claim(self, limit: int | None = None) -> list[int]:
        now = utcnow()
        earlier = aliased(InboxUpdate)
        claimable = or_(
            InboxUpdate.status == InboxStatus.new,
            and_(InboxUpdate.status == InboxStatus.processing, InboxUpdate.claimed_until < now),
        )
        # A row waits while an earlier row of its chat is unfinished: one chat, one at a time, in order.
        blocked = exists().where(
            earlier.chat_key == InboxUpdate.chat_key,
            earlier.id < InboxUpdate.id,
            earlier.status.in_([InboxStatus.new, InboxStatus.processing]),
        )
        async with self.runtime.writing(), self.runtime.sessions() as session, session.begin():
            due = (
                select(InboxUpdate.id)
                .where(claimable, ~blocked, *self.shard.inbox_rows(now))
                .order_by(InboxUpdate.id)
                .limit(limit or self.batch)
            )
            if is_postgres(session):
                due = due.with_for_update(skip_locked=True)
            result = await session.execute(
                update(InboxUpdate)
                .where(InboxUpdate.id.in_(due.scalar_subquery()))
                .values(
                    status=InboxStatus.processing,
                    claimed_by=self.worker_id,
                    claimed_until=claim_until(now),
                    attempts=InboxUpdate.attempts + 1,
                )
                .returning(InboxUpdate.id)
                .execution_options(synchronize_session=False)
            )
            return sorted(r[0] for r in result)

    async def _process_together(self, ids: list[int]) -> bool:
        """SQLite: the whole batch (one row per chat) in one transaction; False if any row failed."""
        handed: list[Job] = []
        try:
            async with self._handling() as session:
                for row_id in ids:
                    await self._apply(session, row_id, handed)
        except Exception:
            log.info("a batch of %d inbox rows failed: handling them one by one", len(ids), exc_info=True)
            return False
        self._hand_over(handed, session.info.pop(FOR_CLAIM, False))
        return True

    async def _process(self, row_id: int) -> None:
        async with self.concurrency:
            handed: list[Job] = []
            for_claim = True  # unless the transaction is known to have written no other outbox rows
            try:
                async with self._handling() as session:
                    await self._apply(session, row_id, handed)
                for_claim = session.info.pop(FOR_CLAIM, False)
            except Exception as exc:
                log.exception("handling inbox row %s failed", row_id)
                await self._failed(row_id, exc)
            self._hand_over(handed, for_claim)

    async def _apply(self, session: AsyncSession, row_id: int, handed: list[Job]) -> None:
        # One statement marks the row done and returns it, as the transaction's first write: the
        # row stays locked until the commit (PostgreSQL), so no other worker can take it meanwhile
        # even if this worker stalled past its claim; if handling fails, the rollback undoes "done".
        conn = await session.connection()  # a Core statement: past the session's ORM checks
        row = (
            await conn.execute(_MARK_DONE, {"row_id": row_id, "me": self.worker_id, "now": utcnow()})
        ).first()
        if row is None:
            return
        incoming = Incoming.from_json(row.payload)
        if row.attempts > MAX_ATTEMPTS:
            # Claimed that often and never finished: the process died handling it each time (an
            # update that crashes it, or kills it by memory). It is given up, not tried for ever.
            await session.execute(
                update(InboxUpdate)
                .where(InboxUpdate.id == row_id)
                .values(
                    status=InboxStatus.failed,
                    error=f"given up: handling never finished in {MAX_ATTEMPTS} tries",
                )
            )
            log.error("inbox row %s given up: handling never finished in %d tries", row_id, MAX_ATTEMPTS)
            await self.runtime.conversation.apologize(session, incoming)
            return
        await self.runtime.conversation.handle(session, incoming, handed)

    def _hand_over(self, handed: list[Job], for_claim: bool) -> None:
        """Replies born claimed go straight to the sender; other rows written wait for its claim."""
        if handed and self.runtime.sender is not None:
            self.runtime.sender.hand_over(handed)
        if for_claim:
            self.runtime.wake_sender()

    async def _failed(self, row_id: int, exc: Exception) -> None:
        """Keeps the row (nothing is lost) and tells the person something went wrong."""
        async with self.runtime.writing(), self.runtime.sessions() as session, session.begin():
            row = await session.scalar(
                select(InboxUpdate)
                .where(InboxUpdate.id == row_id, InboxUpdate.claimed_by == self.worker_id)
                .with_for_update()
            )
            if row is None:
                return
            row.error = repr(exc)[:2000]
            row.claimed_by = None
            if row.attempts < MAX_ATTEMPTS:
                row.status = InboxStatus.new  # tried again on the next round
                return
            row.status = InboxStatus.failed
            await self.runtime.conversation.apologize(session, Incoming.from_json(row.payload))
