"""The update path's hottest Core statements, compiled once and run on SQLite by our driver directly.

SQLAlchemy's execution of a Core statement (an execution context, its parameters processed, a result
set up) cost 70-80 µs of CPU per statement in isolation, against 25-28 µs for the same compiled SQL
run on the driver with the same bind processors applied here: measured on the outbox's reply insert
and the inbox's born insert, each run once per update (bench/telegram_bench.py; under load each costs
nearly twice its isolated figure). Only statements whose every value is given by the caller qualify:
a column left to a Python-side default would need SQLAlchemy's execution, so compiling one refuses.

It runs at the DBAPI level, inside the session's transaction on the same connection, as SQLAlchemy's
own cursor would: SQLite's errors come out as SQLAlchemy's (IntegrityError, OperationalError, ...).
On PostgreSQL, or with another SQLite driver, the statement goes through SQLAlchemy unchanged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import UpdateBase

from db.sqlite_driver import OneTripConnection, execute_now, executemany_now

Params = dict[str, Any]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Per position: the caller's key and its bind processor, or None with the statement's own literal.
    positions: tuple[tuple[str | None, Callable[[Any], Any] | None, Any], ...]
    results: tuple[Callable[[Any], Any] | None, ...]  # per returned column

    def args(self, params: Params) -> list[Any]:
        return [
            (process(params[key]) if process else params[key]) if key is not None else literal
            for key, process, literal in self.positions
        ]

    def rows(self, raw: list[Any]) -> list[tuple[Any, ...]]:
        if not any(self.results):
            return [tuple(row) for row in raw]
        return [tuple(p(v) if p else v for p, v in zip(self.results, row, strict=True)) for row in raw]


class DirectStatement:
    """A Core INSERT or UPDATE built once, run directly on SQLite (see the module's comment)."""

    def __init__(self, statement: UpdateBase) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, ...], _Compiled] = {}  # by the keys given (an INSERT's columns)

    def compiled(self, dialect: Dialect, keys: Sequence[str]) -> _Compiled:
        shape = tuple(keys)
        found = self._compiled.get(shape)
        if found is None:
            found = self._compiled[shape] = _compile(self.statement, dialect, shape)
        return found


def _compile(statement: UpdateBase, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
    compiled: Any = statement.compile(dialect=dialect, column_keys=list(keys))
    defaulted = [c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
    if defaulted or compiled.postfetch:
        raise ValueError(f"a direct statement needs every value given, not defaults: {defaulted}")
    processors = compiled._bind_processors  # the types' own conversions (dates, JSON, enums)
    positions = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        if bind.required:
            positions.append((bind.key, processors.get(name), None))
        else:  # a literal of the statement itself
            value = bind.effective_value
            process = processors.get(name)
            positions.append((None, None, process(value) if process else value))
    results = tuple(type_._cached_result_processor(dialect, None) for *_, type_ in compiled._result_columns)
    return _Compiled(compiled.string, tuple(positions), results)


async def execute(session: AsyncSession, direct: DirectStatement, params: Params) -> list[tuple[Any, ...]]:
    """The statement with one set of values, in the session's transaction: the rows it returns."""
    conn = await session.connection()
    adapted = conn.sync_connection.connection.dbapi_connection if conn.sync_connection else None
    if not isinstance(adapted, OneTripConnection):
        result = await conn.execute(direct.statement, params)
        return [tuple(row) for row in result] if result.returns_rows else []
    compiled = direct.compiled(conn.dialect, list(params))
    args = compiled.args(params)
    try:
        return compiled.rows(await execute_now(adapted, compiled.sql, args))
    except sqlite3.Error as error:
        raise exc.DBAPIError.instance(compiled.sql, args, error, sqlite3.Error) from error


async def execute_many(session: AsyncSession, direct: DirectStatement, params: list[Params]) -> None:
    """The statement once per set of values (all of one shape), in the session's transaction."""
    conn = await session.connection()
    adapted = conn.sync_connection.connection.dbapi_connection if conn.sync_connection else None
    if not isinstance(adapted, OneTripConnection):
        await conn.execute(direct.statement, params)
        return
    compiled = direct.compiled(conn.dialect, list(params[0]))
    many = [compiled.args(p) for p in params]
    try:
        await executemany_now(adapted, compiled.sql, many)
    except sqlite3.Error as error:
        raise exc.DBAPIError.instance(compiled.sql, many, error, sqlite3.Error) from error
