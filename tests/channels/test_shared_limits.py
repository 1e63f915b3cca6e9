"""Rate limits shared through Redis: two limiters (as two processes would have) keep them together."""

from __future__ import annotations

import asyncio
import heapq
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from redis.asyncio import Redis

from bot import redis_state
from bot.app import build_runtime, running
from bot.channels.telegram.bridge import TelegramSender
from bot.channels.telegram.limits import RateLimiter, TelegramLimits
from bot.channels.telegram.outgoing import TelegramOut
from bot.channels.telegram.shared_limits import SharedRateLimiter
from bot.channels.telegram.unconfirmed import Unconfirmed
from bot.channels.whatsapp.sender import RateLimiter as WhatsAppRateLimiter
from bot.channels.whatsapp.sender import make_limiter as whatsapp_limiter
from bot.channels.whatsapp.shared_rate import SharedRateLimiter as SharedPacer
from bot.config import SettingsError
from bot.core.messages import Reply
from bot.queues.outbox import Delivery, DeliveryResult, OutboxSender, enqueue
from bot.services.admin.demo import ensure_demo
from db.models import Channel
from tests.channels.telegram_app import outbox_idle, telegram_ustaz
from tests.channels.test_telegram_outbox import people_on_telegram
from tests.harness import settings_for
from tests.stand_ins.telegram_api import TOKEN, BotAPIStandIn, _Bucket

REDIS_URL = "redis://127.0.0.1:6379/0"


class FakeClock:
    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def prefix() -> str:
    return f"ustaz-test-{uuid.uuid4().hex}"


@pytest.fixture
async def redises(prefix: str) -> AsyncIterator[list[Redis]]:
    """Two clients with their own connections, as two processes have; the test's keys removed after."""
    clients = [redis_state.connect(REDIS_URL), redis_state.connect(REDIS_URL)]
    yield clients
    keys = [k async for k in clients[0].scan_iter(match=f"{prefix}:*")]
    if keys:
        await clients[0].delete(*keys)
    for c in clients:
        await c.aclose()


def most_in_any_window(times: list[float], seconds: float) -> int:
    times = sorted(times)
    most, first = 0, 0
    for last, t in enumerate(times):
        while times[first] <= t - seconds + 1e-9:
            first += 1
        most = max(most, last - first + 1)
    return most


def over_bucket(times: list[float]) -> bool:
    """Whether the stand-in's per-chat bucket (1 a second, bursts of 3) would have answered 429."""
    bucket = _Bucket(1.0, 3)
    for t in sorted(times):
        if bucket.check(t + 1e-6) > 0:  # a microsecond for the float sums of the fake clock
            return True
        bucket.add(t)
    return False


async def drive(limiters: list[SharedRateLimiter], clock: FakeClock, queued: dict[str, int],
                latency: float) -> list[tuple[float, float, str]]:  # fmt: skip
    """Each limiter sends `queued[chat]` messages to every chat, one at a time per chat (as the outbox
    does), each taking `latency` seconds to be answered; the fake clock jumps from event to event."""
    events: list[tuple[float, int, str, int, str]] = []  # (time, order, what, limiter, chat)
    order = 0
    left = {(i, chat): n for i in range(len(limiters)) for chat, n in queued.items()}
    for i, chat in left:
        heapq.heappush(events, (clock.now, order := order + 1, "try", i, chat))
    started: dict[tuple[int, str], tuple[float, str]] = {}
    sends: list[tuple[float, float, str]] = []
    while events:
        at, _, what, i, chat = heapq.heappop(events)
        clock.now = at
        if what == "try":
            token = uuid.uuid4().hex
            wait = await limiters[i].try_take(chat, token)
            if wait > 0:
                heapq.heappush(events, (at + wait, order := order + 1, "try", i, chat))
                continue
            started[i, chat] = (at, token)
            heapq.heappush(events, (at + latency, order := order + 1, "answer", i, chat))
        else:
            begun, token = started.pop((i, chat))
            await limiters[i].give_back(chat, token)
            sends.append((begun, at, chat))
            left[i, chat] -= 1
            if left[i, chat]:
                heapq.heappush(events, (at, order := order + 1, "try", i, chat))
    return sends


async def test_two_telegram_limiters_keep_30_a_second_and_each_chats_limit_together(
    redises: list[Redis], prefix: str
) -> None:
    clock = FakeClock()
    limits = TelegramLimits()
    limiters = [SharedRateLimiter(limits, r, "777", prefix=prefix, clock=clock) for r in redises]
    chats = [str(500 + n) for n in range(20)]
    sends = await drive(limiters, clock, {chat: 6 for chat in chats}, latency=0.03)

    assert len(sends) == 2 * 20 * 6
    # Telegram gets each request somewhere between its start and its answer: both ends are counted.
    for moment in (0, 1):
        times = [s[moment] for s in sends]
        assert most_in_any_window(times, 1.0) == 30, "30 a second together, and the limit is reached"
        for chat in chats:
            mine = [s[moment] for s in sends if s[2] == chat]
            assert most_in_any_window(mine, 3.0) <= 3, f"chat {chat}: at most a burst of 3, then 1 a second"
            assert not over_bucket(mine), f"chat {chat}: Telegram's 1 a second with bursts of 3 is kept"
    took = max(s[1] for s in sends) - min(s[0] for s in sends)
    assert took >= 240 / 30 - 1, "240 messages cannot go faster than 30 a second"


async def test_two_telegram_limiters_keep_a_groups_20_a_minute_together(
    redises: list[Redis], prefix: str
) -> None:
    clock = FakeClock()
    limiters = [SharedRateLimiter(TelegramLimits(), r, "777", prefix=prefix, clock=clock) for r in redises]
    sends = await drive(limiters, clock, {"-100123": 15}, latency=0.05)
    starts = [s[0] for s in sends]
    assert len(sends) == 30
    assert most_in_any_window(starts, 60.0) == 20
    assert max(starts) - min(starts) >= 60.0


async def test_a_retry_after_pauses_the_other_process_too(redises: list[Redis], prefix: str) -> None:
    clock = FakeClock()
    a, b = (SharedRateLimiter(TelegramLimits(), r, "777", prefix=prefix, clock=clock) for r in redises)
    assert await a.try_take("501", "t1") == 0.0
    assert await a.refused("501", "t1", 5.0, 0.0) == "bot", "an idle chat refused: the bot's limit"
    assert await b.try_take("502", "t2") == pytest.approx(5.0), "everything waits for Telegram's word"
    clock.now += 5.0
    assert await b.try_take("502", "t2") == 0.0


async def test_two_whatsapp_limiters_keep_80_a_second_together(redises: list[Redis], prefix: str) -> None:
    clock = FakeClock()
    pacers = [SharedPacer(80, r, "whatsapp:+77010000000", prefix=prefix, clock=clock) for r in redises]
    sends: list[float] = []
    # Each process takes a moment and sends at it; the clock moves to the earliest pending send.
    pending = [(clock.now, i) for i in range(2)]
    while len(sends) < 2 * 400:
        pending.sort()
        clock.now, i = pending.pop(0)
        delay = await pacers[i].reserve()
        at = clock.now + max(0.0, delay)
        sends.append(at)
        pending.append((at, i))
    assert most_in_any_window(sends, 1.0) <= 80 + 20, "80 a second, plus the quarter second of catch-up"
    assert max(sends) - min(sends) >= 800 / 80 - 0.25 - 0.05
    steady = [t for t in sends if t >= min(sends) + 1.0]
    assert most_in_any_window(steady, 1.0) == 80, "past the catch-up, exactly 80 a second together"


async def test_the_keys_expire_when_idle(redises: list[Redis], prefix: str) -> None:
    tg = SharedRateLimiter(TelegramLimits(), redises[0], "777", prefix=prefix)
    await tg.try_take("501", "t1")
    await tg.give_back("501", "t1")
    wa = SharedPacer(80, redises[0], "whatsapp:+77010000000", prefix=prefix)
    await wa.reserve()
    keys = [k async for k in redises[0].scan_iter(match=f"{prefix}:*")]
    assert len(keys) == 4, keys  # Telegram's two windows and its paces, WhatsApp's next moment
    ttls = [await redises[0].pttl(k) for k in keys]
    assert all(0 < ttl <= 400_000 for ttl in ttls), f"nothing stays in Redis once idle: {ttls}"


async def test_without_redis_the_limiters_fall_back_and_say_so(
    caplog: pytest.LogCaptureFixture, prefix: str
) -> None:
    gone = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)  # nothing listens there
    tg = SharedRateLimiter(TelegramLimits(), gone, "777", prefix=prefix)
    wa = SharedPacer(80, gone, "whatsapp:+77010000000", prefix=prefix)
    with caplog.at_level(logging.WARNING):
        async with tg.slot("501"):
            pass
        await wa.wait()
    assert tg.guard.down and wa.guard.down
    assert tg.fallback._chat("501").ends, "the per-process limiter counted the send"
    warned = [r.getMessage() for r in caplog.records if "USTAZ_REDIS_URL" in r.getMessage()]
    assert len(warned) == 2 and "kept per process" in warned[0]
    await gone.aclose()


class Counting:
    """A Telegram sender that counts what went through it: which process sent what."""

    def __init__(self, inner: TelegramSender) -> None:
        self.inner = inner
        self.channel = inner.channel
        self.delivered = 0

    async def deliver(self, delivery: Delivery) -> DeliveryResult:
        outcome = await self.inner.deliver(delivery)
        self.delivered += 1
        return outcome


async def test_two_outbox_senders_drain_200_notices_to_20_chats_without_a_429(
    engine, database_url: str, db_kind: str, tmp_path: Path, api: BotAPIStandIn, prefix: str
) -> None:
    if db_kind == "sqlite":
        pytest.skip("several processes share PostgreSQL; one process serves SQLite (claims need SKIP LOCKED)")
    runtimes = [build_runtime(settings_for(database_url, tmp_path / f"p{n}", webchat="off")) for n in (1, 2)]
    await ensure_demo(runtimes[0])
    people = await people_on_telegram(runtimes[0], 20, 66_000)
    async with runtimes[0].sessions() as session, session.begin():
        for n in range(10):
            for pid in people:
                await enqueue(session, Reply(f"Хабарлама №{n + 1}"), person_id=pid, dedupe_key=f"n{n}:{pid}")
    bots, senders, redises = [], [], []
    for runtime in runtimes:  # each "process" with its own bot session, Redis connection and sender
        bots.append(Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url))))
        redises.append(redis_state.connect(REDIS_URL))
        limiter = SharedRateLimiter(TelegramLimits(), redises[-1], TOKEN.split(":")[0], prefix=prefix)
        senders.append(Counting(TelegramSender(TelegramOut(bots[-1], limiter))))
        runtime.channel_senders[Channel.telegram] = senders[-1]
        runtime.sender = OutboxSender(runtime, batch=20)  # small claims, so that both get work
    stop = asyncio.Event()
    tasks = [asyncio.create_task(s.run(stop)) for s in [r.sender for r in runtimes] if s]
    try:
        await api.wait_for(lambda: len(api.sent()) >= 200, timeout=60)
        await outbox_idle(runtimes[0])
    finally:
        stop.set()
        for r in runtimes:
            r.wake_sender()
        await asyncio.gather(*tasks)
        for b in bots:
            await b.session.close()
        keys = [k async for k in redises[0].scan_iter(match=f"{prefix}:*")]
        if keys:
            await redises[0].delete(*keys)
        for c in redises:
            await c.aclose()
        for r in runtimes:
            await r.engine.dispose()
    assert api.rate_limited == 0, "together they kept Telegram's limits: no 429"
    assert len(api.sent()) == 200
    assert all(s.delivered for s in senders), f"both processes sent: {[s.delivered for s in senders]}"
    for i in range(20):  # each chat got its ten, once each
        texts = sorted(m.text for m in api.messages(66_000 + i))
        assert texts == sorted(f"Хабарлама №{n + 1}" for n in range(10))


async def test_an_unreachable_redis_stops_the_start_naming_the_setting(
    engine, database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(database_url, tmp_path, redis_url="redis://127.0.0.1:1/0")
    runtime = build_runtime(settings)
    try:
        with pytest.raises(SettingsError) as err:
            async with running(runtime, port=0):
                pass
    finally:
        await runtime.engine.dispose()
    assert "USTAZ_REDIS_URL" in str(err.value)


async def test_with_redis_url_both_channels_share_their_limits(
    engine, database_url: str, tmp_path: Path, api: BotAPIStandIn
) -> None:
    async with telegram_ustaz(database_url, tmp_path, api, "polling", demo=False, redis_url=REDIS_URL) as tg:
        sender = tg.runtime.channel_senders[Channel.telegram]
        assert isinstance(sender, TelegramSender) and isinstance(sender.out.limiter, Unconfirmed)
        limiter = sender.out.limiter.limiter  # the sends awaiting their commit are bounded per process
        assert isinstance(limiter, SharedRateLimiter)
        assert limiter.keys == "ustaz:tg:{123456}", "keyed by the bot's id, never its token"
        tg.runtime.settings.twilio_whatsapp_from = "whatsapp:+77010000000"
        pacer = whatsapp_limiter(tg.runtime)
        assert isinstance(pacer, SharedPacer) and pacer.key == "ustaz:wa:{whatsapp:+77010000000}:next"
    async with telegram_ustaz(database_url, tmp_path, api, "polling", demo=False) as tg:
        sender = tg.runtime.channel_senders[Channel.telegram]
        assert isinstance(sender, TelegramSender) and isinstance(sender.out.limiter.limiter, RateLimiter)
        assert isinstance(whatsapp_limiter(tg.runtime), WhatsAppRateLimiter)
