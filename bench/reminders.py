"""Benchmark: plan and queue the deadline reminders of N students on SQLite or PostgreSQL.

    .venv/bin/python -m bench.reminders --students 100000 --db sqlite
    .venv/bin/python -m bench.reminders --students 1000000 --db postgresql --rounds 3

PostgreSQL: the database is created through USTAZ_BENCH_PG_URL (default: the server's
`postgres` maintenance database on 127.0.0.1) and dropped at the end.

Builds a throwaway database with N students in groups of 25, one course and one
assignment per group, all due at the same moment (the worst wave). Then it times
reminders.plan() (INSERT ... SELECT) and reminders.tick() (claim, merge, one shared
payload per distinct message, a row per person pointing at it) with the clock at the
reminders' moment, --rounds times on the same data (emptying reminders and outbox in
between), and prints each round, min/median/max and the peak memory of this process
(the database server's own memory is not counted).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import datetime as dt
import os
import resource
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
from sqlalchemy import bindparam, event, func, select, text

from bot.services.messaging import reminders
from db.base import UTCDateTime
from db.migrate import upgrade
from db.models import OutboxMessage, OutboxPayload, Reminder
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
        async with scratch_postgres("ustaz_bench_remind", PG_SERVER) as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"


async def run(n: int, db: str, offsets: list[int], rounds: int, profile: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="ustaz-bench-") as folder:
        async with bench_database(db, Path(folder)) as url:
            await measure(url, n, db, offsets, rounds, profile)


async def reset(engine) -> None:  # type: ignore[no-untyped-def]
    """Empties what a round wrote, so that every round plans and queues the same wave afresh."""
    pg = engine.dialect.name == "postgresql"
    async with engine.begin() as conn:
        if pg:  # CASCADE: whatsapp_business_start refers to the outbox (empty here)
            await conn.execute(text("TRUNCATE reminder, outbox_message, outbox_payload CASCADE"))
        else:
            for table in ("reminder", "outbox_message", "outbox_payload"):
                await conn.execute(text(f"DELETE FROM {table}"))
    if pg:  # the last round's dirty pages are written now, not during this one
        async with engine.connect() as conn:
            await conn.execute(text("CHECKPOINT"))


class Profile:
    """Seconds per SQL statement (its first words), summed over a run: --profile."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.spent: dict[str, float] = collections.defaultdict(float)
        self._started: list[float] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, *_args) -> None:  # type: ignore[no-untyped-def]
        self._started.append(time.perf_counter())

    def _after(self, _conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        self.spent[" ".join(statement.split())[:90]] += time.perf_counter() - self._started.pop()

    def report(self) -> None:
        for statement, seconds in sorted(self.spent.items(), key=lambda x: -x[1])[:10]:
            print(f"    {seconds:6.1f} s  {statement}")
        self.spent.clear()


class ServerCpu:
    """CPU seconds the database server's processes of this database spent (PostgreSQL on this machine).

    On a machine shared with other work the wall time swings; the CPU a run costs swings less.
    """

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine
        self.start: dict[int, float] = {}

    async def _now(self) -> dict[int, float]:
        async with self.engine.connect() as conn:
            pids = (
                await conn.scalars(
                    text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
                )
            ).all()
        out = {}
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                cpu = psutil.Process(pid).cpu_times()
                out[pid] = cpu.user + cpu.system
        return out

    async def begin(self) -> None:
        self.start = await self._now()

    async def seconds(self) -> float:
        return sum(cpu - self.start.get(pid, 0.0) for pid, cpu in (await self._now()).items())


def spread(values: list[float]) -> str:
    return f"{min(values):.1f}/{statistics.median(values):.1f}/{max(values):.1f}"


async def measure(url: str, n: int, db: str, offsets: list[int], rounds: int, profile: bool) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        deadline = now + dt.timedelta(days=5)
        t0 = time.perf_counter()
        await populate(engine, n, now, deadline, offsets)
        print(f"{db}: {n:,} students in {n // GROUP_SIZE:,} groups built in {time.perf_counter() - t0:.1f} s")

        sessions = make_sessionmaker(engine)
        profiler = Profile(engine) if profile else None
        due_moment = deadline - dt.timedelta(minutes=min(offsets)) + dt.timedelta(seconds=1)
        plans, ticks, totals, cpus = [], [], [], []
        server = ServerCpu(engine) if db == "postgresql" else None
        for i in range(rounds):
            if i:
                await reset(engine)
            rss0 = rss_mb()
            if server:
                await server.begin()
            cpu0 = time.process_time()
            t0 = time.perf_counter()
            async with sessions() as session, session.begin():
                planned = await reminders.plan(session, now)
            t_plan = time.perf_counter() - t0
            t0 = time.perf_counter()
            result = await reminders.tick(sessions, due_moment)
            t_tick = time.perf_counter() - t0
            cpu = time.process_time() - cpu0 + (await server.seconds() if server else 0.0)
            cpus.append(cpu)
            async with sessions() as session:
                outbox = await session.scalar(select(func.count()).select_from(OutboxMessage))
                shared = await session.scalar(select(func.count()).select_from(OutboxPayload))
                queued = await session.scalar(
                    select(func.count()).select_from(Reminder).where(Reminder.status == "queued")
                )
            print(
                f"  round {i + 1}: planned {planned:,} ({len(offsets)} offset(s)) in {t_plan:.1f} s; queued "
                f"{result.claimed:,} into {result.messages:,} outbox rows sharing {shared:,} payloads in "
                f"{t_tick:.1f} s (outbox rows {outbox:,}, reminders queued {queued:,}); total "
                f"{t_plan + t_tick:.1f} s; CPU {cpu:.1f} s; rss {rss0:.0f} → {rss_mb():.0f} MB"
            )
            if profiler:
                profiler.report()
            plans.append(t_plan)
            ticks.append(t_tick)
            totals.append(t_plan + t_tick)
        print(
            f"  min/median/max over {rounds} round(s): plan {spread(plans)} s, queue {spread(ticks)} s, "
            f"total {spread(totals)} s; CPU (this process and the database's) {spread(cpus)} s; "
            f"peak RSS {peak_mb():.0f} MB"
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
    parser.add_argument("--rounds", type=int, default=3, help="plan-and-queue rounds on the same data")
    parser.add_argument("--profile", action="store_true", help="also print the slowest SQL statements")
    args = parser.parse_args()
    offsets = [int(x) for x in args.offsets.split(",")]
    asyncio.run(run(args.students, args.db, offsets, args.rounds, args.profile))


if __name__ == "__main__":
    main()
