"""SQL that SQLite and PostgreSQL spell differently, written once as SQLAlchemy constructs.

Both databases have INSERT ... ON CONFLICT, but SQLAlchemy keeps it in each dialect's own
Insert class; this module is the one place that picks the class, so callers never write the
`postgresql.insert if ... else sqlite.insert` switch themselves. Likewise date arithmetic and
an ordered string aggregate are constructs compiled per dialect here, so that queries built
from them read the same on both databases.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import weakref
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Executable,
    TableClause,
    Text,
    cast,
    extract,
    literal,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import visitors
from sqlalchemy.sql.cache_key import CacheKey
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.functions import FunctionElement

from db.base import Base, UTCDateTime

DialectInsert = postgresql.Insert | sqlite.Insert
Bind = AsyncSession | AsyncConnection | AsyncEngine | str  # or a dialect's name
Target = type[Base] | TableClause  # a model or a table
S = TypeVar("S", bound=Executable)


def dialect_name(bind: Bind) -> str:
    if isinstance(bind, str):
        return bind
    if isinstance(bind, AsyncSession):
        if bind.bind is None:
            raise ValueError("the session is bound to no engine: its dialect is unknown")
        return bind.bind.dialect.name
    return bind.dialect.name


def dialect_insert(bind: Bind, table: Target) -> DialectInsert:
    """The dialect's INSERT for `table`: the one that knows ON CONFLICT (and `excluded`)."""
    name = dialect_name(bind)
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"no INSERT ... ON CONFLICT for the {name!r} dialect")


def insert_or_ignore(
    bind: Bind, table: Target, index_elements: Sequence[str | Column[Any]], where: Any = None
) -> DialectInsert:
    """INSERT ... ON CONFLICT (index_elements) DO NOTHING: a row that would duplicate one is skipped.

    `where`: the predicate of a partial unique index, so that the database picks it as the arbiter.
    With .returning(id), a skipped row returns nothing, so scalar() gives None.
    """
    return dialect_insert(bind, table).on_conflict_do_nothing(
        index_elements=list(index_elements), index_where=where
    )


def ignoring_insert(
    bind: Bind, table: Target, index_elements: Sequence[str], returning: str | None = None
) -> Any:
    """insert_or_ignore on the table (a Core statement, not the ORM's bulk path), built once per
    dialect, table, conflict columns and returned column: execute it with the row's values as
    parameters, so a hot path pays for its parameters only and SQLAlchemy's compiled cache always hits.
    """
    t = table.__table__ if isinstance(table, type) else table
    return _ignoring_insert(dialect_name(bind), t, tuple(index_elements), returning)


@functools.cache
def _ignoring_insert(dialect: str, table: Any, index_elements: tuple[str, ...], returning: str | None) -> Any:
    stmt = insert_or_ignore(dialect, table, index_elements)
    return built_once(stmt.returning(table.c[returning]) if returning else stmt)


def built_once(stmt: S) -> S:
    """The INSERT ... ON CONFLICT `stmt`, compiled once and then taken from SQLAlchemy's cache.

    SQLAlchemy 2.0 gives its dialects' Insert classes no cache key (`inherit_cache = False`), so
    every execution of one compiles it again: the largest part of a hot path's SQL cost. A
    statement built once at import and reused is the same object each time, so it gets a key of
    its own: (this object's token, its bound parameters). Only the very object passed here carries
    the key; a statement derived from it (`.returning()`, `.values()`) has none again, so no two
    different statements can ever share one compiled form. Never use it on a statement built per
    call: each would fill the cache with a key used once.
    """
    params = [e for e in visitors.iterate(stmt) if isinstance(e, BindParameter)]  # type: ignore[arg-type]
    key = CacheKey((_BuiltOnce.__name__, next(_tokens)), params)
    owner = weakref.ref(stmt)
    base = type(stmt)
    cls = _BUILT_ONCE_CLASSES.get(base)
    if cls is None:

        def _generate_cache_key(self: Any) -> CacheKey | None:
            mine = getattr(self, "_built_once", None)
            if mine is not None and mine[0]() is self:
                return mine[1]  # type: ignore[no-any-return]
            return None  # derived from a built-once statement: compiled each time, as before

        cls = _BUILT_ONCE_CLASSES[base] = type(
            f"BuiltOnce{base.__name__}",
            (base, _BuiltOnce),
            {"inherit_cache": False, "_generate_cache_key": _generate_cache_key},
        )
    stmt.__class__ = cls
    stmt._built_once = (owner, key)  # type: ignore[attr-defined]
    return stmt


class _BuiltOnce:
    """Marks the classes built_once makes."""


_tokens = itertools.count()
_BUILT_ONCE_CLASSES: dict[type, type] = {}


# -- what the two databases spell differently, as SQLAlchemy constructs ------------------------
class minutes_before(FunctionElement[dt.datetime]):
    """`moment` less `minutes` and `seconds` (numbers, columns or expressions), as a UTCDateTime.

    The result keeps the column's own storage form (SQLite: UTCDateTime's text), so it compares
    with other UTC datetimes and can be written into a UTCDateTime column.
    """

    type = UTCDateTime()
    name = "minutes_before"
    inherit_cache = True

    def __init__(self, moment: Any, minutes: Any, seconds: Any = 0) -> None:
        super().__init__(moment, minutes, seconds)


@compiles(minutes_before, "postgresql")
def _minutes_before_pg(element: minutes_before, compiler: SQLCompiler, **kw: Any) -> str:
    moment, minutes, seconds = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"({moment} - ({minutes}) * interval '1 minute' - ({seconds}) * interval '1 second')"


@compiles(minutes_before, "sqlite")
def _minutes_before_sqlite(element: minutes_before, compiler: SQLCompiler, **kw: Any) -> str:
    moment, minutes, seconds = (compiler.process(arg, **kw) for arg in element.clauses)
    # strftime's %f has milliseconds; UTCDateTime's text has microseconds: pad, so that text compares.
    return (
        f"(strftime('%Y-%m-%d %H:%M:%f', {moment}, '-' || ({minutes}) || ' minutes', "
        f"'-' || ({seconds}) || ' seconds') || '000')"
    )


class sorted_join(FunctionElement[str]):
    """The group's values joined with commas, in ascending order: an aggregate.

    SQLite (before 3.44) cannot order inside group_concat: it joins in the order of its input,
    so feed it from a sub-select ordered by the value (PostgreSQL orders by itself).
    """

    type = Text()
    name = "sorted_join"
    inherit_cache = True


@compiles(sorted_join, "postgresql")
def _sorted_join_pg(element: sorted_join, compiler: SQLCompiler, **kw: Any) -> str:
    value = compiler.process(element.clauses, **kw)
    return f"string_agg({value}, ',' ORDER BY {value})"


@compiles(sorted_join, "sqlite")
def _sorted_join_sqlite(element: sorted_join, compiler: SQLCompiler, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, ',')"


def epoch_seconds(moment: Any) -> ColumnElement[int]:
    """A UTC datetime as whole seconds since 1970 (SQLAlchemy spells EXTRACT(epoch) per dialect)."""
    return cast(extract("epoch", moment), BigInteger)


def joined_text(*parts: Any) -> ColumnElement[str]:
    """Strings and columns concatenated as text (`||`): numbers are cast, plain strings are bound."""
    texts = [literal(p, Text()) if isinstance(p, str) else cast(p, Text()) for p in parts]
    out: ColumnElement[str] = texts[0]
    for p in texts[1:]:
        out = out + p
    return out
