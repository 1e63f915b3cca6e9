"""The bound on sends a crash could repeat: `size` answered, unrecorded, plus the rate's share in the air."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from bot.channels.telegram.unconfirmed import Unconfirmed


class NoLimits:
    @contextlib.asynccontextmanager
    async def slot(self, chat_id: str) -> AsyncIterator[None]:
        yield

    async def ready_in(self, chat_id: str) -> float:
        return 0.0


async def send(bound: Unconfirmed, answer: asyncio.Event, recorded: asyncio.Event) -> None:
    """One send: its slot, Telegram's answer, then the outbox's commit (which frees the slot)."""
    async with bound.slot("1"):
        await answer.wait()
    await recorded.wait()
    bound.confirmed()


async def test_answered_sends_wait_for_their_commit_before_more_go() -> None:
    bound = Unconfirmed(NoLimits(), size=3, per_second=30)
    answer, recorded = asyncio.Event(), asyncio.Event()
    answer.set()  # Telegram answers at once (loopback): nothing is in the air
    sends = [asyncio.create_task(send(bound, answer, recorded)) for _ in range(5)]
    while bound.held < 3:
        await asyncio.sleep(0)  # let the tasks take what they may
    for _ in range(20):
        await asyncio.sleep(0)
    assert bound.held == 3 and bound.limit() == 3, "two wait: a crash now could repeat three, not five"
    recorded.set()
    await asyncio.gather(*sends)
    assert bound.held == 0


async def slow_answers(bound: Unconfirmed, count: int, seconds: float) -> None:
    for _ in range(count):
        async with bound.slot("1"):
            await asyncio.sleep(seconds)  # stands for Telegram's answer time: the thing measured
        bound.confirmed()


async def in_flight_at_once(bound: Unconfirmed, tries: int) -> int:
    answer, recorded = asyncio.Event(), asyncio.Event()
    sends = [asyncio.create_task(send(bound, answer, recorded)) for _ in range(tries)]
    for _ in range(50):
        await asyncio.sleep(0)  # let every task take what it may
    took = bound.held
    answer.set()
    recorded.set()
    await asyncio.gather(*sends)
    return took


async def test_a_distant_telegram_keeps_the_configured_rate_in_the_air() -> None:
    """Answers take ~0.1 s: at 30 a second three sends are always without an answer, so the bound
    lets them go beside the three it keeps for answered ones (else the rate would fall under 30/s)."""
    bound = Unconfirmed(NoLimits(), size=3, per_second=30)
    await slow_answers(bound, 12, 0.1)
    assert 0.08 < bound.answer_seconds <= 0.1
    assert bound.limit() == 6 and await in_flight_at_once(bound, 10) == 6


async def test_with_the_limits_lifted_only_the_bound_counts() -> None:
    bound = Unconfirmed(NoLimits(), size=3, per_second=0)
    await slow_answers(bound, 5, 0.05)
    assert bound.limit() == 3 and await in_flight_at_once(bound, 10) == 3
