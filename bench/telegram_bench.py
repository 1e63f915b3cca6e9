"""Telegram benchmarks: the webhook path to a reply, the outbox's delivery rate, the process's memory.

    .venv/bin/python bench/telegram_bench.py [--rounds 3] [--seconds 15] [--people 50] [--students 100000]

Everything runs on loopback against the Bot API stand-in (tests/stand_ins/telegram_api.py), in
databases the benchmark creates and drops (never the database `test`):

1. the update path, like for like: a bare aiogram echo bot (no database; it acknowledges a button in
   the webhook's response and sends one message, as Ustaz does), Ustaz on SQLite and Ustaz on
   PostgreSQL all run at once, and are loaded one at a time, in turn, for several rounds (the order
   rotating), by joined students walking their menus (/menu, Help, Language, back to the menu) in a
   closed loop, flood limits lifted. Per target: updates/s and p99 to the reply's arrival as
   min/median/max over the rounds, the ratio to the echo, the bot process's CPU per update (the
   steadiest figure on a shared machine), Bot API calls per update (the same on every side, or the
   comparison is not fair), RSS at the end and the event loop's longest stall;
2. the outbox's delivery rate within Telegram's limits (30/s, no 429 allowed) and with the limits lifted.

The targets are USTAZ_BENCH_TARGETS (default "echo sqlite postgresql"); "postgresql-x2" is Ustaz on
PostgreSQL as `ustaz run --processes 2` (any -xN: N processes on one port, bot/processes.py). Its
CPU per update and RSS are summed over the parent and every child; with both "postgresql" and
"postgresql-x2" the report ends with the ratio of their median updates/s:

    USTAZ_BENCH_TARGETS="postgresql postgresql-x2" .venv/bin/python bench/telegram_bench.py --only path
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import insert, select, text  # noqa: E402
from telegram_load import closed_loop, process, rss_mb, stand_in  # noqa: E402

from bot.config import Settings  # noqa: E402
from db.models import Channel, Group, MessengerAccount, Organization, OutboxMessage, Person, PersonRole, Role  # noqa: E402
from db.scratch import SERVER, scratch_postgres  # noqa: E402
from db.session import make_engine, make_sessionmaker  # noqa: E402
from tests.stand_ins.telegram_api import TOKEN, BotAPIStandIn, Limits, TgUser, Updates  # noqa: E402

PG_SERVER = os.environ.get("USTAZ_BENCH_PG_URL", SERVER)  # its databases are made through `postgres`
FIRST_USER = 5_000_000
SECRET = "bench-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def database(kind: str, workdir: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir}/bench.sqlite3"
        return
    async with scratch_postgres("ustaz_bench", PG_SERVER) as url:
        yield url


async def prepare(url: str, workdir: Path, students: int, people: int) -> None:
    """Migrated, the demo school, `students` more students, the first `people` of them on Telegram."""
    from bot.app import build_runtime
    from bot.services.admin.demo import ensure_demo
    from db.migrate import upgrade

    settings = Settings(_env_file=None, database_url=url, files_dir=workdir / "files", webchat="off")  # type: ignore[call-arg]
    runtime = build_runtime(settings)
    await upgrade(runtime.engine)
    await ensure_demo(runtime)
    sessions = make_sessionmaker(runtime.engine)
    async with sessions() as session, session.begin():
        org_id = await session.scalar(select(Organization.id))
        group_id = await session.scalar(select(Group.id))
        first = (await session.scalar(select(Person.id).order_by(Person.id.desc()).limit(1)) or 0) + 1
        chunk = 5000
        for start in range(0, students, chunk):
            n = min(chunk, students - start)
            await session.execute(
                insert(Person),
                [
                    {
                        "id": first + start + i,
                        "organization_id": org_id,
                        "full_name": f"Студент {start + i:06d}",
                        "locale": "kk" if i % 2 else "ru",
                        "active_role": Role.student,
                    }
                    for i in range(n)
                ],  # fmt: skip
            )
            await session.execute(
                insert(PersonRole),
                [
                    {"person_id": first + start + i, "role": Role.student, "group_id": group_id}
                    for i in range(n)
                ],
            )
        await session.execute(
            insert(MessengerAccount),
            [
                {
                    "channel": Channel.telegram,
                    "external_id": str(FIRST_USER + i),
                    "chat_id": str(FIRST_USER + i),
                    "person_id": first + i,
                    "language_code": "kk",
                }
                for i in range(people)
            ],  # fmt: skip
        )
        if url.startswith("postgresql"):
            await session.execute(text("SELECT setval('person_id_seq', (SELECT max(id) FROM person))"))
    await runtime.engine.dispose()


def ustaz_env(url: str, workdir: Path, api: BotAPIStandIn, port: int, rate: int) -> dict[str, str]:
    return {
        "USTAZ_DATABASE_URL": url,
        "USTAZ_FILES_DIR": str(workdir / "files"),
        "USTAZ_HTTP_PORT": str(port),
        "USTAZ_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "USTAZ_TELEGRAM_TOKEN": TOKEN,
        "USTAZ_TELEGRAM_API_URL": api.base_url,
        "USTAZ_TELEGRAM_MODE": "webhook",
        "USTAZ_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "USTAZ_TELEGRAM_MAX_PER_SECOND": str(rate),
        "USTAZ_WEBCHAT": "off",
    }


def menu_walk(updates: Updates, api: BotAPIStandIn):  # type: ignore[no-untyped-def]
    """A student going through their menus: /menu, then Help, Language and back to the menu."""

    def make(user: TgUser, n: int) -> dict:  # type: ignore[type-arg]
        step = n % 4
        if step == 0:
            return updates.command(user, "menu")
        shown = api.messages(user.id)[-1] if api.messages(user.id) else None
        payload = {1: "help", 2: "lang", 3: "menu"}[step]
        return updates.callback(user, payload, shown)

    return make


def processes_of(kind: str) -> tuple[str, int]:
    """ "postgresql-x2" -> ("postgresql", 2): the database and how many processes serve it."""
    database_kind, _, count = kind.partition("-x")
    return database_kind, int(count or 1)


def bot_command(kind: str) -> list[str]:
    """`python -m bot run`; with USTAZ_BENCH_PROFILE=dir, under py-spy (a flame graph per database)."""
    cmd = [sys.executable, "-m", "bot", "run"]
    out = os.environ.get("USTAZ_BENCH_PROFILE")
    if not out:
        return cmd
    spy = str(Path(sys.executable).with_name("py-spy"))
    seconds = os.environ.get("USTAZ_BENCH_PROFILE_SECONDS", "20")  # py-spy writes when its time is up
    record = ["record", "--rate", "200", "--duration", seconds, "--format", "raw", "-o", f"{out}/{kind}.txt"]
    if processes_of(kind)[1] > 1:
        record.append("--subprocesses")
    return [spy, *record, "--", *cmd]


@dataclass
class Target:
    """One bot under test with its own stand-in, running for the whole interleaved run."""

    name: str
    api: BotAPIStandIn
    pid: int
    stats_url: str  # where its event loop's longest stall is read
    rounds: list[Round] = field(default_factory=list)
    # One numbering of update ids for the whole run: Ustaz's inbox takes a repeated id for a duplicate.
    updates: Updates = field(default_factory=Updates)
    rss: float = 0.0
    stall_ms: int = 0
    processes: int = 1
    database_url: str | None = None  # PostgreSQL: its backends' CPU is counted too


@dataclass
class Round:
    rate: float
    p50: float
    p99: float
    cpu_ms: float  # CPU time of the bot process per update handled
    calls: float  # Bot API calls per update
    db_ms: float = 0.0  # CPU time of the PostgreSQL backends serving the bot, per update
    load_ms: float = 0.0  # CPU time of this benchmark (the load and the Bot API stand-in), per update
    busy: float = 0.0  # how busy the machine's cores were meanwhile, all work counted (0-1)


def family(pid: int) -> list[Any]:
    """The bot's process and every process it started (`--processes N`: the parent and its children)."""
    import psutil

    top = psutil.Process(pid)
    return [top, *top.children(recursive=True)]


def cpu_seconds(pid: int) -> float:
    """CPU time of the bot: summed over its processes."""
    total = 0.0
    for proc in family(pid):
        with contextlib.suppress(Exception):  # a child that ended meanwhile
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def rss_total(pid: int) -> float:
    return sum(rss_mb(p.pid) for p in family(pid))


async def longest_stall(target: Target) -> int:
    """The longest stall of any of its processes: each answers for itself, on a new connection each
    time (the kernel spreads them), until every one has answered or a few tries are used."""
    import aiohttp

    stalls: dict[str, int] = {}
    for _ in range(10 * target.processes):
        async with (
            aiohttp.ClientSession() as http,
            http.get(target.stats_url, headers={"Connection": "close"}) as resp,
        ):
            body = await resp.json()
        stats = body["counters"]["event loop"] if "counters" in body else body
        who = next((name for name in body.get("loops", {}) if name.startswith("process ")), "")
        stalls[who] = max(stalls.get(who, 0), int(stats["longest_stall_ms"]))
        if len(stalls) >= target.processes:
            break
    return max(stalls.values())


@contextlib.asynccontextmanager
async def running_target(kind: str, args: argparse.Namespace, workdir: Path) -> AsyncIterator[Target]:
    async with stand_in() as api:
        if kind == "echo":
            cmd = [sys.executable, "bench/telegram_echo.py", "--api", api.base_url, "--token", TOKEN]
            async with process(cmd, {}, "listening") as (proc, line):
                api.webhook["secret_token"] = "echo-secret"
                port = int(line.split()[-1])
                yield Target("aiogram echo (no DB)", api, proc.pid, f"http://127.0.0.1:{port}/stats")
            return
        database_kind, count = processes_of(kind)
        async with database(database_kind, workdir) as url:
            await prepare(url, workdir, args.students, args.people)
            port = free_port()
            env = ustaz_env(url, workdir, api, port, rate=0) | {"USTAZ_PROCESSES": str(count)}
            async with process(bot_command(kind), env, "Ustaz is running") as (proc, _):
                # Ustaz registers its webhook in the background once it runs: wait for it.
                await api.wait_for(lambda: bool(api.webhook.get("url")), timeout=60)
                name = f"Ustaz, {database_kind}" + (f" x{count}" if count > 1 else "")
                yield Target(name, api, proc.pid, f"http://127.0.0.1:{port}/healthz", processes=count,
                             database_url=url)  # fmt: skip


async def backends(url: str | None) -> list[int]:
    """The PostgreSQL backends of the bot's database (their CPU is the database's share)."""
    if url is None or not url.startswith("postgresql"):
        return []
    import asyncpg  # type: ignore[import-untyped]

    from bot.queues.shards import asyncpg_dsn

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    return [int(r[0]) for r in rows]


def cpu_of(pids: list[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        with contextlib.suppress(Exception):  # a backend that ended meanwhile
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
    return total


async def measure(target: Target, people: list[TgUser], seconds: float) -> None:
    import psutil

    db = await backends(target.database_url)
    calls, cpu, db_cpu = len(target.api.calls), cpu_seconds(target.pid), cpu_of(db)
    load_cpu, machine = cpu_of([os.getpid()]), psutil.cpu_times()
    fig = await closed_loop(target.api, people, menu_walk(target.updates, target.api), seconds, target.name)
    handled = max(fig.handled, 1)
    after = psutil.cpu_times()
    idle = (after.idle + after.iowait) - (machine.idle + machine.iowait)
    total = sum(after) - sum(machine)
    target.rounds.append(
        Round(
            rate=fig.rate,
            p50=fig.pct(50),
            p99=fig.pct(99),
            cpu_ms=(cpu_seconds(target.pid) - cpu) * 1000 / handled,
            calls=(len(target.api.calls) - calls) / handled,
            db_ms=(cpu_of(db) - db_cpu) * 1000 / handled,
            load_ms=(cpu_of([os.getpid()]) - load_cpu) * 1000 / handled,
            busy=1 - idle / total if total else 0.0,
        )
    )


def spread(values: list[float], digits: int = 0) -> str:
    return "/".join(f"{v:,.{digits}f}" for v in (min(values), statistics.median(values), max(values)))


def report(targets: list[Target]) -> None:
    echo = targets[0] if targets[0].name.startswith("aiogram") else None
    base_rate = statistics.median(r.rate for r in echo.rounds) if echo else None
    base_cpu = statistics.median(r.cpu_ms for r in echo.rounds) if echo else None
    print(
        f"{'target':<22} {'updates/s min/med/max':>22} {'x echo':>6} {'p50 ms':>7} "
        f"{'p99 ms min/med/max':>20} {'CPU ms/update':>17} {'x echo':>6} {'calls/upd':>9} "
        + f"{'RSS MB':>7} {'stall ms':>8}"
    )
    for t in targets:
        rates = [r.rate for r in t.rounds]
        cpus = [r.cpu_ms for r in t.rounds]
        x_rate = f"{statistics.median(rates) / base_rate:.2f}" if base_rate else "-"
        x_cpu = f"{statistics.median(cpus) / base_cpu:.2f}" if base_cpu else "-"
        print(
            f"{t.name:<22} {spread(rates):>22} {x_rate:>6} {statistics.median(r.p50 for r in t.rounds):7.0f} "
            f"{spread([r.p99 for r in t.rounds]):>20} {spread(cpus, 2):>17} {x_cpu:>6} "
            f"{statistics.median(r.calls for r in t.rounds):9.2f} {t.rss:7.0f} {t.stall_ms:8d}"
        )
    print("\nWhere the machine's CPU went, per update (medians): the bot, its PostgreSQL backends, this")
    print("benchmark (the load and the Bot API stand-in), and how busy the cores were, all work counted")
    for t in targets:
        med = {k: statistics.median(getattr(r, k) for r in t.rounds) for k in ("cpu_ms", "db_ms", "load_ms")}
        print(
            f"{t.name:<22} bot {med['cpu_ms']:5.2f} ms + database {med['db_ms']:5.2f} ms + load "
            f"{med['load_ms']:5.2f} ms = {sum(med.values()):5.2f} ms; cores busy "
            f"{spread([r.busy * 100 for r in t.rounds])} %"
        )
    one = next((t for t in targets if t.name == "Ustaz, postgresql"), None)
    for t in targets:
        if one is not None and t.processes > 1 and t.name.startswith("Ustaz, postgresql"):
            ratio = statistics.median(r.rate for r in t.rounds) / statistics.median(
                r.rate for r in one.rounds
            )
            rounds = "/".join(f"{a.rate / b.rate:.2f}" for a, b in zip(t.rounds, one.rounds, strict=True))
            print(
                f"{t.processes} processes vs 1 on PostgreSQL: {ratio:.2f}x updates/s (medians; "
                f"round by round {rounds}) on {os.cpu_count()} cores shared with the load and the database"
            )


async def update_path(args: argparse.Namespace, tmp: str) -> None:
    """Every target runs at once but only one is loaded at a time, in turn, round after round (the order
    rotating), so a slower minute of the shared machine falls on all of them alike."""
    people = [TgUser(FIRST_USER + i, f"Оқушы{i}", language_code="kk") for i in range(args.people)]
    kinds = os.environ.get("USTAZ_BENCH_TARGETS", "echo sqlite postgresql").split()
    async with contextlib.AsyncExitStack() as stack:
        targets = []
        for kind in kinds:
            workdir = Path(tmp) / kind
            workdir.mkdir()
            targets.append(await stack.enter_async_context(running_target(kind, args, workdir)))
        for target in targets:  # caches, connections and JIT-free Python's first paths: not measured
            await closed_loop(
                target.api, people, menu_walk(target.updates, target.api), args.warmup, target.name
            )
        for n in range(args.rounds):
            for target in targets[n % len(targets) :] + targets[: n % len(targets)]:
                await measure(target, people, args.seconds)
        for target in targets:
            target.rss = rss_total(target.pid)
            target.stall_ms = await longest_stall(target)
    report(targets)


async def outbox_rate(kind: str, count: int, rate: int, workdir: Path, students: int) -> str:
    people = min(count, 2000)
    limits = Limits() if rate else Limits(enabled=False)
    async with BotAPIStandIn(limits=limits, record_bodies=False) as api, database(kind, workdir) as url:
        await prepare(url, workdir, max(students, people), people)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        async with sessions() as session:
            accounts = (
                await session.scalars(
                    select(MessengerAccount.id)
                    .where(MessengerAccount.channel == Channel.telegram)
                    .order_by(MessengerAccount.id)
                )
            ).all()
        port = free_port()
        env = ustaz_env(url, workdir, api, port, rate=rate)
        async with process([sys.executable, "-m", "bot", "run"], env, "Ustaz is running") as (proc, _):
            from bot.core.messages import Reply
            from db.base import utcnow

            async with sessions() as session, session.begin():
                now = utcnow()
                await session.execute(
                    insert(OutboxMessage),
                    [
                        {
                            "account_id": accounts[i % len(accounts)],
                            "kind": "notice",
                            "priority": 0,
                            "payload": Reply(f"Ертең 10:00 — бақылау жұмысы №{i}").to_json(),
                            "not_before": now,
                            "created_at": now,
                            "attempts": 0,
                        }
                        for i in range(count)
                    ],  # fmt: skip
                )
            await api.wait_for(
                lambda: len(api.sent(ok_only=False)) >= count, timeout=count / max(rate, 100) * 3 + 60
            )
            times = [c.at for c in api.sent()]
            rss = rss_mb(proc.pid)
        await engine.dispose()
    span = max(times) - min(times)
    achieved = (len(times) - 1) / span if span else float("inf")
    limit = f"{rate}/s" if rate else "lifted"
    share = f"{achieved / rate * 100:5.1f}%" if rate else "     -"
    return (f"{kind:<10} {limit:>7} {count:7d} {len(times):7d} {achieved:9.1f} {share} "
            f"{api.rate_limited:5d} {rss:7.1f}")  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=5, help="seconds of unmeasured load per target first")
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--notices", type=int, default=1500)
    parser.add_argument("--lifted", type=int, default=10_000)
    parser.add_argument("--only", choices=["path", "outbox"], default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "path"):
            print(
                f"\nWebhook path to a reply: {args.people} students in closed loop, "
                f"{args.rounds} interleaved rounds of {args.seconds:.0f} s per target, "
                + f"{args.students} students in the database, limits lifted"
            )
            await update_path(args, tmp)
        if args.only in (None, "outbox"):
            print("\nOutbox delivery rate (first to last send at the stand-in)")
            print(
                f"{'database':<10} {'limit':>7} {'rows':>7} {'sent':>7} {'sends/s':>9} {'of lim':>6} "
                f"{'429s':>5} {'RSS MB':>7}"
            )
            for kind in ("sqlite", "postgresql"):
                for count, rate in ((args.notices, 30), (args.lifted, 0)):
                    workdir = Path(tmp) / f"out-{kind}-{rate}"
                    workdir.mkdir()
                    print(await outbox_rate(kind, count, rate, workdir, 0), flush=True)


if __name__ == "__main__":
    started = time.monotonic()
    asyncio.run(main())
    print(f"\n(total {time.monotonic() - started:.0f} s)")
