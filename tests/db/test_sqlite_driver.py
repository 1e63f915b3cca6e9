"""SQLite's statements run in the event loop's thread; a write that must wait for another process's
lock waits off the loop, so everything else keeps going, and then lands."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import text

from db.session import make_engine


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
