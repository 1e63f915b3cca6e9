"""Telegram benchmarks: the webhook path to a reply, the outbox's delivery rate, the process's memory.

    .venv/bin/python bench/telegram_bench.py [--seconds 20] [--people 50] [--students 100000]

Everything runs on loopback against the Bot API stand-in (tests/stand_ins/telegram_api.py):

1. updates a second and p50/p99 latency from POSTing an update to the webhook until its reply reaches
   the stand-in, for joined students using their menus (/menu, Help, Language, back to the menu),
   side by side: a bare aiogram echo bot behind its own webhook (no database), Ustaz on SQLite,
   Ustaz on PostgreSQL; flood limits lifted on both sides so that the pipeline is what is measured;
2. the outbox's delivery rate within Telegram's limits (30/s, no 429 allowed) and with the limits lifted;
3. the RSS of each bot process after its run, with --students students in Ustaz's database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import insert, select, text  # noqa: E402
from telegram_load import HEADER, Figures, closed_loop, process, rss_mb, stand_in  # noqa: E402

from bot.config import Settings  # noqa: E402
from db.models import Channel, Group, MessengerAccount, Organization, OutboxMessage, Person, PersonRole, Role  # noqa: E402
from db.session import make_engine, make_sessionmaker  # noqa: E402
from tests.stand_ins.telegram_api import TOKEN, BotAPIStandIn, Limits, TgUser, Updates  # noqa: E402

PG_ADMIN = os.environ.get("USTAZ_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
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
    name = f"ustaz_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


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


def bot_command(kind: str) -> list[str]:
    """`python -m bot run`; with USTAZ_BENCH_PROFILE=dir, under py-spy (a flame graph per database)."""
    cmd = [sys.executable, "-m", "bot", "run"]
    out = os.environ.get("USTAZ_BENCH_PROFILE")
    if not out:
        return cmd
    spy = str(Path(sys.executable).with_name("py-spy"))
    seconds = os.environ.get("USTAZ_BENCH_PROFILE_SECONDS", "20")  # py-spy writes when its time is up
    record = ["record", "--rate", "200", "--duration", seconds, "--format", "raw", "-o", f"{out}/{kind}.txt"]
    return [spy, *record, "--", *cmd]


async def update_path(kind: str, args: argparse.Namespace, workdir: Path) -> Figures:
    people = [TgUser(FIRST_USER + i, f"Оқушы{i}", language_code="kk") for i in range(args.people)]
    async with stand_in() as api:
        if kind == "echo":
            cmd = [sys.executable, "bench/telegram_echo.py", "--api", api.base_url, "--token", TOKEN]
            async with process(cmd, {}, "listening") as (proc, _):
                api.webhook["secret_token"] = "echo-secret"
                fig = await closed_loop(
                    api, people, menu_walk(Updates(), api), args.seconds, "aiogram echo (no DB)"
                )
                fig.rss_mb = rss_mb(proc.pid)
                return fig
        async with database(kind, workdir) as url:
            await prepare(url, workdir, args.students, args.people)
            port = free_port()
            env = ustaz_env(url, workdir, api, port, rate=0)
            async with process(bot_command(kind), env, "Ustaz is running") as (proc, _):
                # Ustaz registers its webhook in the background once it runs: wait for it.
                await api.wait_for(lambda: bool(api.webhook.get("url")), timeout=60)
                fig = await closed_loop(
                    api, people, menu_walk(Updates(), api), args.seconds, f"Ustaz, {kind}"
                )
                fig.rss_mb = rss_mb(proc.pid)
                return fig


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
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--notices", type=int, default=1500)
    parser.add_argument("--lifted", type=int, default=10_000)
    parser.add_argument("--only", choices=["path", "outbox"], default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "path"):
            print(
                f"\nWebhook path to a reply: {args.people} students in closed loop for {args.seconds:.0f} s, "
                f"{args.students} students in the database, limits lifted"
            )
            print(HEADER)
            for kind in os.environ.get("USTAZ_BENCH_TARGETS", "echo sqlite postgresql").split():
                workdir = Path(tmp) / kind
                workdir.mkdir()
                print((await update_path(kind, args, workdir)).row(), flush=True)
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
