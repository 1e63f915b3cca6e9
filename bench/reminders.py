"""Benchmark: plan and queue the deadline reminders of N students on SQLite or PostgreSQL.

    .venv/bin/python -m bench.reminders --students 100000 --db sqlite
    .venv/bin/python -m bench.reminders --students 1000000 --db postgresql

PostgreSQL: the database is created through USTAZ_BENCH_PG_URL (default: the server's
`postgres` maintenance database on 127.0.0.1) and dropped at the end.

Builds a throwaway database with N students in groups of 25, one course and one
assignment per group, all due at the same moment (the worst wave). Then it times
reminders.plan() (INSERT ... SELECT) and reminders.tick() (claim, merge, copy into the
outbox) with the clock at the reminders' moment, and prints the time and the memory
of this process (the database server's own memory is not counted).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import resource
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
from sqlalchemy import bindparam, func, select, text

from bot.services.messaging import reminders
from db.base import UTCDateTime
from db.migrate import upgrade
from db.models import OutboxMessage, Reminder
from db.scratch import SERVER, scratch_postgres
from db.session import make_engine, make_sessionmaker

# Only used to create and drop the bench's own database: the maintenance database, not a test one.
PG_SERVER = os.environ.get("USTAZ_BENCH_PG_URL", SERVER)
GROUP_SIZE = 25


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


async def populate(engine, n: int, now: dt.datetime, deadline: dt.datetime, offsets: list[int]) -> None:  # type: ignore[no-untyped-def]
    pg = engine.dialect.name == "postgresql"
    groups = (n + GROUP_SIZE - 1) // GROUP_SIZE

    def series(count: str) -> str:
        if pg:
            return f"generate_series(1, {count}) AS s(i)"
        return (
            f"(WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < {count}) "
            "SELECT i FROM r) s"
        )

    ts = {"now": now, "deadline": deadline}
    types = [bindparam("now", type_=UTCDateTime()), bindparam("deadline", type_=UTCDateTime())]
    statements = [
        "INSERT INTO organization (id, name, kind, timezone, default_locale, grading_scheme, settings, "
        "created_at) "
        f"VALUES (1, 'Bench', 'college', 'Asia/Almaty', 'kk', 'letter', "
        f'\'{{"reminders": {{"deadline_minutes": {offsets}}}}}\', :now)',
        "INSERT INTO study_group (id, organization_id, name, created_at) SELECT i, 1, 'G' || i, :now FROM "
        f"{series(str(groups))}",
        "INSERT INTO person (id, organization_id, full_name, locale, created_at) "
        "SELECT i, 1, 'Student ' || i, CASE WHEN i % 2 = 0 THEN 'ru' ELSE 'kk' END, :now FROM "
        f"{series(str(n))}",
        "INSERT INTO person_role (person_id, role, group_id, created_at) "
        f"SELECT i, 'student', (i - 1) / {GROUP_SIZE} + 1, :now FROM {series(str(n))}",
        "INSERT INTO course (id, organization_id, group_id, discipline, credits, created_at) "
        f"SELECT i, 1, i, 'Course ' || i, 5, :now FROM {series(str(groups))}",
        "INSERT INTO assignment (course_id, title, text, deadline, max_score, control_type, kind, status, "
        "created_at) "
        f"SELECT i, 'Assignment ' || i, '', :deadline, 100, 'current', 'written', 'published', :now "
        f"FROM {series(str(groups))}",
    ]
    async with engine.begin() as conn:
        for stmt in statements:
            await conn.execute(
                text(stmt).bindparams(*[t for t in types if f":{t.key}" in stmt]),
                {k: v for k, v in ts.items() if f":{k}" in stmt},
            )
        if pg:
            for table in ("organization", "study_group", "person", "course"):
                await conn.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
            await conn.execute(text("ANALYZE"))


@contextlib.asynccontextmanager
async def bench_database(db: str, folder: Path) -> AsyncIterator[str]:
    """A database of its own, dropped afterwards: never the database `test`."""
    if db == "postgresql":
        async with scratch_postgres("ustaz_bench", PG_SERVER) as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"


async def run(n: int, db: str, offsets: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="ustaz-bench-") as folder:
        async with bench_database(db, Path(folder)) as url:
            await measure(url, n, db, offsets)


async def measure(url: str, n: int, db: str, offsets: list[int]) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        deadline = now + dt.timedelta(days=5)
        t0 = time.perf_counter()
        await populate(engine, n, now, deadline, offsets)
        print(f"{db}: {n:,} students in {n // GROUP_SIZE:,} groups built in {time.perf_counter() - t0:.1f} s")

        sessions = make_sessionmaker(engine)
        rss0 = rss_mb()
        t0 = time.perf_counter()
        async with sessions() as session, session.begin():
            planned = await reminders.plan(session, now)
        t_plan = time.perf_counter() - t0
        due_moment = deadline - dt.timedelta(minutes=min(offsets)) + dt.timedelta(seconds=1)
        t0 = time.perf_counter()
        result = await reminders.tick(sessions, due_moment)
        t_tick = time.perf_counter() - t0
        async with sessions() as session:
            outbox = await session.scalar(select(func.count()).select_from(OutboxMessage))
            queued = await session.scalar(
                select(func.count()).select_from(Reminder).where(Reminder.status == "queued")
            )
        print(f"  planned {planned:,} reminders ({len(offsets)} offset(s)) in {t_plan:.1f} s")
        print(
            f"  queued  {result.claimed:,} due reminders into {result.messages:,} outbox messages "
            f"in {t_tick:.1f} s (outbox rows {outbox:,}, reminders queued {queued:,})"
        )
        print(
            f"  total   {t_plan + t_tick:.1f} s; memory: rss {rss0:.0f} → {rss_mb():.0f} MB, peak "
            f"{peak_mb():.0f} MB"
        )
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--offsets", default="120", help="reminder offsets in minutes, comma-separated (default: 120)"
    )
    args = parser.parse_args()
    asyncio.run(run(args.students, args.db, [int(x) for x in args.offsets.split(",")]))


if __name__ == "__main__":
    main()
