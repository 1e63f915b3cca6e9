"""Hot statements run on SQLite by our driver directly (db/direct.py) store, return and fail exactly as
SQLAlchemy's own execution of them would, inside the session's transaction; whole objects read that way
are the ORM's objects, as its own loading would give them."""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Column,
    Enum,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db import direct
from db.base import UTCDateTime
from db.direct import DirectStatement, Entities
from db.session import make_engine, make_sessionmaker
from tests.db.locks import write_lock_held_elsewhere


class Mark(enum.StrEnum):
    new = "new"
    done = "done"


metadata = MetaData()
work = Table(
    "work",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(50), unique=True),
    Column("mark", Enum(Mark, native_enum=False, values_callable=lambda e: [m.value for m in e])),
    Column("handed_in", UTCDateTime()),
    Column("answers", JSON),
    Column("pages", Integer, default=1),  # a Python-side default: SQLAlchemy's execution fills it in
)

ADD = DirectStatement(insert(work).returning(work.c.id, work.c.mark, work.c.handed_in))
GRADE = DirectStatement(update(work).where(work.c.id == bindparam("b_id")).values(mark=bindparam("b_mark")))
ALMATY = dt.timezone(dt.timedelta(hours=5))


def essay(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "mark": Mark.new,
        "handed_in": dt.datetime(2026, 12, 3, 23, 30, tzinfo=ALMATY),
        "answers": {"1": "Абай", "2": [1, 2]},
        "pages": 3,
    }


@contextlib.asynccontextmanager
async def database_of(tmp_path: Path, tables: MetaData) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A SQLite file through the loop's driver (school.sqlite3) with `tables` made; disposed of afterwards."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'school.sqlite3'}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(tables.create_all)
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


def school(tmp_path: Path) -> contextlib.AbstractAsyncContextManager[async_sessionmaker[AsyncSession]]:
    return database_of(tmp_path, metadata)


async def stored(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[Any, ...]]:
    async with sessions() as session:
        found = await session.execute(select(work).order_by(work.c.id))
        return [tuple(row) for row in found]


async def test_a_direct_insert_stores_and_returns_what_sqlalchemys_own_execution_does(tmp_path: Path) -> None:
    async with school(tmp_path) as sessions:
        async with sessions() as session, session.begin():
            [mine] = await direct.execute(session, ADD, essay("direct"))
            theirs = (await session.execute(ADD.statement, essay("sqlalchemy"))).one()
        in_utc = dt.datetime(2026, 12, 3, 18, 30, tzinfo=dt.UTC)
        assert mine[1:] == tuple(theirs)[1:] == (Mark.new, in_utc)
        assert isinstance(mine[1], Mark)  # the returned columns' types convert as SQLAlchemy's do
        rows = await stored(sessions)
        assert [row[1:] for row in rows] == [
            ("direct", Mark.new, in_utc, {"1": "Абай", "2": [1, 2]}, 3),
            ("sqlalchemy", Mark.new, in_utc, {"1": "Абай", "2": [1, 2]}, 3),
        ]
        assert rows[0][0] == mine[0]


async def test_a_direct_statement_belongs_to_the_sessions_transaction(tmp_path: Path) -> None:
    async with school(tmp_path) as sessions:
        with pytest.raises(RuntimeError):
            async with sessions() as session, session.begin():
                await direct.execute(session, ADD, essay("lost"))
                raise RuntimeError("handling failed")
        assert await stored(sessions) == []  # rolled back with the rest

        async with sessions() as session, session.begin():
            [(essay_id, *_)] = await direct.execute(session, ADD, essay("kept"))
            await direct.execute_many(session, GRADE, [{"b_id": essay_id, "b_mark": Mark.done}])
        assert [(row[1], row[2]) for row in await stored(sessions)] == [("kept", Mark.done)]


async def test_sqlites_refusal_comes_out_as_sqlalchemys_error(tmp_path: Path) -> None:
    async with school(tmp_path) as sessions:
        async with sessions() as session, session.begin():
            await direct.execute(session, ADD, essay("twice"))
            with pytest.raises(IntegrityError) as refused:
                await direct.execute(session, ADD, essay("twice"))
        assert isinstance(refused.value.orig, sqlite3.IntegrityError)
        assert [row[1] for row in await stored(sessions)] == ["twice"]  # the first stays


async def test_a_statement_that_leaves_a_column_to_its_default_is_refused(tmp_path: Path) -> None:
    async with school(tmp_path) as sessions, sessions() as session, session.begin():
        without_pages = essay("short")
        del without_pages["pages"]
        with pytest.raises(ValueError, match="pages"):
            await direct.execute(session, ADD, without_pages)


async def test_a_direct_write_waiting_for_another_process_leaves_the_loop_running(tmp_path: Path) -> None:
    async with school(tmp_path) as sessions:
        held_by_the_cli = "INSERT INTO work (title, pages) VALUES ('from the CLI', 1)"
        async with (
            write_lock_held_elsewhere(tmp_path / "school.sqlite3", held_by_the_cli) as other,
            sessions() as session,
            session.begin(),
        ):
            await direct.execute(session, ADD, essay("essay"))
        assert [row[1] for row in await stored(sessions)] == ["from the CLI", "essay"]
        assert other.turns == 5  # the loop ran while the write waited: had it blocked, the lock never freed


class Mapped_(DeclarativeBase):
    pass


class Pupil(Mapped_):
    __tablename__ = "pupil"
    name: Mapped[str] = mapped_column(String(50))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # not the first column: found by its key
    born: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    notes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Seat(Mapped_):
    __tablename__ = "seat"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pupil_id: Mapped[int] = mapped_column(Integer)
    row_no: Mapped[int] = mapped_column("row", Integer)  # an attribute named unlike its column


PUPIL_AND_SEAT = Entities(Pupil, Seat)
READ = DirectStatement(
    select(*PUPIL_AND_SEAT.columns)
    .select_from(Pupil)
    .outerjoin(Seat, Seat.pupil_id == Pupil.id)
    .where(Pupil.name == bindparam("name"))
)


@contextlib.asynccontextmanager
async def class_room(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Aru at her seat, Dana without one."""
    async with database_of(tmp_path, Mapped_.metadata) as sessions:
        async with sessions() as session, session.begin():
            born = dt.datetime(2010, 5, 1, 6, 0, tzinfo=dt.UTC)
            session.add_all([Pupil(id=7, name="Aru", born=born, notes={"k": 1}), Pupil(id=8, name="Dana")])
            session.add(Seat(id=1, pupil_id=7, row_no=3))
        yield sessions


async def test_entities_read_directly_are_the_objects_the_orms_loading_gives(tmp_path: Path) -> None:
    async with class_room(tmp_path) as sessions:
        async with sessions() as session:
            [row] = await direct.execute(session, READ, {"name": "Aru"})
            pupil, seat = PUPIL_AND_SEAT.objects(session, row)
            assert (pupil.id, pupil.name, pupil.born, pupil.notes) == (
                7, "Aru", dt.datetime(2010, 5, 1, 6, 0, tzinfo=dt.UTC), {"k": 1}
            )  # fmt: skip
            assert (seat.id, seat.pupil_id, seat.row_no) == (1, 7, 3)
            assert inspect(pupil).persistent and inspect(seat).persistent
            assert not session.dirty and not session.new
            assert await session.get(Pupil, 7) is pupil  # in the identity map: no second object
        async with sessions() as session:
            [row] = await direct.execute(session, READ, {"name": "Dana"})
            assert PUPIL_AND_SEAT.objects(session, row)[1] is None  # no seat: the LEFT JOIN's NULLs


async def test_a_change_to_an_entity_read_directly_is_saved_at_commit(tmp_path: Path) -> None:
    async with class_room(tmp_path) as sessions:
        async with sessions() as session, session.begin():
            [row] = await direct.execute(session, READ, {"name": "Aru"})
            pupil, seat = PUPIL_AND_SEAT.objects(session, row)
            pupil.notes = {**pupil.notes, "late": True}
            seat.row_no = 5
            assert set(session.dirty) == {pupil, seat}
        async with sessions() as session:
            again = (await session.execute(select(Pupil, Seat).join(Seat, Seat.pupil_id == Pupil.id))).one()
            assert (again[0].notes, again[1].row_no) == ({"k": 1, "late": True}, 5)


async def test_an_entity_already_in_the_session_is_kept_with_its_unsaved_change(tmp_path: Path) -> None:
    async with class_room(tmp_path) as sessions, sessions() as session, session.begin():
        loaded = await session.get(Pupil, 7)
        assert loaded is not None
        loaded.name = "Aruzhan"  # not flushed yet
        [row] = await direct.execute(session, READ, {"name": "Aru"})
        pupil, _ = PUPIL_AND_SEAT.objects(session, row)
        assert pupil is loaded and pupil.name == "Aruzhan"


async def test_an_expired_entity_in_the_session_is_filled_from_the_row(tmp_path: Path) -> None:
    async with class_room(tmp_path) as sessions, sessions() as session, session.begin():
        loaded = await session.get(Pupil, 7)
        assert loaded is not None
        await session.execute(update(Pupil).where(Pupil.id == 7).values(name="Aruzhan"))
        session.expire(loaded)  # reading an attribute now would need a query, which async code cannot run
        [row] = await direct.execute(session, READ, {"name": "Aruzhan"})
        pupil, _ = PUPIL_AND_SEAT.objects(session, row)
        assert pupil is loaded and (pupil.name, pupil.notes) == ("Aruzhan", {"k": 1})
        assert not session.dirty  # filled as loaded, not changed
