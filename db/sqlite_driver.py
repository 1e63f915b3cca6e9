"""aiosqlite with one trip to its thread per statement, not four.

SQLAlchemy's aiosqlite adapter makes a cursor, executes, fetches the rows and closes the
cursor, each an `await` that queues a call to aiosqlite's thread and waits for the loop to
be woken: four thread hops per statement, a good part of the CPU of a short query. This
adapter runs those four steps as one function in that thread. Same sqlite3 calls, same
thread, same error handling: only fewer hand-overs. make_engine passes it as the DBAPI.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)


def _execute(
    conn: sqlite3.Connection, operation: str, parameters: Any
) -> tuple[Any, list[Any], int | None, int]:
    """Runs in aiosqlite's thread: the statement, its rows, and what a write reports."""
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


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            conn = self._connection
            description, rows, lastrowid, rowcount = self.await_(
                conn._execute(_execute, conn._conn, operation, parameters)
            )
        except Exception as error:
            self._adapt_connection._handle_exception(error)
            return
        self.description = description
        self._rows.clear()
        self._rows.extend(rows)
        self.lastrowid = lastrowid
        self.rowcount = rowcount

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            conn = self._connection
            lastrowid, rowcount = self.await_(
                conn._execute(_executemany, conn._conn, operation, seq_of_parameters)
            )
        except Exception as error:
            self._adapt_connection._handle_exception(error)
            return
        self.description = None
        self.lastrowid = lastrowid
        self.rowcount = rowcount


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        if server_side:  # streamed results keep the stock cursor (nothing on the hot path streams)
            return super().cursor(server_side=True)
        return OneTripCursor(self)


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        if type(adapted) is AsyncAdapt_aiosqlite_connection:  # not the sync fallback
            adapted.__class__ = OneTripConnection
        return adapted


def dbapi() -> OneTripDBAPI:
    return OneTripDBAPI(aiosqlite, sqlite3)
