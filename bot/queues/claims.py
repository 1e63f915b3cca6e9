"""Short claims kept alive by a heartbeat: what a dead worker held goes back within seconds.

The inbox and the outbox claim rows for CLAIM_SECONDS. While a worker lives, its
heartbeat renews the claims of the rows it still holds (its in-flight set); when it
dies, they run out in CLAIM_SECONDS and another worker takes them. The claim only
says who may work on a row: every result is written with `claimed_by = me`, and the
inbox also locks its row for the whole handling transaction, so a row is never
applied twice even if a claim runs out under a stalled worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.supervisor import FailureStreak, sleep_or_stop
from db.base import utcnow

log = logging.getLogger(__name__)

CLAIM_SECONDS = 15.0
HEARTBEAT_SECONDS = 3.0  # five renewals per claim: a few missed beats lose nothing


class Database(Protocol):
    """What the queues need of the running process (bot/runtime.py has it): sessions, and on SQLite,
    whose turn it is to write."""

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def is_sqlite(self) -> bool: ...

    def writing(self) -> contextlib.AbstractAsyncContextManager[object]: ...


def claim_until(now: dt.datetime | None = None) -> dt.datetime:
    return (now or utcnow()) + dt.timedelta(seconds=CLAIM_SECONDS)


class Claims:
    """The ids one worker holds in one table, and the heartbeat that keeps them claimed."""

    def __init__(self, model: Any, worker_id: str) -> None:
        self.model = model
        self.worker_id = worker_id
        self.held: set[int] = set()

    def take(self, ids: list[int]) -> list[int]:
        """Adds freshly claimed ids; drops those this worker is still busy with (a claim it re-took)."""
        new = [i for i in ids if i not in self.held]
        self.held.update(new)
        return new

    def drop(self, ids: Any) -> None:
        self.held.difference_update(ids)

    async def renew(self, session: AsyncSession) -> int:
        if not self.held:
            return 0
        ids = list(self.held)
        m = self.model
        mine = select(m.id).where(m.id.in_(ids), m.claimed_by == self.worker_id)
        if session.bind.dialect.name == "postgresql":
            # A row its handler has locked needs no renewal (the lock keeps others off it); waiting
            # for that lock would hold up the renewal of all the others.
            mine = mine.with_for_update(skip_locked=True)
        result = await session.execute(
            update(m)
            .where(m.id.in_(mine.scalar_subquery()))
            .values(claimed_until=claim_until())
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def release_orphans(self, runtime: Database, claimed: Any, free: Any) -> int:
        """On SQLite one process owns the database: rows it left claimed when it died go back at once,
        not after CLAIM_SECONDS. (On PostgreSQL other live processes may hold claims: they run out.)"""
        if not runtime.is_sqlite:
            return 0
        m = self.model
        async with runtime.writing(), runtime.sessions() as session, session.begin():
            result = await session.execute(
                update(m).where(m.status == claimed).values(status=free, claimed_by=None, claimed_until=None)
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def heartbeat(self, runtime: Database, stop: asyncio.Event) -> None:
        failures = FailureStreak(f"renewing the claims of {self.worker_id}", log)
        while not stop.is_set():
            await sleep_or_stop(stop, HEARTBEAT_SECONDS)
            if stop.is_set():
                return
            try:
                async with runtime.writing(), runtime.sessions() as session, session.begin():
                    await self.renew(session)
            except Exception as exc:  # the next beat tries again; a claim outlives several missed beats
                failures.failed(exc)
            else:
                failures.ok()
