"""SQLite's statements run in the event loop's thread; a write that must wait for another process's
lock waits off the loop, so everything else keeps going, and then lands."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.ops.checkpoints import checkpoints_loop
from db.session import make_engine
from db.sqlite_driver import checkpoint
from tests.channels.telegram_app import until


async def test_a_write_waiting_for_another_process_leaves_the_loop_running(tmp_path: Path) -> None:
    path = tmp_path / "school.sqlite3"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE work (title TEXT)"))
        # Another process (the CLI, a backup) holds the write lock.
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO work VALUES ('from the CLI')")
        ticks = 0

        async def meanwhile() -> None:
            """The loop's other work; after a few turns, the other process commits."""
            nonlocal ticks
            while ticks < 5:
                await asyncio.sleep(0.01)
                ticks += 1
            other.execute("COMMIT")

        others_work = asyncio.create_task(meanwhile())
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO work VALUES ('essay')"))
        await others_work
        async with engine.connect() as conn:
            titles = (await conn.execute(text("SELECT title FROM work ORDER BY title"))).scalars().all()
        assert titles == ["essay", "from the CLI"]
        assert ticks == 5  # the loop ran while the write waited: had it blocked, the lock never freed
        other.close()
    finally:
        await engine.dispose()


async def test_statements_and_transactions_behave_as_before(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'school.sqlite3'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE work (id INTEGER PRIMARY KEY, title TEXT)"))
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
    finally:
        await engine.dispose()


async def test_commits_leave_checkpoints_to_a_thread_that_moves_the_log_into_the_file(tmp_path: Path) -> None:
    """A checkpoint copies the write-ahead log into the database file and syncs it: done inside a
    commit, in the loop, it stalled every update. The loop's commits leave it to `checkpoint()`."""
    path = tmp_path / "school.sqlite3"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE work (body BLOB)"))
        for _ in range(1200):  # each commit logs at least one page: past SQLite's own 1000-page checkpoint
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO work VALUES (zeroblob(2000))"))
        in_file_before = path.stat().st_size
        done = await asyncio.to_thread(checkpoint, str(path))
        assert done is not None
        logged, copied = done
        assert logged >= 1200, "no commit checkpointed by itself (the log would have started over)"
        assert copied == logged
        assert path.stat().st_size > in_file_before + 1200 * 2000, "the rows are in the database file now"
    finally:
        await engine.dispose()


async def test_the_bots_checkpoint_loop_keeps_the_database_file_current(tmp_path: Path) -> None:
    path = tmp_path / "school.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    assert checkpoints_loop(make_url("postgresql+asyncpg://u@localhost/school")) is None
    assert checkpoints_loop(make_url("sqlite+aiosqlite:///:memory:")) is None
    loop = checkpoints_loop(make_url(url))
    assert loop is not None and loop.name == "sqlite checkpoints"
    engine = make_engine(url)
    stop = asyncio.Event()
    running = asyncio.create_task(loop.run(stop))
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE work (body BLOB)"))
        for _ in range(100):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO work VALUES (zeroblob(2000))"))

        async def in_the_file() -> bool | None:
            return path.stat().st_size > 100 * 2000 or None

        assert await until(in_the_file, 10)
    finally:
        stop.set()
        await running
        await engine.dispose()


async def test_a_checkpoint_that_finds_the_database_locked_is_skipped_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "school.sqlite3"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE work (body BLOB)"))
            await conn.execute(text("INSERT INTO work VALUES (zeroblob(2000))"))
        await engine.dispose()
        other = sqlite3.connect(path, isolation_level=None)  # a backup tool holding the file to itself
        other.execute("PRAGMA locking_mode=EXCLUSIVE")
        other.execute("BEGIN EXCLUSIVE")
        assert await asyncio.to_thread(checkpoint, str(path)) is None
        other.execute("COMMIT")
        other.close()
        assert await asyncio.to_thread(checkpoint, str(path)) is not None
    finally:
        await engine.dispose()
