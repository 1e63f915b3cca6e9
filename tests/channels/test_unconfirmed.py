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


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)  # lets every ready task run until it waits


async def test_a_freed_slot_goes_to_the_send_that_waited_longest_and_a_cancelled_one_passes_it_on() -> None:
    bound = Unconfirmed(NoLimits(), size=1)
    order: list[int] = []
    recorded = [asyncio.Event() for _ in range(4)]

    async def numbered(n: int) -> None:
        async with bound.slot("1"):
            order.append(n)
        await recorded[n].wait()
        bound.confirmed()

    first = asyncio.create_task(numbered(0))
    await settle()
    waiting = [asyncio.create_task(numbered(n)) for n in (1, 2, 3)]
    await settle()
    assert order == [0] and bound.held == 1, "one slot: the other three wait"
    waiting[0].cancel()  # send 1 gives up while waiting (its chat was stopped)
    recorded[0].set()
    await first
    await settle()
    assert order == [0, 2], "send 1 gave up, so the freed slot went to send 2 and only to it"
    recorded[2].set()
    await settle()
    assert order == [0, 2, 3]
    recorded[3].set()
    await asyncio.gather(*waiting[1:])
    assert bound.held == 0


async def test_a_send_cancelled_just_as_its_turn_came_passes_the_slot_on() -> None:
    bound = Unconfirmed(NoLimits(), size=1)
    order: list[int] = []

    async def numbered(n: int) -> None:
        async with bound.slot("1"):
            order.append(n)
        bound.confirmed()

    async with bound.slot("1"):  # the one slot, held until the block ends
        waiting = [asyncio.create_task(numbered(n)) for n in (1, 2)]
        await settle()
        assert order == []
    bound.confirmed()  # wakes send 1 ...
    waiting[0].cancel()  # ... which is stopped before it could run
    await asyncio.gather(*waiting, return_exceptions=True)
    assert order == [2] and bound.held == 0
