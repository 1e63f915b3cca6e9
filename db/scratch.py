"""A new, empty PostgreSQL database for one benchmark or test run, dropped afterwards.

Created and dropped through the server's maintenance database `postgres`, so a run never touches
another database (the benchmarks must leave `test` alone)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import make_url, text

from db.session import make_engine

SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"


@asynccontextmanager
async def scratch_postgres(prefix: str, server: str = SERVER) -> AsyncIterator[str]:
    """Yields the URL of a database named `<prefix>_<random>` on `server` (any database URL of it)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    url = make_url(server)
    admin = make_engine(
        url.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
