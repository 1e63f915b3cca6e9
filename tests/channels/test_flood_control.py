"""When Telegram throttles harder than Ustaz is configured for: a 429 pauses the bucket it belongs to.

The rule (bot/channels/telegram/limits.py) is driven here with a fake clock in both limiters, the
process's own and the one shared through Redis, and end to end through the outbox against a stand-in
that throttles.
"""

from __future__ import annotations

import heapq
import math
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import pytest
from redis.asyncio import Redis

from bot import redis_state
from bot.channels.telegram import limits as tg
from bot.channels.telegram.limits import RateLimiter, TelegramLimits
from bot.channels.telegram.shared_limits import SharedRateLimiter
from bot.core.messages import Reply
from bot.queues.outbox import enqueue
from tests.channels.telegram_app import outbox_idle, telegram_ustaz
from tests.channels.test_shared_limits import REDIS_URL, FakeClock, most_in_any_window
from tests.channels.test_telegram_outbox import people_on_telegram
from tests.stand_ins.telegram_api import BotAPIStandIn, Limits, _Bucket, _Window


class Driven(Protocol):
    """One limiter as the fake-clock tests drive it, whichever kind it is."""

    async def take(self, chat: str, token: str) -> float: ...
    async def give(self, chat: str, token: str) -> None: ...
    async def refuse(self, chat: str, token: str, retry_after: float, age: float) -> str: ...


class Local:
    def __init__(self, clock: FakeClock) -> None:
        self.limiter = RateLimiter(TelegramLimits(), clock=clock)

    async def take(self, chat: str, token: str) -> float:
        wait = self.limiter.try_take(chat)
        return 0.05 if wait is None else wait  # only running sends block: look again, as Redis's poll

    async def give(self, chat: str, token: str) -> None:
        self.limiter.give_back(chat)

    async def refuse(self, chat: str, token: str, retry_after: float, age: float) -> str:
        return self.limiter.refused(chat, retry_after, age)


class Shared:
    def __init__(self, clock: FakeClock, redis: Redis, prefix: str) -> None:
        self.limiter = SharedRateLimiter(TelegramLimits(), redis, "777", prefix=prefix, clock=clock)

    async def take(self, chat: str, token: str) -> float:
        return await self.limiter.try_take(chat, token)

    async def give(self, chat: str, token: str) -> None:
        await self.limiter.give_back(chat, token)

    async def refuse(self, chat: str, token: str, retry_after: float, age: float) -> str:
        return await self.limiter.refused(chat, token, retry_after, age)


@pytest.fixture
async def redis() -> AsyncIterator[tuple[Redis, str]]:
    prefix = f"ustaz-test-{uuid.uuid4().hex}"
    client = redis_state.connect(REDIS_URL)
    yield client, prefix
    keys = [k async for k in client.scan_iter(match=f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture(params=["local", "shared"])
async def limiter(request: pytest.FixtureRequest, redis: tuple[Redis, str]) -> tuple[Driven, FakeClock]:
    clock = FakeClock()
    if request.param == "local":
        return Local(clock), clock
    return Shared(clock, *redis), clock


async def send(driven: Driven, clock: FakeClock, chat: str) -> float:
    """Waits (on the fake clock) for the slot, sends, is answered at once. Returns when it started."""
    token = uuid.uuid4().hex
    while (wait := await driven.take(chat, token)) > 0:
        clock.now += wait
    started = clock.now
    await driven.give(chat, token)
    return started


async def start(driven: Driven, clock: FakeClock, chat: str) -> str:
    """Waits for the slot; the send is then in flight. Returns its token."""
    token = uuid.uuid4().hex
    while (wait := await driven.take(chat, token)) > 0:
        clock.now += wait
    return token


async def refused(driven: Driven, clock: FakeClock, chat: str, retry_after: float) -> str:
    return await driven.refuse(chat, await start(driven, clock, chat), retry_after, 0.0)


async def test_a_429_right_after_the_chats_own_send_pauses_that_chat_alone(
    limiter: tuple[Driven, FakeClock],
) -> None:
    driven, clock = limiter
    await send(driven, clock, "501")
    assert await refused(driven, clock, "501", 5.0) == "chat"
    at = clock.now
    assert await send(driven, clock, "502") == pytest.approx(at, abs=0.04), "other chats go on at once"
    starts = [await send(driven, clock, "501") for _ in range(3)]
    assert starts[0] == pytest.approx(at + 5.0, abs=1e-6), "the chat waits Telegram's retry_after"
    # Resumed paced at half the per-chat pace (every chat's, bot-wide): one every 2 s, no burst of 3.
    assert [b - a for a, b in zip(starts, starts[1:], strict=False)] == pytest.approx([2.0, 2.0], abs=1e-6)


async def test_a_429_on_an_idle_chat_pauses_the_bot_and_it_resumes_at_a_cut_pace(
    limiter: tuple[Driven, FakeClock],
) -> None:
    driven, clock = limiter
    for n in range(4):  # four sends got through in the last second
        await send(driven, clock, str(600 + n))
    assert await refused(driven, clock, "700", 1.0) == "bot"
    at = clock.now
    starts = [await send(driven, clock, str(800 + n)) for n in range(4)]
    assert starts[0] == pytest.approx(at + 1.0, abs=1e-6), "every chat waits the retry_after"
    # 0.75 of the 4 that got through: 3 a second, one every third of a second, not all at once.
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert gaps == pytest.approx([1 / 3] * 3, rel=0.05)  # (growing back 2 % a second meanwhile)


async def test_429s_of_two_chats_within_a_second_are_the_bots_limit(
    limiter: tuple[Driven, FakeClock],
) -> None:
    driven, clock = limiter
    await send(driven, clock, "501")
    assert await refused(driven, clock, "501", 1.0) == "chat"
    await send(driven, clock, "502")  # alone, a refusal now would be chat 502's (the first test)
    assert await refused(driven, clock, "502", 1.0) == "bot", "a second chat refused: the bot's limit"


async def test_a_refusal_of_a_send_started_before_the_cut_cuts_nothing_again(
    limiter: tuple[Driven, FakeClock],
) -> None:
    driven, clock = limiter
    for n in range(8):
        await send(driven, clock, str(600 + n))
    slow = await start(driven, clock, "900")  # in flight while the first refusal comes back
    assert await refused(driven, clock, "700", 1.0) == "bot"  # 8 through: 6 a second
    clock.now += 0.1
    assert await driven.refuse("900", slow, 1.0, 0.5) == "bot"  # started before the cut: an echo
    starts = [await send(driven, clock, str(800 + n)) for n in range(3)]
    assert [b - a for a, b in zip(starts, starts[1:], strict=False)] == pytest.approx([1 / 6] * 2, rel=0.05)


async def test_the_bots_pace_grows_back_slowly(limiter: tuple[Driven, FakeClock]) -> None:
    driven, clock = limiter
    for n in range(4):
        await send(driven, clock, str(600 + n))
    await refused(driven, clock, "700", 1.0)  # cut to 3 a second
    cut_at = clock.now
    clock.now += 60.0
    _, b, c = [await send(driven, clock, str(800 + n)) for n in range(3)]
    assert c - b == pytest.approx(1 / (3 * tg.GROWTH ** (b - cut_at)), rel=1e-3), "2 % a second, compounding"


async def simulate(driven: Driven, clock: FakeClock, server: Limits, queued: dict[str, int],
                   latency: float) -> tuple[list[tuple[float, str, bool]], list[str]]:  # fmt: skip
    """Each chat's messages one at a time (as the outbox sends them) against a server with `server`'s
    limits, judged as the Bot API stand-in judges them. Returns (start, chat, accepted) per attempt and
    whose limit each 429 was taken for."""
    overall = _Window(server.global_per_sec, 1.0)
    buckets: dict[str, _Bucket] = {}
    events: list[tuple[float, int, str, str, str]] = []
    order = 0
    for chat in queued:
        heapq.heappush(events, (clock.now, order := order + 1, "try", chat, ""))
    attempts: list[tuple[float, str, bool]] = []
    whose: list[str] = []
    left = dict(queued)
    while events:
        at, _, what, chat, token = heapq.heappop(events)
        clock.now = at
        if what == "try":
            token = uuid.uuid4().hex
            wait = await driven.take(chat, token)
            if wait > 0:
                heapq.heappush(events, (at + wait, order := order + 1, "try", chat, ""))
                continue
            bucket = buckets.setdefault(chat, _Bucket(server.chat_per_sec, server.chat_burst))
            refusal = max(overall.check(at), bucket.check(at))
            if refusal == 0:
                overall.add(at)
                bucket.add(at)
            attempts.append((at, chat, refusal == 0))
            kind = "answer" if refusal == 0 else f"429:{max(1, math.ceil(refusal))}"
            heapq.heappush(events, (at + latency, order := order + 1, kind, chat, token))
        elif what == "answer":
            await driven.give(chat, token)
            left[chat] -= 1
            if left[chat]:
                heapq.heappush(events, (at, order := order + 1, "try", chat, ""))
        else:
            whose.append(await driven.refuse(chat, token, float(what.split(":")[1]), latency))
            heapq.heappush(events, (at, order := order + 1, "try", chat, ""))
    return attempts, whose


@pytest.mark.parametrize(
    ("server", "queued"),
    [
        (Limits(global_per_sec=3, chat_per_sec=0.5), {**{str(500 + n): 1 for n in range(20)},
                                                      **{str(600 + n): 10 for n in range(10)}}),
        (Limits(global_per_sec=20), {str(500 + n): 9 for n in range(40)}),
    ],
    ids=["3/s and 0.5/s a chat", "20/s"],
)  # fmt: skip
async def test_both_limiters_keep_429s_under_5_percent_and_decide_alike(
    server: Limits, queued: dict[str, int], redis: tuple[Redis, str]
) -> None:
    runs = []
    for make in (Local, lambda clock: Shared(clock, *redis)):
        clock = FakeClock()
        runs.append(await simulate(make(clock), clock, server, queued, 0.01))
    (local, local_whose), (shared, shared_whose) = runs
    assert local_whose == shared_whose, "the same rule in both"
    assert [(round(t, 4), c, ok) for t, c, ok in local] == [(round(t, 4), c, ok) for t, c, ok in shared]
    refused_ = sum(not ok for _, _, ok in local)
    assert len([a for a in local if a[2]]) == sum(queued.values())
    assert refused_ / len(local) <= 0.05, f"{refused_} of {len(local)} attempts answered 429"
    accepted = [t for t, _, ok in local if ok]
    assert most_in_any_window(accepted, 1.0) <= server.global_per_sec


# -- end to end: the outbox, Telegram's sender and the stand-in ---------------------------------------


@pytest.fixture
async def strict_api() -> AsyncIterator[BotAPIStandIn]:
    """A private chat takes one message, then one every 5 s (no burst): Ustaz expects bursts of 3."""
    async with BotAPIStandIn(limits=Limits(chat_per_sec=0.2, chat_burst=1)) as stand_in:
        yield stand_in


async def test_a_429_on_one_chat_does_not_stop_the_other_chats(
    engine, database_url: str, tmp_path: Path, strict_api: BotAPIStandIn
) -> None:
    api = strict_api
    async with telegram_ustaz(database_url, tmp_path, api, "polling") as tg_:
        people = await people_on_telegram(tg_.runtime, 31, 71_000)
        async with tg_.runtime.sessions() as session, session.begin():
            await enqueue(session, Reply("Бірінші"), person_id=people[0])
            await enqueue(session, Reply("Екінші"), person_id=people[0])  # refused: chat 71000's limit
        tg_.runtime.wake_sender()
        await api.wait_for(lambda: api.rate_limited == 1)
        async with tg_.runtime.sessions() as session, session.begin():  # an announcement meanwhile
            for pid in people[1:]:
                await enqueue(session, Reply("Хабарландыру"), person_id=pid)
        tg_.runtime.wake_sender()
        await api.wait_for(lambda: len(api.sent()) >= 32, timeout=30)
        await outbox_idle(tg_.runtime)
    first_chat = [c for c in api.sent(ok_only=False) if str(c.params["chat_id"]) == "71000"]
    assert [c.status for c in first_chat] == [200, 429, 200]
    refused_at, resumed_at = first_chat[1].at, first_chat[2].at
    retry_after = int(str(first_chat[1].description).rsplit(" ", 1)[1])
    others_meanwhile = [
        c for c in api.sent() if c.params["chat_id"] != "71000" and refused_at < c.at < resumed_at
    ]
    assert len(others_meanwhile) == 30, "the other chats kept going while chat 71000 waited"
    assert resumed_at - refused_at >= retry_after - 0.05, "chat 71000 waited Telegram's retry_after"
    assert api.rate_limited == 1
    assert [m.text for m in api.messages(71_000)] == ["Бірінші", "Екінші"]


async def test_after_the_bots_429_the_waiting_sends_resume_paced_not_all_at_once(
    engine, database_url: str, tmp_path: Path
) -> None:
    async with BotAPIStandIn(limits=Limits(global_per_sec=5)) as api:  # Ustaz expects 30 a second
        async with telegram_ustaz(database_url, tmp_path, api, "polling") as tg_:
            people = await people_on_telegram(tg_.runtime, 24, 72_000)
            async with tg_.runtime.sessions() as session, session.begin():
                for pid in people:
                    await enqueue(session, Reply("Ертең сабақ жоқ"), person_id=pid)
            tg_.runtime.wake_sender()
            await api.wait_for(lambda: len(api.sent()) >= 24, timeout=30)
        calls = api.sent(ok_only=False)
    refusal = next(c.at for c in calls if c.status == 429)
    after = [c.at for c in calls if c.at > refusal]
    assert api.rate_limited <= 2, [c.status for c in calls]
    assert most_in_any_window(after, 1.0) <= 5, "no burst above Telegram's 5 a second after the pause"
    assert min(after) - refusal >= 1 - 0.05, "everything waited the retry_after"
    assert all(b - a >= 1 / 5 - 0.02 for a, b in zip(after, after[1:], strict=False)), (
        "paced, below the limit"
    )


async def test_429s_stay_under_5_percent_against_a_throttling_telegram(
    engine, database_url: str, tmp_path: Path
) -> None:
    async with BotAPIStandIn(limits=Limits(global_per_sec=5, chat_per_sec=0.5)) as api:
        async with telegram_ustaz(database_url, tmp_path, api, "polling") as tg_:
            people = await people_on_telegram(tg_.runtime, 20, 73_000)
            async with tg_.runtime.sessions() as session, session.begin():
                for n in range(3):
                    for pid in people:
                        await enqueue(session, Reply(f"Хабарлама №{n + 1}"), person_id=pid)
            tg_.runtime.wake_sender()
            await api.wait_for(lambda: len(api.sent()) >= 60, timeout=60)
            await outbox_idle(tg_.runtime)
        attempts = api.sent(ok_only=False)
    assert len(api.sent()) == 60
    assert api.rate_limited / len(attempts) <= 0.05, f"{api.rate_limited} of {len(attempts)} attempts got 429"
    for i in range(20):
        assert [m.text for m in api.messages(73_000 + i)] == [f"Хабарлама №{n + 1}" for n in range(3)]
