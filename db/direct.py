"""The update path's hottest statements, compiled once and run on SQLite by our driver directly.

SQLAlchemy's execution of a Core statement (an execution context, its parameters processed, a result
set up) cost 70-80 µs of CPU per statement in isolation, against 25-28 µs for the same compiled SQL
run on the driver with the same bind processors applied here: measured on the outbox's reply insert
and the inbox's born insert, each run once per update (bench/telegram_bench.py; under load each costs
nearly twice its isolated figure). Only statements whose every value is given by the caller qualify:
a column left to a Python-side default would need SQLAlchemy's execution, so compiling one refuses.

It runs at the DBAPI level, inside the session's transaction on the same connection, as SQLAlchemy's
own cursor would: SQLite's errors come out as SQLAlchemy's (IntegrityError, OperationalError, ...).
On PostgreSQL, or with another SQLite driver, the statement goes through SQLAlchemy unchanged.

`Entities` reads whole ORM objects this way: their columns selected side by side, and each row's values
made into the objects the ORM's own loading would give, persistent and unchanged in the session. The
ORM's loading of the sender's account, person, organization and dialog cost 195 µs in isolation,
against 70 for the same row read directly and its objects made here.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Column, exc, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.base import instance_state
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.base import Executable

from db.sqlite_driver import OneTripConnection, execute_now, executemany_now

Params = dict[str, Any]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Per position: the caller's key and its bind processor, or None with the statement's own literal.
    positions: tuple[tuple[str | None, Callable[[Any], Any] | None, Any], ...]
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # the returned columns that a type converts

    def args(self, params: Params) -> list[Any]:
        return [
            (process(params[key]) if process else params[key]) if key is not None else literal
            for key, process, literal in self.positions
        ]

    def rows(self, raw: list[Any]) -> list[tuple[Any, ...]]:
        if not self.results:
            return [tuple(row) for row in raw]
        converted = []
        for row in raw:
            values = list(row)
            for at, process in self.results:
                values[at] = process(values[at])
            converted.append(tuple(values))
        return converted


class DirectStatement:
    """A Core statement built once, run directly on SQLite (see the module's comment)."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, ...], _Compiled] = {}  # by the keys given (an INSERT's columns)

    def compiled(self, dialect: Dialect, keys: Sequence[str]) -> _Compiled:
        shape = tuple(keys)
        found = self._compiled.get(shape)
        if found is None:
            found = self._compiled[shape] = _compile(self.statement, dialect, shape)
        return found


def _compile(statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
    compiled: Any = cast(ClauseElement, statement).compile(dialect=dialect, column_keys=list(keys))
    # An INSERT's or UPDATE's columns with Python-side defaults (a SELECT has none).
    prefetch = (*getattr(compiled, "insert_prefetch", ()), *getattr(compiled, "update_prefetch", ()))
    defaulted = [c.key for c in prefetch]
    if defaulted or getattr(compiled, "postfetch", None):
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
    converters = [type_._cached_result_processor(dialect, None) for *_, type_ in compiled._result_columns]
    results = tuple((at, convert) for at, convert in enumerate(converters) if convert is not None)
    return _Compiled(compiled.string, tuple(positions), results)


# Where a session keeps the connection of its current transaction, with that transaction (session.info).
_CONNECTION = "db.direct connection"


async def _connection(session: AsyncSession) -> AsyncConnection:
    """The session's connection in its current transaction. Asked of the session once per transaction
    (each ask is a greenlet switch, 15 µs, several times per update), then kept with the transaction it
    belongs to: a new transaction asks again."""
    transaction = session.sync_session.get_transaction()
    kept = session.info.get(_CONNECTION)
    if transaction is not None and kept is not None and kept[0]() is transaction:
        return kept[1]  # type: ignore[no-any-return]
    conn = await session.connection()
    # A weak reference: the transaction refers to its session, and a cycle would keep both (and the
    # objects they hold) until the collector ran.
    session.info[_CONNECTION] = (weakref.ref(session.sync_session.get_transaction()), conn)
    return conn


def _our_driver(conn: AsyncConnection) -> OneTripConnection | None:
    """The connection's SQLite driver when it is ours (db/sqlite_driver.py); None for any other."""
    adapted = conn.sync_connection.connection.dbapi_connection if conn.sync_connection else None
    return adapted if isinstance(adapted, OneTripConnection) else None


async def execute(session: AsyncSession, direct: DirectStatement, params: Params) -> list[tuple[Any, ...]]:
    """The statement with one set of values, in the session's transaction: the rows it returns."""
    conn = await _connection(session)
    adapted = _our_driver(conn)
    if adapted is None:
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
    conn = await _connection(session)
    adapted = _our_driver(conn)
    if adapted is None:
        await conn.execute(direct.statement, params)
        return
    compiled = direct.compiled(conn.dialect, list(params[0]))
    many = [compiled.args(p) for p in params]
    try:
        await executemany_now(adapted, compiled.sql, many)
    except sqlite3.Error as error:
        raise exc.DBAPIError.instance(compiled.sql, many, error, sqlite3.Error) from error


class Entities:
    """Mapped classes read as plain columns, side by side in one SELECT (a LEFT JOIN's missing ones are
    all NULL), and made into ORM objects from each row."""

    def __init__(self, *classes: type[Any]) -> None:
        self._layouts: list[tuple[Mapper[Any], list[Column[Any]], list[str], int]] = []
        for cls in classes:
            mapper = inspect(cls)
            if mapper.class_manager.dispatch.load:
                raise ValueError(f"{cls.__name__} has load events, which only the ORM's loading runs")
            columns = list(mapper.local_table.c)
            keys = [mapper.get_property_by_column(c).key for c in columns]
            [primary_key] = mapper.primary_key
            self._layouts.append((mapper, columns, keys, columns.index(primary_key)))

    @property
    def columns(self) -> list[Column[Any]]:
        return [column for _, columns, _, _ in self._layouts for column in columns]

    def objects(self, session: AsyncSession, row: Sequence[Any]) -> list[Any]:
        """The row's objects, in the classes' order (None for an all-NULL one), the columns that follow
        them left to the caller."""
        found: list[Any] = []
        start = 0
        for mapper, columns, keys, key_at in self._layouts:
            values = row[start : start + len(columns)]
            start += len(columns)
            primary_key = values[key_at]
            missing = primary_key is None  # a LEFT JOIN that found nothing
            found.append(None if missing else _persistent(session, mapper, primary_key, keys, values))
        return found


def _persistent(
    session: AsyncSession, mapper: Mapper[Any], primary_key: Any, keys: list[str], values: Sequence[Any]
) -> Any:
    """The object the ORM's loading would give for these column values: the one already in the session
    if there is one (its unsaved changes kept, its expired attributes filled from the row), else a new
    one, persistent and unchanged.

    These are the steps of SQLAlchemy's own loading of a new object (orm/loading.py, `_instance`) for a
    mapped class without load events (checked in Entities); the public alternative, merge(load=False),
    cost as much as the ORM's loading itself."""
    sync = session.sync_session
    identity = mapper.identity_key_from_primary_key((primary_key,))
    existing = sync.identity_map.get(identity)
    if existing is not None:
        unloaded = instance_state(existing).unloaded  # expired since it was loaded (read in a greenlet)
        for key, value in zip(keys, values, strict=True):
            if key in unloaded:
                set_committed_value(existing, key, value)
        return existing
    obj = mapper.class_manager.new_instance()
    state = instance_state(obj)
    state.key = identity
    state.identity_token = None
    state.session_id = sync.hash_key
    sync.identity_map._add_unpresent(state, identity)
    state.dict.update(zip(keys, values, strict=True))  # as loaded: no change recorded
    return obj
