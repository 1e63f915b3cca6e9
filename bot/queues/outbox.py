"""The durable outbox: every message Ustaz sends is a row first, then delivered by the sender.

The sender claims due rows atomically (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite
serializes writers), hands each to its channel's ChannelSender, and records the result.
Each channel plugs its own rate limits into its ChannelSender. Rows of one chat are
delivered in order; different chats go in parallel.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import datetime as dt
import functools
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast, runtime_checkable

from sqlalchemy import (
    Executable,
    Select,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.core.messages import Reply
from bot.i18n import pick_locale
from bot.ops.metrics import OUTBOX_RESULTS
from bot.queues import worker
from bot.queues.claims import Claims, Database, claim_until
from bot.queues.group_commit import Carried, GroupCommit
from bot.queues.shards import ALONE, Shard
from bot.supervisor import FailureStreak, Heartbeat
from db import direct
from db.base import utcnow
from db.direct import DirectStatement
from db.models import Channel, MessengerAccount, OutboxMessage, OutboxPayload, OutboxStatus, Person
from db.models.messaging import DEDUPED
from db.session import is_postgres, rowcount
from db.statements import insert_or_ignore

log = logging.getLogger(__name__)

REPLY_PRIORITY = 10
REMINDER_KIND = "reminder"  # deadline and lesson reminders, made in bulk by enqueue_from_select
MAX_ATTEMPTS = 8


# On the table: a Core insert, not the ORM's bulk path (which inspects the statement on every call).
_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
_INSERT = DirectStatement(insert(_OUTBOX).returning(_OUTBOX.c.id))  # run by SQLite's driver directly


def _new_row(
    kind: str, priority: int, not_before: dt.datetime | None, created_at: dt.datetime | None = None
) -> dict[str, Any]:
    """What every new outbox row starts with, whichever entry it comes by: pending, never tried."""
    now = utcnow()
    return dict(
        kind=kind,
        priority=priority,
        status=OutboxStatus.pending,
        not_before=not_before or now,
        created_at=created_at or now,
        attempts=0,
        parts_done=0,
    )


async def enqueue(
    session: AsyncSession,
    reply: Reply,
    *,
    person_id: int | None = None,
    account_id: int | None = None,
    kind: str = "notice",
    priority: int = 0,
    not_before: dt.datetime | None = None,
    dedupe_key: str | None = None,
    template_vars: dict[str, Any] | None = None,
    claimed_by: str | None = None,
) -> int | None:
    """Adds a message to the outbox in the caller's transaction.

    With a dedupe_key, a second enqueue of the same key is ignored and returns None.
    With claimed_by, the row is born claimed by that sender, which takes it after the commit.
    """
    if person_id is None and account_id is None:
        raise ValueError("an outbox message needs a person or an account")
    values = _new_row(kind, priority, not_before) | dict(
        person_id=person_id,
        account_id=account_id,
        payload=reply.to_json(),
        template_vars=template_vars,
        claimed_by=claimed_by,
        claimed_until=claim_until() if claimed_by else None,
        dedupe_key=dedupe_key,
    )
    if claimed_by:
        values["status"] = OutboxStatus.sending
    else:
        session.info[FOR_CLAIM] = True
    if dedupe_key is None:
        # A Core insert built once, not an ORM object: no unit of work to flush on the replies' hot path,
        # and compiled once and run past SQLAlchemy's execution on SQLite (db/direct.py).
        [(new_id,)] = await direct.execute(session, _INSERT, values)
        return int(new_id)
    stmt = (
        insert_or_ignore(session, OutboxMessage, ["dedupe_key"], DEDUPED)
        .values(**values)
        .returning(OutboxMessage.id)
    )
    kept_id: int | None = await session.scalar(stmt)
    return kept_id


# What a bulk producer's SELECT names: the person, either the message itself (payload and
# template_vars) or a shared one (payload_id, from share_payloads), and dedupe_key (NULL: none).
BULK_COLUMNS = ("person_id", "payload", "template_vars", "payload_id", "dedupe_key")


async def share_payloads(
    session: AsyncSession, messages: Sequence[tuple[Reply | dict[str, Any], dict[str, Any] | None]]
) -> list[int]:
    """Stores rendered messages (a Reply or its JSON, and template variables) once each; returns their ids.

    Bulk rows name them by payload_id (enqueue_from_select) instead of carrying a copy each.
    """
    if not messages:
        return []
    now = utcnow()
    rows = [
        {"payload": m.to_json() if isinstance(m, Reply) else m, "template_vars": v, "created_at": now}
        for m, v in messages
    ]
    table = cast(Table, OutboxPayload.__table__)
    if is_postgres(session):  # one round trip, ids in the order given
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list((await session.scalars(stmt, rows)).all())
    return [
        (await session.execute(insert(table).values(row).returning(table.c.id))).scalar_one() for row in rows
    ]


async def enqueue_from_select(
    session: AsyncSession,
    rows: Select[Any],
    *,
    kind: str,
    priority: int = 0,
    not_before: dt.datetime | None = None,
    created_at: dt.datetime | None = None,
    dedupe: bool = True,
) -> int:
    """Adds one message per row of `rows`, in the caller's transaction, by one INSERT ... SELECT.

    For producers of thousands of rows at once (reminders: a million in one wave), where
    enqueue() row by row would be far too slow. `rows` names person_id and either payload_id
    (a message stored once by share_payloads: the row stays small) or payload (a Reply's
    JSON) with template_vars, and dedupe_key: a row whose key is already in the outbox is
    skipped, as with enqueue() (NULL: never). dedupe=False: the producer guarantees each row
    once itself, the rows name no dedupe_key, and the insert checks for none (a plain INSERT).
    Returns how many rows were added.

    Copied template variables are kept only for people with a WhatsApp account, the one channel
    that uses them (outside its 24-hour window): a million copies nobody can use add up.
    """
    src = rows.subquery("bulk")
    missing = [name for name in ("person_id", "dedupe_key")[: 2 if dedupe else 1] if name not in src.c]
    if not ("payload_id" in src.c or {"payload", "template_vars"} <= set(src.c.keys())):
        missing.append("payload_id (or payload and template_vars)")
    if missing:
        raise ValueError(f"the outbox rows' SELECT does not name {', '.join(missing)}")
    table = OutboxMessage.__table__.c
    # The same for every row: bound once, each with its column's own type (enum, UTC datetime).
    constants = {
        name: literal(value, table[name].type)
        for name, value in _new_row(kind, priority, not_before, created_at).items()
    }
    values: dict[str, Any] = constants | {name: src.c[name] for name in BULK_COLUMNS if name in src.c}
    if "template_vars" in src.c:
        has_whatsapp = exists().where(
            MessengerAccount.person_id == src.c.person_id, MessengerAccount.channel == Channel.whatsapp
        )
        values["template_vars"] = case((has_whatsapp, src.c.template_vars))
    # WHERE true: SQLite cannot tell an INSERT ... SELECT's ON CONFLICT from a join's ON without it.
    copy = select(*values.values()).select_from(src).where(true())
    stmt: Executable = (
        insert_or_ignore(session, OutboxMessage, ["dedupe_key"], DEDUPED).from_select(list(values), copy)
        if dedupe
        else insert(OutboxMessage).from_select(list(values), copy)
    )
    added = max(rowcount(await session.execute(stmt)), 0)
    if added:
        session.info[FOR_CLAIM] = True
    return added


# Set in a session's info when its transaction wrote outbox rows no sender holds: once it commits,
# the sender should be woken to claim them (rows born claimed are handed over instead).
FOR_CLAIM = "outbox rows for claiming"


# -- what a channel reports back ---------------------------------------------------
@dataclass(frozen=True)
class Sent:
    external_id: str | None = None


@dataclass(frozen=True)
class RetryLater:
    seconds: float
    error: str = ""


@dataclass(frozen=True)
class Unreachable:
    """This account cannot be reached (blocked the bot, number gone): try the person's others."""

    error: str = ""


@dataclass(frozen=True)
class Failed:
    error: str
    code: str | None = None


@dataclass(frozen=True)
class NeedsTemplate:
    """WhatsApp: outside the 24-hour window and no approved template for this kind."""

    error: str = ""


DeliveryResult = Sent | RetryLater | Unreachable | Failed | NeedsTemplate


@dataclass(frozen=True)
class Delivery:
    """A snapshot of one outbox row and its target account, free of any DB session."""

    outbox_id: int
    kind: str
    person_id: int | None
    account_id: int
    channel: Channel
    address: str
    locale: str
    reply: Reply
    template_vars: dict[str, Any] | None
    last_inbound_at: dt.datetime | None
    attempts: int
    parts_done: int = 0  # parts an earlier attempt sent: start after them
    # Called after each part the messenger acknowledged, before the next goes; with the row's
    # Sent after the last one. It returns once that is committed.
    progress: Progress | None = None


class Progress(Protocol):
    async def __call__(self, parts_done: int, sent: Sent | None = None) -> None: ...


class ChannelSender(Protocol):
    channel: Channel

    async def deliver(self, delivery: Delivery) -> DeliveryResult: ...


@dataclass(frozen=True, slots=True)
class Target:
    """An account a row may go to, with what a Delivery needs of it and its person."""

    account_id: int
    person_id: int | None
    channel: Channel
    address: str
    locale: str
    last_inbound_at: dt.datetime | None


@dataclass(slots=True)
class Job:
    """A claimed row and the accounts to try, best first."""

    outbox_id: int
    account_id: int | None
    person_id: int | None
    kind: str
    # The message as stored, or the Reply itself when the transaction that wrote the row hands it over
    # (reply_job): the conversation is done with it, and reading it back from JSON would cost more.
    payload: dict[str, Any] | Reply
    template_vars: dict[str, Any] | None
    attempts: int
    parts_done: int
    targets: list[Target]

    @property
    def chat(self) -> Any:
        return self.account_id or ("person", self.person_id)


@dataclass(frozen=True, slots=True)
class Outcome:
    job: Job
    result: DeliveryResult
    account_id: int | None = None
    recorded: bool = False  # committed already, as the channel reported its last part


_CLAIMED = (
    OutboxMessage.id,
    OutboxMessage.account_id,
    OutboxMessage.person_id,
    OutboxMessage.kind,
    OutboxMessage.payload,
    OutboxMessage.template_vars,
    OutboxMessage.payload_id,
    OutboxMessage.attempts,
    OutboxMessage.parts_done,
)


class ChatQueues:
    """Each chat's claimed rows in id order, and at most one task delivering them, one after another."""

    def __init__(self) -> None:
        self.waiting: dict[Any, list[tuple[Job, set[int]]]] = {}
        self.tasks: dict[Any, asyncio.Task[None]] = {}

    def add(self, job: Job, dead: set[int]) -> bool:
        """Queues a row behind its chat's others; True when the chat has no task yet."""
        rows = self.waiting.setdefault(job.chat, [])
        bisect.insort(rows, (job, dead), key=lambda r: r[0].outbox_id)
        return job.chat not in self.tasks

    def next(self, chat: Any) -> tuple[Job, set[int]] | None:
        rows = self.waiting.get(chat)
        if not rows:
            self.waiting.pop(chat, None)
            return None
        return rows.pop(0)


@runtime_checkable
class Paced(Protocol):
    """A ChannelSender that can tell how long a chat is in cooldown, so that it waits off the workers."""

    async def ready_in(self, address: str) -> float: ...


@functools.cache
def _paced(kind: type) -> bool:
    """isinstance() against a runtime-checkable Protocol inspects the class every time: once per class."""
    return issubclass(kind, Paced)


class SenderHost(Database, Protocol):
    """What the sender needs of the running process (bot/runtime.py has it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def channel_senders(self) -> dict[Channel, ChannelSender]: ...


class OutboxSender:
    """Claims rows, resolves their targets in one query, delivers per chat, records in group commits.

    Rows of one chat go one after another, in id order; different chats go in parallel, and
    more rows are claimed while earlier ones are still going (no batch waits for its slowest chat).
    A reply the inbox wrote already claimed for this sender is handed over right after
    its commit (`hand_over`) and skips the claim.
    """

    def __init__(
        self, runtime: SenderHost, batch: int = 500, concurrency: int = 100, shard: Shard = ALONE
    ) -> None:
        self.runtime = runtime
        self.shard = shard  # the chats this process owns (bot/queues/shards.py)
        self.batch = batch
        self.concurrency = asyncio.Semaphore(concurrency)
        self.worker_id = f"out-{uuid.uuid4().hex[:12]}"
        self._record_statements: dict[tuple[str, ...], DirectStatement] = {}  # _write_rows's, by shape
        self.claims = Claims(OutboxMessage, self.worker_id)
        self._wake = asyncio.Event()
        self._chats = ChatQueues()
        # Results to record, (row id, new values): a part as it is answered, or a row's outcome.
        self._records: GroupCommit[tuple[int, dict[str, Any]]] = GroupCommit(
            self._write_rows, turn=runtime.writing
        )
        # Seconds from a messenger's answer to its durable record, the last ones (crash safety's window).
        self.answer_to_commit: collections.deque[float] = collections.deque(maxlen=10_000)
        self._held = 0  # rows claimed or handed over and not yet recorded
        self._done = 0  # rows finished since drain_once last counted them
        # Progress for the health check: a row finished, or nothing in hand. (The claiming loop's own
        # rounds go on while every send hangs, so they do not count.)
        self.heartbeat = Heartbeat()
        self._rounds = Heartbeat()
        self._orphans_released = False
        self.failures = FailureStreak("the outbox sender", log)

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event, idle_seconds: float = 1.0) -> None:
        if not self._orphans_released:  # once: a restarted loop must not free rows its own tasks hold
            await self.release_orphans()
            self._orphans_released = True
        heartbeat = asyncio.create_task(self.claims.heartbeat(self.runtime, stop))
        try:
            beat, failures = self._rounds, self.failures
            await worker.rounds(stop, self._wake, self._start_more, idle_seconds, beat, failures)
            await self._settled()
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)

    async def waiting(self) -> int:
        """Rows in hand or due now (for the health check of a quiet sender)."""
        async with self.runtime.sessions() as session:
            due = and_(OutboxMessage.status == OutboxStatus.pending, OutboxMessage.not_before <= utcnow())
            pending = await session.scalar(select(func.count()).select_from(OutboxMessage).where(due))
        return self._held + int(pending or 0)

    async def release_orphans(self) -> int:
        return await self.claims.release_orphans(self.runtime, OutboxStatus.sending, OutboxStatus.pending)

    # -- replies handed over by the inbox ---------------------------------------------------------

    def reply_claim(self, account: MessengerAccount) -> str | None:
        """The claim a reply row is written with when this sender can take it straight after commit."""
        if account.unreachable_at is None and account.channel in self.runtime.channel_senders:
            return self.worker_id
        return None

    def reply_job(self, outbox_id: int, account: MessengerAccount, reply: Reply, locale: str) -> Job:
        """The job of a reply row written with reply_claim(): to the account it answers, nowhere else."""
        target = Target(account.id, account.person_id, account.channel, account.address, locale,
                        account.last_inbound_at)  # fmt: skip
        return Job(outbox_id, account.id, None, "reply", reply, None, 0, 0, [target])

    def hand_over(self, jobs: Sequence[Job]) -> None:
        """Delivers rows committed already claimed for this sender: no claim round-trip, never twice."""
        self._queue(self._take(jobs), set())

    def _take(self, jobs: Sequence[Job]) -> list[Job]:
        fresh = set(self.claims.take([j.outbox_id for j in jobs]))
        return [j for j in jobs if j.outbox_id in fresh]

    # -- claimed from the database -----------------------------------------------------------------

    async def _start_more(self) -> int:
        """Claims while earlier rows are still going: no batch waits for its slowest chat.

        More is claimed once fewer than half a batch is held; a row that brings the count
        below half wakes the loop (one claim then, not one per finished row)."""
        if not self._held:
            self.heartbeat.beat()  # nothing in hand: nothing can be stuck
        room = self.batch - self._held
        if room < self.batch - self.batch // 2:
            return 0
        jobs = await self._claim(room)
        self._queue(jobs, set())
        return len(jobs)

    async def drain_once(self) -> int:
        """One whole round (tests, the CLI): what is in hand finishes, then a claimed batch goes.

        Returns the rows handled."""
        await self._settled()
        self._queue(await self._claim(self.batch), set())
        await self._settled()
        done, self._done = self._done, 0
        return done

    async def _settled(self) -> None:
        while self._chats.tasks:
            await asyncio.gather(*list(self._chats.tasks.values()), return_exceptions=True)

    def _queue(self, jobs: Sequence[Job], dead: set[int]) -> None:
        """Each row joins its chat's queue; a chat without a task gets one. `dead`: one claim's
        accounts found unreachable, shared by its rows."""
        for job in sorted(jobs, key=lambda j: j.outbox_id):
            self._held += 1
            if self._chats.add(job, dead):
                task = asyncio.create_task(self._deliver_chat(job.chat))
                self._chats.tasks[job.chat] = task

    async def _claim(self, limit: int) -> list[Job]:
        now = utcnow()
        async with self.runtime.writing(), self.runtime.sessions() as session, session.begin():
            due = (
                select(OutboxMessage.id)
                .where(
                    or_(
                        and_(OutboxMessage.status == OutboxStatus.pending, OutboxMessage.not_before <= now),
                        # a sender that died: its claims run out (no heartbeat) and go back into play
                        and_(OutboxMessage.status == OutboxStatus.sending, OutboxMessage.claimed_until < now),
                    ),
                    *self.shard.outbox_rows(now),
                )
                .order_by(OutboxMessage.priority.desc(), OutboxMessage.id)
                .limit(limit)
            )
            if is_postgres(session):
                due = due.with_for_update(skip_locked=True)
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(due.scalar_subquery()))
                .values(
                    status=OutboxStatus.sending, claimed_by=self.worker_id, claimed_until=claim_until(now)
                )
                .returning(*_CLAIMED)
                .execution_options(synchronize_session=False)
            )
            rows = result.all()
            if not rows:
                return []
            targets = await self._targets(session, rows)
            shared = await _shared_payloads(session, rows)
        jobs = []
        for row in rows:
            payload, template_vars = shared.get(row.payload_id, (row.payload, None))
            template_vars = row.template_vars or template_vars
            jobs.append(
                Job(row.id, row.account_id, row.person_id, row.kind, payload, template_vars, row.attempts,
                    row.parts_done, targets(row.account_id, row.person_id))
            )  # fmt: skip
        return self._take(jobs)

    async def _targets(self, session: AsyncSession, rows: Sequence[Any]) -> Any:
        """Every account the batch may use, and its person's language, in one query."""
        account_ids = {r.account_id for r in rows if r.account_id is not None}
        person_ids = {r.person_id for r in rows if r.person_id is not None}
        found = await session.execute(
            select(
                MessengerAccount.id,
                MessengerAccount.person_id,
                MessengerAccount.channel,
                MessengerAccount.chat_id,
                MessengerAccount.external_id,
                MessengerAccount.last_inbound_at,
                MessengerAccount.language_code,
                MessengerAccount.notices_first,
                Person.locale,
            )
            .outerjoin(Person, Person.id == MessengerAccount.person_id)
            .where(
                MessengerAccount.unreachable_at.is_(None),
                or_(MessengerAccount.id.in_(account_ids), MessengerAccount.person_id.in_(person_ids)),
            )
        )
        default = self.runtime.settings.default_locale
        by_id: dict[int, Target] = {}
        by_person: dict[int, list[tuple[Any, Target]]] = defaultdict(list)
        for a in found:
            # An account nobody has claimed yet (an invite sent to a phone) speaks its own language.
            locale = a.locale or pick_locale(a.language_code, default)
            target = Target(a.id, a.person_id, a.channel, a.chat_id or a.external_id, locale,
                            a.last_inbound_at)  # fmt: skip
            by_id[a.id] = target
            if a.person_id is not None:
                # The account they chose for notices first, then the one they wrote from last;
                # never-used ones after.
                last = a.last_inbound_at
                rank = (not a.notices_first, last is None, -last.timestamp() if last else 0.0, a.id)
                by_person[a.person_id].append((rank, target))
        senders = self.runtime.channel_senders

        def targets(account_id: int | None, person_id: int | None) -> list[Target]:
            chosen = [by_id[account_id]] if account_id in by_id else []
            if person_id is not None:
                chosen += [t for _, t in sorted(by_person[person_id], key=lambda p: p[0])]
            unique = {t.account_id: t for t in reversed(chosen)}  # the first mention of an account wins
            return [t for t in reversed(unique.values()) if t.channel in senders]

        return targets

    # -- delivery ----------------------------------------------------------------------------------

    async def _deliver_chat(self, chat: Any) -> None:
        """A chat's rows, one at a time in id order; its cooldowns are waited out off the workers."""
        try:
            while (queued := self._chats.next(chat)) is not None:
                job, dead = queued
                await self._cooldown(job)
                try:
                    async with self.concurrency:
                        outcome = await self._deliver(job, dead)
                except Exception as exc:
                    log.exception("delivering outbox row %s failed", job.outbox_id)
                    outcome = Outcome(job, RetryLater(30, repr(exc)))
                try:
                    if not outcome.recorded:  # else committed already, with its last part
                        await self._records.add((job.outbox_id, _values(outcome, utcnow())))
                except Exception:  # the claim runs out and the row goes again: logged, not lost
                    log.exception("recording outbox row %s failed", job.outbox_id)
                finally:
                    self.claims.drop([job.outbox_id])
                    self._finished()
                    self.heartbeat.beat()
        finally:
            del self._chats.tasks[chat]

    def _finished(self) -> None:
        self._held -= 1
        self._done += 1
        if self._held == self.batch // 2:
            self._wake.set()  # room for a claim; the loop runs only when told or idle

    async def _cooldown(self, job: Job) -> None:
        """A chat its channel holds back (a burst used up, a 429) waits here, not holding a worker."""
        if not job.targets:
            return
        first = job.targets[0]
        sender = self.runtime.channel_senders.get(first.channel)
        if sender is None or not _paced(type(sender)):
            return
        try:
            wait = await cast(Paced, sender).ready_in(first.address)
        except Exception:  # only a hint: the channel's own limiter still waits for the slot
            log.exception("asking whether chat %s is ready failed", first.address)
            return
        if wait > 0:
            await asyncio.sleep(wait)

    async def _deliver(self, job: Job, dead: set[int]) -> Outcome:
        reply = job.payload if isinstance(job.payload, Reply) else Reply.from_json(job.payload)
        for i, target in enumerate(job.targets):
            if target.account_id in dead:
                continue
            sender = self.runtime.channel_senders[target.channel]
            recorded: list[Sent] = []
            result = await sender.deliver(
                Delivery(
                    outbox_id=job.outbox_id,
                    kind=job.kind,
                    person_id=job.person_id or target.person_id,
                    account_id=target.account_id,
                    channel=target.channel,
                    address=target.address,
                    locale=target.locale,
                    reply=reply,
                    template_vars=job.template_vars,
                    last_inbound_at=target.last_inbound_at,
                    attempts=job.attempts,
                    # Parts sent belong to the account they went to; another starts from the first.
                    parts_done=job.parts_done if target.account_id == job.account_id else 0,
                    progress=self._progress(job, target.account_id, recorded),
                )
            )
            if isinstance(result, Unreachable):
                dead.add(target.account_id)
                await self._mark_unreachable(target.account_id)
                if job.person_id is None:
                    return Outcome(job, result)
                continue  # the person's next account
            if isinstance(result, RetryLater) and await self._fall_back(job, job.targets[i + 1 :]):
                log.warning("outbox row %s: %s failing too long, trying the next channel", job.outbox_id,
                            target.channel)  # fmt: skip
                continue
            return Outcome(job, result, target.account_id, recorded=bool(recorded))
        return Outcome(job, Unreachable("no reachable account"))

    async def _fall_back(self, job: Job, others: Sequence[Target]) -> bool:
        """A notice whose channel has failed for longer than the setting goes by the person's next one.

        Replies stay with the account they answer; the time runs from the row's first failure.
        """
        if job.person_id is None or not others:
            return False
        now = utcnow()
        table = cast(Table, OutboxMessage.__table__)
        async with self.runtime.writing(), self.runtime.sessions() as session, session.begin():
            since = await session.scalar(
                update(table)
                .where(table.c.id == job.outbox_id)
                .values(
                    failing_since=func.coalesce(
                        table.c.failing_since, literal(now, table.c.failing_since.type)
                    )
                )
                .returning(table.c.failing_since)
            )
        limit = dt.timedelta(minutes=self.runtime.settings.channel_fallback_minutes)
        return since is not None and now - since >= limit

    async def _mark_unreachable(self, account_id: int) -> None:
        async with self.runtime.writing(), self.runtime.sessions() as session, session.begin():
            await session.execute(
                update(MessengerAccount)
                .where(MessengerAccount.id == account_id)
                .values(unreachable_at=utcnow())
            )

    # -- recording ---------------------------------------------------------------------------------

    def _progress(self, job: Job, account_id: int, recorded: list[Sent]) -> Progress:
        """Commits each acknowledged part at once: a crash can repeat only a part not yet answered.

        Parts that chats report at the same moment share one transaction (a group commit: a
        part alone is written at once, with no timer), so under load the record costs less."""

        async def part_sent(parts_done: int, sent: Sent | None = None) -> None:
            answered = time.perf_counter()
            values: dict[str, Any] = {"parts_done": parts_done, "account_id": account_id}
            if sent is not None:
                values.update(_values(Outcome(job, sent, account_id), utcnow()))
            await self._records.add((job.outbox_id, values))
            self.answer_to_commit.append(time.perf_counter() - answered)
            if sent is not None:
                recorded.append(sent)

        return part_sent

    async def _write_rows(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        """Each row's new values, if this sender still holds its claim, in a transaction of their own
        (the group commit holds the write turn)."""
        async with self.runtime.sessions() as session:
            if len(rows) == 1 and is_postgres(session):
                # One row, one statement: atomic on its own. Without BEGIN and COMMIT it is one
                # round trip to the server instead of three (the commonest record when not busy).
                conn = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
                stmt, params = self._record_statements_for(rows)[0]
                await conn.execute(stmt.statement, params)
                return
            async with session.begin():
                await self._write_rows_in(session, rows)

    async def _write_rows_in(self, session: AsyncSession, rows: list[tuple[int, dict[str, Any]]]) -> None:
        for stmt, params in self._record_statements_for(rows):
            await direct.execute_many(session, stmt, params)

    def _record_statements_for(
        self, rows: list[tuple[int, dict[str, Any]]]
    ) -> list[tuple[DirectStatement, list[dict[str, Any]]]]:
        """One executemany per shape of values, each statement built once per shape (its cache key
        is not recomputed per batch)."""
        by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for outbox_id, values in rows:
            by_shape[tuple(sorted(values))].append({"b_id": outbox_id, **_bind(values)})
        return [(self._record_statement(shape), params) for shape, params in by_shape.items()]

    async def carry_records(self, session: AsyncSession) -> Carried[tuple[int, dict[str, Any]]] | None:
        """SQLite: the results waiting to be recorded go with the caller's transaction, which holds
        the write turn (an inbox handling); the caller settles them after its commit."""
        return await self._records.carry(functools.partial(self._write_rows_in, session))

    def _record_statement(self, shape: tuple[str, ...]) -> DirectStatement:
        stmt = self._record_statements.get(shape)
        if stmt is None:
            table = cast(Table, OutboxMessage.__table__)
            stmt = self._record_statements[shape] = DirectStatement(
                update(table)
                .where(table.c.id == bindparam("b_id"), table.c.claimed_by == self.worker_id)
                .values({name: bindparam("b_" + name) for name in shape})
            )
        return stmt


async def _shared_payloads(
    session: AsyncSession, rows: Sequence[Any]
) -> dict[int, tuple[dict[str, Any], dict[str, Any] | None]]:
    """The shared messages the claimed rows point at, each read once (a wave's batch shares a few)."""
    ids = {r.payload_id for r in rows if r.payload_id is not None}
    if not ids:
        return {}
    found = await session.execute(
        select(OutboxPayload.id, OutboxPayload.payload, OutboxPayload.template_vars).where(
            OutboxPayload.id.in_(ids)
        )
    )
    return {i: (payload, template_vars) for i, payload, template_vars in found}


def _bind(values: dict[str, Any]) -> dict[str, Any]:
    return {"b_" + k: v for k, v in values.items()}


def _values(outcome: Outcome, now: dt.datetime) -> dict[str, Any]:
    """What recording this outcome changes in its row; the claim ends whatever it was."""
    attempts = outcome.job.attempts
    OUTBOX_RESULTS.labels(type(outcome.result).__name__, outcome.job.kind).inc()
    values: dict[str, Any] = {"claimed_by": None, "claimed_until": None, "status_at": now}
    match outcome.result:
        case Sent(external_id):
            values.update(status=OutboxStatus.sent, sent_at=now, external_message_id=external_id, error=None)
            if outcome.account_id is not None:
                values["account_id"] = outcome.account_id
        case RetryLater(seconds, error):
            give_up = attempts + 1 >= MAX_ATTEMPTS
            values.update(
                status=OutboxStatus.failed if give_up else OutboxStatus.pending,
                attempts=attempts + 1,
                not_before=now + dt.timedelta(seconds=seconds),
                error=error,
            )
        case Unreachable(error):
            values.update(status=OutboxStatus.unreachable, error=error)
        case Failed(error, code):
            values.update(status=OutboxStatus.failed, error=error, error_code=code)
        case NeedsTemplate(error):
            values.update(status=OutboxStatus.waiting_template, error=error)
    return values
