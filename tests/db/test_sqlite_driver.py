"""SQLite's statements run in the event loop's thread; a write that must wait for another process's
lock waits off the loop, so everything else keeps going, and then lands."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ops.checkpoints import checkpoints_loop
from db.session import make_engine
from db.sqlite_driver import checkpoint
from tests.channels.telegram_app import until
from tests.db.locks import write_lock_held_elsewhere


@contextlib.asynccontextmanager
async def school_with(tmp_path: Path, columns: str) -> AsyncIterator[tuple[Path, AsyncEngine]]:
    """A SQLite file through the loop's driver with one table, `work`, made; disposed of afterwards."""
    path = tmp_path / "school.sqlite3"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"CREATE TABLE work ({columns})"))
        yield path, engine
    finally:
        await engine.dispose()


async def write_blobs(engine: AsyncEngine, commits: int) -> None:
    """Rows of 2000 bytes, each in a commit of its own: each logs at least one page."""
    for _ in range(commits):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO work VALUES (zeroblob(2000))"))


async def test_a_write_waiting_for_another_process_leaves_the_loop_running(tmp_path: Path) -> None:
    async with school_with(tmp_path, "title TEXT") as (path, engine):
        async with (
            write_lock_held_elsewhere(path, "INSERT INTO work VALUES ('from the CLI')") as other,
            engine.begin() as conn,
        ):
            await conn.execute(text("INSERT INTO work VALUES ('essay')"))
        async with engine.connect() as conn:
            titles = (await conn.execute(text("SELECT title FROM work ORDER BY title"))).scalars().all()
        assert titles == ["essay", "from the CLI"]
        assert other.turns == 5  # the loop ran while the write waited: had it blocked, the lock never freed


async def test_statements_and_transactions_behave_as_before(tmp_path: Path) -> None:
    async with school_with(tmp_path, "id INTEGER PRIMARY KEY, title TEXT") as (_, engine):
        async with engine.begin() as conn:
            inserted = await conn.execute(text("INSERT INTO work (title) VALUES ('a'), ('b')"))
            assert inserted.rowcount == 2
        try:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO work (title) VALUES ('lost')"))
                raise RuntimeError("handling failed")
        except RuntimeError:
            pass
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, title FROM work ORDER BY id"))).all()
        assert [tuple(r) for r in rows] == [(1, "a"), (2, "b")]  # the failed transaction rolled back


async def test_commits_leave_checkpoints_to_a_thread_that_moves_the_log_into_the_file(tmp_path: Path) -> None:
    """A checkpoint copies the write-ahead log into the database file and syncs it: done inside a
    commit, in the loop, it stalled every update. The loop's commits leave it to `checkpoint()`."""
    async with school_with(tmp_path, "body BLOB") as (path, engine):
        await write_blobs(engine, 1200)  # past SQLite's own 1000-page checkpoint
        in_file_before = path.stat().st_size
        done = await asyncio.to_thread(checkpoint, str(path))
        assert done is not None
        logged, copied = done
        assert logged >= 1200, "no commit checkpointed by itself (the log would have started over)"
        assert copied == logged
        assert path.stat().st_size > in_file_before + 1200 * 2000, "the rows are in the database file now"


async def test_the_bots_checkpoint_loop_keeps_the_database_file_current(tmp_path: Path) -> None:
    assert checkpoints_loop(make_url("postgresql+asyncpg://u@localhost/school")) is None
    assert checkpoints_loop(make_url("sqlite+aiosqlite:///:memory:")) is None
    async with school_with(tmp_path, "body BLOB") as (path, engine):
        loop = checkpoints_loop(engine.url)
        assert loop is not None and loop.name == "sqlite checkpoints"
        stop = asyncio.Event()
        running = asyncio.create_task(loop.run(stop))
        try:
            await write_blobs(engine, 100)

            async def in_the_file() -> bool | None:
                return path.stat().st_size > 100 * 2000 or None

            assert await until(in_the_file, 10)
        finally:
            stop.set()
            await running


async def test_a_checkpoint_that_finds_the_database_locked_is_skipped_not_a_crash(tmp_path: Path) -> None:
    async with school_with(tmp_path, "body BLOB") as (path, engine):
        await write_blobs(engine, 1)
        await engine.dispose()
        other = sqlite3.connect(path, isolation_level=None)  # a backup tool holding the file to itself
        other.execute("PRAGMA locking_mode=EXCLUSIVE")
        other.execute("BEGIN EXCLUSIVE")
        assert await asyncio.to_thread(checkpoint, str(path)) is None
        other.execute("COMMIT")
        other.close()
        assert await asyncio.to_thread(checkpoint, str(path)) is not None
