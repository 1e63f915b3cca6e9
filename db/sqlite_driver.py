"""aiosqlite whose statements run in the event loop's own thread, unless SQLite makes them wait.

SQLAlchemy's aiosqlite adapter makes a cursor, executes, fetches the rows and closes the
cursor, each an `await` that queues a call to aiosqlite's thread and waits for the loop to
be woken: four thread hops per statement, and two more per transaction, most of the CPU of a
short query. Ustaz's statements touch a few rows by key and take microseconds, far less than
one hop; so here each statement (executed, fetched and closed as one function) and each
commit and rollback runs right where it is called.

Only waiting must not happen in the loop: the connection's busy timeout is 0, so SQLite
answers "locked" at once when another connection (another process: the CLI, a backup) holds
the write lock, and then that same call goes to aiosqlite's thread and waits there, with the
busy timeout the engine was given (`timeout`). A statement SQLite refused as busy had no
effect, so running it again is what SQLite's own busy handler does. Calls on one connection
never overlap: SQLAlchemy awaits each before the next, whichever thread runs it.
make_engine passes this as the DBAPI, with check_same_thread=False to allow the two threads.

Checkpoints are kept out of the loop too. SQLite copies the write-ahead log back into the database
inside the commit that crosses `wal_autocheckpoint` pages, and syncs the file to disk: tens to hundreds
of milliseconds that, in the loop's thread, stalled every update in the process (the longest stall under
load went from about 130 ms to 450-1400 ms). The loop's connections raise that threshold to a safety net
only, and `checkpoint()`, run in a thread every half second (bot/ops/checkpoints.py), does the work there:
the sqlite3 module lets go of the GIL while SQLite works, so it costs the loop nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

T = TypeVar("T")

# Pages of write-ahead log past which a commit checkpoints by itself even in the loop: only if nobody
# runs `checkpoint()` (about 40 MB, against SQLite's default of 1000 pages).
AUTOCHECKPOINT_PAGES = 10_000
# How much of the database file the loop's connections read through a memory map (db/session.py).
MMAP_BYTES = 256 * 1024 * 1024


def checkpoint(path: str) -> tuple[int, int] | None:
    """One passive checkpoint, which neither waits for nor blocks a writer: (pages in the log, pages
    copied to the database), or None when another connection held a lock it needed (the next one
    catches up). Blocking: call it in a thread, never in the event loop."""
    conn = sqlite3.connect(path, timeout=0)
    try:
        _incomplete, logged, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(logged), int(copied)
    except sqlite3.OperationalError as error:
        if _busy(error):
            return None
        raise
    finally:
        conn.close()


def _execute(
    conn: sqlite3.Connection, operation: str, parameters: Any
) -> tuple[Any, list[Any], int | None, int]:
    """The statement, its rows, and what a write reports: one call."""
    cursor = conn.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        if cursor.description:
            return cursor.description, cursor.fetchall(), -1, -1
        return None, [], cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


def _executemany(conn: sqlite3.Connection, operation: str, seq: Any) -> tuple[int | None, int]:
    cursor = conn.cursor()
    try:
        cursor.executemany(operation, seq)
        return cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


def _busy(error: Exception) -> bool:
    """SQLite refused at once because another connection holds the lock (busy timeout 0)."""
    code = getattr(error, "sqlite_errorcode", None) if isinstance(error, sqlite3.OperationalError) else None
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)  # and extended


def _patiently(call: Callable[..., T], conn: sqlite3.Connection, busy_ms: int, *args: Any) -> T:
    """In aiosqlite's thread: the call, waiting up to busy_ms for the lock as SQLite's busy handler does."""
    conn.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    try:
        return call(conn, *args)
    finally:
        conn.execute("PRAGMA busy_timeout=0")


def _run(adapted: Any, call: Callable[..., T], *args: Any) -> T:
    """`call(sqlite3 connection, *args)` here in the loop's thread; if SQLite is busy, in aiosqlite's."""
    conn = adapted._connection
    try:
        return call(conn._conn, *args)
    except Exception as error:
        if not _busy(error):
            raise
    return adapted.await_(_in_thread(adapted, call, *args))  # type: ignore[no-any-return]


async def _in_thread(adapted: Any, call: Callable[..., T], *args: Any) -> T:
    """The call SQLite refused as busy, again in aiosqlite's thread, waiting there for the lock."""
    conn = adapted._connection
    return await conn._execute(_patiently, call, conn._conn, adapted.dbapi.busy_ms, *args)  # type: ignore[no-any-return]


async def execute_now(adapted: Any, operation: str, parameters: Any) -> list[Any]:
    """A statement's rows, run here in the loop's thread by a caller in the loop itself (db/direct.py),
    not under SQLAlchemy's greenlet; if SQLite is busy, waited for in aiosqlite's thread."""
    return (await _now(adapted, _execute, operation, parameters))[1]


async def executemany_now(adapted: Any, operation: str, seq_of_parameters: Any) -> None:
    """`execute_now` once per set of parameters, in one call."""
    await _now(adapted, _executemany, operation, seq_of_parameters)


async def _now(adapted: Any, call: Callable[..., T], *args: Any) -> T:
    try:
        return call(adapted._connection._conn, *args)
    except Exception as error:
        if not _busy(error):
            raise
    return await _in_thread(adapted, call, *args)


async def _at_once() -> None:
    """Awaited by each statement: SQLAlchemy's AsyncConnection.execute checks that its driver awaited
    (a sync driver by mistake would block the loop); awaiting a coroutine that returns at once is a
    greenlet switch, no trip through the event loop."""


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            adapted = self._adapt_connection
            adapted.await_(_at_once())
            description, rows, lastrowid, rowcount = _run(adapted, _execute, operation, parameters)
        except Exception as error:
            self._adapt_connection._handle_exception(error)
            return
        self.description = description
        self._rows.clear()
        self._rows.extend(rows)
        self.lastrowid = lastrowid  # type: ignore[assignment]  # None when nothing was inserted
        self.rowcount = rowcount

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            adapted = self._adapt_connection
            adapted.await_(_at_once())
            lastrowid, rowcount = _run(adapted, _executemany, operation, seq_of_parameters)
        except Exception as error:
            self._adapt_connection._handle_exception(error)
            return
        self.description = None
        self.lastrowid = lastrowid  # type: ignore[assignment]  # None when nothing was inserted
        self.rowcount = rowcount


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        if server_side:  # streamed results keep the stock cursor (nothing on the hot path streams)
            return super().cursor(server_side=True)
        return OneTripCursor(self)

    def commit(self) -> None:
        try:
            _run(self, sqlite3.Connection.commit)
        except Exception as error:
            self._handle_exception(error)

    def rollback(self) -> None:
        try:
            _run(self, sqlite3.Connection.rollback)
        except Exception as error:
            self._handle_exception(error)


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    busy_ms = 5000  # sqlite3.connect's default timeout; connect() takes the engine's own

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        self.busy_ms = int(float(kw.get("timeout", 5.0)) * 1000)
        kw["check_same_thread"] = False  # the loop's thread and aiosqlite's take turns (see above)
        adapted = super().connect(*arg, **kw)
        if type(adapted) is AsyncAdapt_aiosqlite_connection:  # not the sync fallback
            adapted.__class__ = OneTripConnection
        return adapted


def dbapi() -> OneTripDBAPI:
    return OneTripDBAPI(aiosqlite, sqlite3)
