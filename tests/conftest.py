"""Shared fixtures: every database test runs on SQLite and on the running PostgreSQL.

USTAZ_TEST_DATABASES=sqlite (or postgresql) narrows the run; the default is both.
USTAZ_TEST_CLOCK=2026-11-23T23:50+05:00 runs the whole session with the clock moved
there (and ticking): the tests must pass at any hour, and this is how to check one.
The schema is built once per session by the real Alembic migrations; each test
then starts from empty tables.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.runtime import Runtime
from db.base import Base
from db.migrate import upgrade
from db.session import make_engine, make_sessionmaker
from tests.harness import Harness

PG_ADMIN_URL = os.environ.get("USTAZ_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
DATABASES = [d for d in os.environ.get("USTAZ_TEST_DATABASES", "sqlite,postgresql").split(",") if d]
TEST_CLOCK = os.environ.get("USTAZ_TEST_CLOCK")


def pytest_configure(config: pytest.Config) -> None:
    if TEST_CLOCK:
        import time_machine

        config.stash[CLOCK_KEY] = traveller = time_machine.travel(TEST_CLOCK, tick=True)
        traveller.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = config.stash.get(CLOCK_KEY, None)
    if traveller is not None:
        traveller.stop()


CLOCK_KEY = pytest.StashKey["object"]()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    import asyncio

    path = tmp_path_factory.mktemp("db") / "template.sqlite3"

    async def build() -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(build())
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of this test session, migrated once, dropped at the end."""
    import asyncio

    name = f"ustaz_t_{uuid.uuid4().hex[:10]}"
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    async def admin(sql: str) -> None:
        engine = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    async def build() -> None:
        await admin(f'CREATE DATABASE "{name}"')
        engine = make_engine(url)
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(build())
    yield url
    asyncio.run(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(params=DATABASES)
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database_url(db_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated database for this test."""
    if db_kind == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "ustaz.sqlite3"
        shutil.copy(template, path)
        return f"sqlite+aiosqlite:///{path}"
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture
async def engine(database_url: str, db_kind: str) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(database_url)
    if db_kind == "postgresql":
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with eng.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield eng
    await eng.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as s:
        yield s


@pytest.fixture
async def runtime(engine: AsyncEngine, database_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """A runtime on this test's database (empty, migrated)."""
    from tests.harness import make_runtime, settings_for

    rt = make_runtime(settings_for(database_url, tmp_path))
    yield rt
    await rt.engine.dispose()


@pytest.fixture
async def demo(runtime: Runtime) -> Runtime:
    """The runtime with the demo school in its database."""
    from bot.services.admin.demo import ensure_demo

    await ensure_demo(runtime)
    return runtime


@pytest.fixture
def harness(runtime: Runtime) -> Harness:
    from tests.harness import Harness

    return Harness(runtime)


# A fixed moment for journeys whose text shows dates: Monday 23 November 2026, 12:00 in Almaty.
CLOCK_START = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """Listed before `demo` in a test's arguments, so the demo school is built at that moment too."""
    with time_machine.travel(CLOCK_START, tick=True) as traveller:
        yield traveller
