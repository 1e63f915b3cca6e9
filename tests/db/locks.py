"""Another process holding SQLite's write lock, for tests of a write that must wait for it off the loop."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path


@dataclass
class OtherProcess:
    turns: int = 0  # how often the event loop turned while the lock was held


@contextlib.asynccontextmanager
async def write_lock_held_elsewhere(path: Path, own_write: str) -> AsyncIterator[OtherProcess]:
    """Another process (the CLI, a backup) holds the write lock with `own_write` done; it commits after
    the loop has turned five times, which it can only do if the waiting write left the loop. The test's
    write goes in the `async with` body; on leaving it the other process has committed."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute(own_write)
    held = OtherProcess()

    async def meanwhile() -> None:
        """The loop's other work; after a few turns, the other process commits."""
        while held.turns < 5:
            await asyncio.sleep(0.01)
            held.turns += 1
        other.execute("COMMIT")

    others_work = asyncio.create_task(meanwhile())
    try:
        yield held
        await others_work
    finally:
        others_work.cancel()
        other.close()
