"""SQLite's checkpoints, run in a thread beside the event loop (db/sqlite_driver.py says why).

A supervised loop: a checkpoint every half second keeps the write-ahead log a few megabytes long
under load, and /healthz shows the loop stuck if a checkpoint ever hangs.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import URL

from bot.supervisor import Heartbeat, Loop, sleep_or_stop
from db.sqlite_driver import checkpoint

EVERY_SECONDS = 0.5


def sqlite_file(url: URL) -> str | None:
    """The database file of a SQLite URL (None for PostgreSQL or a database in memory)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return url.database


def checkpoints_loop(url: URL) -> Loop | None:
    """The loop for this database, or None when it has no write-ahead log to checkpoint."""
    path = sqlite_file(url)
    if path is None:
        return None
    heartbeat = Heartbeat()

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.to_thread(checkpoint, path)
            heartbeat.beat()
            await sleep_or_stop(stop, EVERY_SECONDS)

    return Loop("sqlite checkpoints", run, heartbeat)
