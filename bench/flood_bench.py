"""Flood control: the outbox against a Telegram that throttles harder than Ustaz is configured for.

    .venv/bin/python bench/flood_bench.py [--runs 3] [--db sqlite postgresql] [--root DIR]

Ustaz runs as its own process (`python -m bot run`, the standard 30/s and 1/s per chat with
bursts of 3) against the Bot API stand-in on loopback, with the rows already in its outbox:

(a) the stand-in allows 3/s overall and 0.5/s per chat: an announcement to --a-chats chats and
    --a-replies replies spread over --a-reply-chats of them;
(b) the stand-in allows 20/s overall (1/s per chat): an announcement to --b-chats chats and
    --b-replies replies spread over --b-reply-chats of them;
(c) 12 notices to each of 50 chats, the stand-in throttling nothing beyond 1/s per chat.

Each scenario runs --runs times, interleaved (run 1 of every scenario and database, then run 2...),
on SQLite in a temporary directory and on a fresh PostgreSQL database the benchmark creates and drops.
Printed per scenario and database, as min / median / max: attempts, 429 answers and their share of
the attempts, the time from the first attempt to the last message vs the least time the stand-in's
limits allow, and the achieved rate (messages over that time) as % of Ustaz's configured 30/s.
--root runs the bot from another checkout (e.g. `git archive` of an earlier commit) for a before/after.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import telegram_load  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402
from telegram_bench import database, free_port, prepare, ustaz_env  # noqa: E402
from telegram_load import process  # noqa: E402

from bot.core.messages import Reply  # noqa: E402
from bot.queues.outbox import REPLY_PRIORITY  # noqa: E402
from db.base import utcnow  # noqa: E402
from db.models import Channel, MessengerAccount, OutboxMessage  # noqa: E402
from db.session import make_engine, make_sessionmaker  # noqa: E402
from tests.stand_ins.telegram_api import BotAPIStandIn, Limits  # noqa: E402

CONFIGURED = 30  # USTAZ_TELEGRAM_MAX_PER_SECOND, the default
VERBOSE = False


@dataclass(frozen=True)
class Scenario:
    name: str
    limits: Limits
    rows: list[tuple[int, int]]  # (chat index, priority) in insertion order

    @property
    def chats(self) -> int:
        return max(c for c, _ in self.rows) + 1

    def allowed_seconds(self) -> float:
        """The least time the limits allow (the stand-in's or Ustaz's configured 30/s and 1/s per chat,
        whichever is lower): the overall rate, or the busiest chat's bucket."""
        per_chat = Counter(c for c, _ in self.rows)
        overall = (len(self.rows) - 1) / min(CONFIGURED, self.limits.global_per_sec)
        chat_rate = min(1.0, self.limits.chat_per_sec)
        busiest = (max(per_chat.values()) - self.limits.chat_burst) / chat_rate
        return max(overall, busiest)


def announcement(chats: int, replies: int, reply_chats: int) -> list[tuple[int, int]]:
    rows = [(c, 0) for c in range(chats)]
    rows += [(i % reply_chats, REPLY_PRIORITY) for i in range(replies)]
    return rows


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    return [
        Scenario("(a) 3/s + 0.5/s/chat", Limits(global_per_sec=3, chat_per_sec=0.5),
                 announcement(args.a_chats, args.a_replies, args.a_reply_chats)),
        Scenario("(b) 20/s", Limits(global_per_sec=20),
                 announcement(args.b_chats, args.b_replies, args.b_reply_chats)),
        Scenario("(c) 12 x 50, 1/s/chat", Limits(global_per_sec=10_000),
                 [(c, 0) for _ in range(12) for c in range(50)]),
    ]  # fmt: skip


@dataclass
class Result:
    attempts: int
    refused: int
    elapsed: float
    allowed: float
    sent: int

    @property
    def share(self) -> float:
        return self.refused / self.attempts * 100

    @property
    def of_configured(self) -> float:
        return (self.sent - 1) / self.elapsed / CONFIGURED * 100


async def run_one(kind: str, scenario: Scenario, workdir: Path, root: Path) -> Result:
    async with (
        BotAPIStandIn(limits=scenario.limits, record_bodies=False) as api,
        database(kind, workdir) as url,
    ):
        await prepare(url, workdir, scenario.chats, scenario.chats)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        async with sessions() as session:
            ours = select(MessengerAccount.id).where(MessengerAccount.channel == Channel.telegram)
            accounts = (await session.scalars(ours.order_by(MessengerAccount.id))).all()
        env = ustaz_env(url, workdir, api, free_port(), rate=CONFIGURED)
        telegram_load.ROOT = root  # the checkout whose bot runs
        async with process([sys.executable, "-m", "bot", "run"], env, "Ustaz is running"):
            now = utcnow()
            async with sessions() as session, session.begin():
                await session.execute(insert(OutboxMessage), [
                    {"account_id": accounts[chat], "kind": "reply" if prio else "notice", "priority": prio,
                     "payload": Reply(f"Хабарлама №{i}").to_json(), "not_before": now, "created_at": now,
                     "attempts": 0}
                    for i, (chat, prio) in enumerate(scenario.rows)
                ])  # fmt: skip
            count = len(scenario.rows)
            allowed = scenario.allowed_seconds()
            await api.wait_for(lambda: len(api.sent()) >= count, timeout=allowed * 4 + 120)
            calls = api.sent(ok_only=False)
        await engine.dispose()
    if VERBOSE:
        print(
            "  429s at (s from the first attempt)",
            [round(c.at - calls[0].at, 2) for c in calls if c.status == 429],
        )
    sent = [c.at for c in calls if c.ok]
    elapsed = max(sent) - min(c.at for c in calls)
    return Result(len(calls), api.rate_limited, elapsed, allowed, len(sent))


def spread(values: list[float], fmt: str) -> str:
    return "/".join(format(v, fmt) for v in (min(values), statistics.median(values), max(values)))


def report(name: str, kind: str, results: list[Result]) -> str:
    return (
        f"{name:<22} {kind:<10} {spread([r.attempts for r in results], '.0f'):>15} "
        f"{spread([r.refused for r in results], '.0f'):>12} {spread([r.share for r in results], '.1f'):>15} "
        f"{spread([r.elapsed for r in results], '.1f'):>17} {results[0].allowed:>7.1f} "
        f"{spread([r.elapsed / r.allowed for r in results], '.2f'):>15} "
        f"{spread([r.of_configured for r in results], '.1f'):>17}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--only", nargs="+", default=["a", "b", "c"], choices=["a", "b", "c"])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose bot runs")
    parser.add_argument("--a-chats", type=int, default=20)
    parser.add_argument("--a-replies", type=int, default=100)
    parser.add_argument("--a-reply-chats", type=int, default=10)
    parser.add_argument("--b-chats", type=int, default=50)
    parser.add_argument("--b-replies", type=int, default=320)
    parser.add_argument("--b-reply-chats", type=int, default=40)
    parser.add_argument("--verbose", action="store_true", help="print when each 429 came")
    args = parser.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    chosen = [s for s in scenarios(args) if s.name[1] in args.only]
    results: dict[tuple[str, str], list[Result]] = {(s.name, k): [] for s in chosen for k in args.db}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            for scenario in chosen:
                for kind in args.db:
                    workdir = Path(tmp) / f"{run}-{scenario.name[1]}-{kind}"
                    workdir.mkdir()
                    r = await run_one(kind, scenario, workdir, args.root)
                    results[scenario.name, kind].append(r)
                    print(f"run {run + 1} {scenario.name} {kind}: {r.attempts} attempts, {r.refused} x 429 "
                          f"({r.share:.1f} %), {r.elapsed:.1f} s (limit allows {r.allowed:.1f} s), "
                          f"{r.of_configured:.1f} % of {CONFIGURED}/s", flush=True)  # fmt: skip
    print(f"\nmin/median/max over {args.runs} runs; the bot from {args.root}")
    print(f"{'scenario':<22} {'database':<10} {'attempts':>15} {'429s':>12} {'429 share %':>15} "
          f"{'elapsed s':>17} {'allowed':>7} {'elapsed/allowed':>15} {'% of 30/s':>17}")  # fmt: skip
    for (name, kind), rs in results.items():
        print(report(name, kind, rs))


if __name__ == "__main__":
    started = time.monotonic()
    asyncio.run(main())
    print(f"\n(total {time.monotonic() - started:.0f} s)")
