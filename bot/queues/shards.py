"""Several processes on one PostgreSQL, each the owner of its own chats (`ustaz run --processes N`).

Process i of N claims only the inbox rows of the chats whose hash falls to it, and only the
outbox rows of the accounts (or people) whose id does: two processes never scan, lock or
order one chat's rows against each other, so each chat stays in order without the claims
colliding. Any process stores what arrives (the kernel spreads the port's connections among
them, SO_REUSEPORT), and handles a message "born claimed" in the webhook's own task when its
chat has nothing unfinished, whoever owns the chat: that takes no claim, and the per-chat
advisory lock of bot/queues/inbox.py keeps the chat in order across processes. A row that must
wait behind an earlier one of its chat is stored as new; if another process owns the chat, a
NOTIFY sent with the commit wakes the owner, and a process that finishes a row of another's chat
tells the owner ("done:"), so that what waits behind it goes on at once.

A process that died leaves its chats' rows where they were: the parent starts it again, and
rows that wait longer than TAKEOVER_SECONDS (its claims have run out by then) are taken by any
process, so nothing is stranded if it never comes back.

The chat's hash is the first 28 bits of the MD5 of its key: PostgreSQL (in the claim) and Python
(deciding whom to wake) compute the same number.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, cast, func, or_, select
from sqlalchemy.dialects.postgresql import BIT
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.queues.claims import CLAIM_SECONDS
from bot.supervisor import Heartbeat, Loop, sleep_or_stop
from db.models import InboxUpdate, OutboxMessage

log = logging.getLogger(__name__)

# A row of another process's chat waits this long before any process may take it (its owner is
# dead or far behind): twice a claim's life, so an owner's run-out claim is its own to retake first.
TAKEOVER_SECONDS = 2 * CLAIM_SECONDS
# The class of the session advisory lock each process holds on its index while it lives (any
# constant no other part of Ustaz uses): /healthz reads pg_locks to say which process is missing.
PROCESS_LOCK_CLASS = 0x7573  # "us"
PROBE_SECONDS = 3.0
DONE = "done:"  # a NOTIFY's payload that says a chat's row handled by another process is finished
WAITING_KEPT = 10_000  # chats remembered as having rows waiting (a few stale ones only cost a look)


def chat_hash(chat_key: str) -> int:
    return int(hashlib.md5(chat_key.encode()).hexdigest()[:7], 16)


def _chat_hash_sql(column: Any) -> Any:
    """chat_hash() in PostgreSQL: ('x' || the first 7 hex digits)::bit(28)::int."""
    return cast(cast(func.concat("x", func.substr(func.md5(column), 1, 7)), BIT(28)), Integer)


def wake_channel(index: int) -> str:
    return f"ustaz_inbox_{index}"


@dataclass(frozen=True)
class Shard:
    """This process's share of the chats: index of count (0 of 1 when it runs alone)."""

    index: int = 0
    count: int = 1
    # This process's chats with rows stored to wait for its claim: a "done" from another process
    # about one of them is worth a claim; about any other, not.
    _waiting: set[str] = field(default_factory=set, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"process index {self.index} is not within 0..{self.count - 1}")

    @property
    def alone(self) -> bool:
        return self.count == 1

    @property
    def leads(self) -> bool:
        """The process that runs what must run once (the scheduler's ticks, Telegram's polling)."""
        return self.index == 0

    def owner(self, chat_key: str) -> int:
        return chat_hash(chat_key) % self.count

    def owns(self, chat_key: str) -> bool:
        return self.alone or self.owner(chat_key) == self.index

    def waiting(self, chat_keys: Iterable[str]) -> None:
        if self.alone:
            return
        if len(self._waiting) > WAITING_KEPT:
            self._waiting.clear()
        self._waiting.update(chat_keys)

    def freed(self, chat_key: str) -> bool:
        """A row of this chat was finished by another process: True if rows of it may wait here."""
        if chat_key in self._waiting:
            self._waiting.discard(chat_key)
            return True
        return False

    async def tell_done(self, sessions: async_sessionmaker[AsyncSession], chat_key: str) -> None:
        """Tells the owner of another process's chat that the row this one handled is finished."""
        if self.owns(chat_key):
            return
        try:
            async with sessions() as session, session.begin():
                await session.execute(
                    select(func.pg_notify(wake_channel(self.owner(chat_key)), DONE + chat_key))
                )
        except Exception:  # the owner's claim still comes round within a second
            log.exception("telling process %d that chat %s is free failed", self.owner(chat_key), chat_key)

    def inbox_rows(self, now: dt.datetime) -> list[Any]:
        """The claim's extra condition: this process's chats, or rows waiting past the takeover."""
        if self.alone:
            return []
        mine = func.mod(_chat_hash_sql(InboxUpdate.chat_key), self.count) == self.index
        stale = InboxUpdate.received_at < now - dt.timedelta(seconds=TAKEOVER_SECONDS)
        return [or_(mine, stale)]

    def outbox_rows(self, now: dt.datetime) -> list[Any]:
        """The same for the outbox, whose chat is the account (or, for a notice, the person)."""
        if self.alone:
            return []
        chat = func.coalesce(OutboxMessage.account_id, OutboxMessage.person_id)
        mine = func.mod(chat, self.count) == self.index
        stale = OutboxMessage.not_before < now - dt.timedelta(seconds=TAKEOVER_SECONDS)
        return [or_(mine, stale)]

    async def tell_owners(self, session: AsyncSession, chat_keys: Iterable[str]) -> None:
        """Wakes the owners of rows this process stored but does not own (sent with the commit), naming
        the chats: an owner busy with one of them in the webhook's task then looks again when done."""
        if self.alone:
            return
        by_owner: dict[int, set[str]] = {}
        for key in chat_keys:
            by_owner.setdefault(self.owner(key), set()).add(key)
        by_owner.pop(self.index, None)
        for owner, keys in sorted(by_owner.items()):
            named = "\n".join(sorted(keys))
            # NOTIFY's payload is under 8000 bytes: past that, only the wake-up (the worker looks anyway).
            await session.execute(
                select(func.pg_notify(wake_channel(owner), named if len(named) < 4000 else ""))
            )


ALONE = Shard()  # one process owns every chat


class Presence:
    """This process's side of the others: it listens for wake-ups of its inbox and holds its index.

    One connection of its own (LISTEN needs one that stays open) holds a session advisory lock on
    the process's index; every few seconds it reads which indexes are held, so /healthz can name a
    process of the N that is missing (its chats wait for the takeover meanwhile).
    """

    def __init__(
        self,
        shard: Shard,
        dsn: str,
        stored: Callable[[Iterable[str]], None],
        done: Callable[[str], None] = lambda _key: None,
    ) -> None:
        self.shard = shard
        self.dsn = dsn
        self.stored = stored  # told the chats of rows stored for it by another process
        self.done = done  # told a chat of its whose row another process finished
        self.heartbeat = Heartbeat()
        self.missing: list[int] = []
        self.holding = False

    def loop(self, stuck_after: float) -> Loop:
        def problems() -> str | None:
            if not self.holding:
                return f"waiting to hold process index {self.shard.index}"
            if self.heartbeat.quiet_for() > stuck_after:
                return f"stuck: no answer from the database for {self.heartbeat.quiet_for():.0f} s"
            if self.missing:
                down = ", ".join(str(i) for i in self.missing)
                return f"process {down} of {self.shard.count} is not running (its chats wait)"
            return None

        return Loop(f"process {self.shard.index} of {self.shard.count}", self.run, check=problems)

    async def run(self, stop: asyncio.Event) -> None:
        import asyncpg  # type: ignore[import-untyped]

        self.holding = False
        conn = await asyncpg.connect(self.dsn)
        try:
            while not await conn.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)", PROCESS_LOCK_CLASS, self.shard.index
            ):
                await sleep_or_stop(stop, 1.0)  # the process it replaces has not let go yet
                if stop.is_set():
                    return
            self.holding = True
            await conn.add_listener(wake_channel(self.shard.index), self._heard)
            self.stored([])  # rows stored for it while it was away
            while not stop.is_set():
                self.missing = await missing(conn, self.shard.count)
                self.heartbeat.beat()
                await sleep_or_stop(stop, PROBE_SECONDS)
        finally:
            self.holding = False
            await conn.close()

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        if payload.startswith(DONE):
            self.done(payload.removeprefix(DONE))
        else:
            self.stored(payload.split("\n") if payload else [])


async def missing(conn: Any, count: int) -> list[int]:
    """The indexes of the `count` processes that no running process holds (asyncpg's connection)."""
    held = await conn.fetch(
        "SELECT objid FROM pg_locks "
        "WHERE locktype = 'advisory' AND granted AND classid = $1 AND objsubid = 2",
        PROCESS_LOCK_CLASS,
    )
    return sorted(set(range(count)) - {int(r[0]) for r in held})


def asyncpg_dsn(database_url: str) -> str:
    """The SQLAlchemy URL (postgresql+asyncpg://) as asyncpg's own connect() takes it."""
    return "postgresql://" + database_url.split("://", 1)[1]
