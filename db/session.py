"""Engine and session factory for SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import orjson
from sqlalchemy import CursorResult, Result, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def json_text(value: Any) -> str:
    """JSON columns are written by orjson: several times faster than the json module on every
    stored update and reply (the same JSON; non-ASCII kept as is, not escaped)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    kwargs.setdefault("json_serializer", json_text)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        in_loop = url.startswith("sqlite+aiosqlite") and "module" not in kwargs
        if in_loop:
            from db.sqlite_driver import AUTOCHECKPOINT_PAGES, MMAP_BYTES, dbapi

            kwargs["module"] = dbapi()  # statements in the loop's thread, waits in aiosqlite's
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets the web server read while a worker writes; foreign keys are off by default.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            # Our driver waits for a busy database off the event loop (sqlite_driver.py), so SQLite
            # itself must not wait; any other driver waits inside SQLite for the engine's timeout.
            cur.execute(f"PRAGMA busy_timeout={0 if in_loop else 30000}")
            if in_loop:  # checkpoints run in a thread of their own (sqlite_driver.checkpoint)
                cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
                # Pages read through a memory map rather than a read() and a copy each: the page cache
                # holds 2 MB, so with a school of 100,000 every update read pages from the file
                # (9-14 % less CPU per update in two interleaved runs, for 5-8 MB more of the file
                # resident, pages the kernel may drop at any time).
                cur.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
            cur.close()

        return engine
    # Enough kept-open connections for the inbox worker's 32 rows in flight plus the webhook, the
    # sender and the heartbeats: an overflow connection is closed after each use, and opening one
    # (TCP, SSL negotiation, the statement cache refilled) cost more than the update it carried.
    kwargs.setdefault("pool_size", 40)
    kwargs.setdefault("max_overflow", 10)
    # The connection returned last is taken first: a quiet process keeps using the same few connections,
    # so only those fill asyncpg's per-connection cache of prepared statements (memory), and the others
    # sit idle instead of each being cycled through in turn.
    kwargs.setdefault("pool_use_lifo", True)
    return create_async_engine(url, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose work is committed on success and rolled back on error."""
    async with sessions() as session, session.begin():
        yield session


def is_postgres(session_or_engine: AsyncSession | AsyncEngine) -> bool:
    bind = session_or_engine.bind if isinstance(session_or_engine, AsyncSession) else session_or_engine
    return bind.dialect.name == "postgresql"


def rowcount(result: Result[Any]) -> int:
    """The rows an INSERT, UPDATE or DELETE counted (-1 where the driver cannot tell).

    Session.execute() is typed to return a Result; for those statements it is a CursorResult,
    which has the count.
    """
    return cast(CursorResult[Any], result).rowcount
