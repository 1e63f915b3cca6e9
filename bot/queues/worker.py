"""The loop the queue workers share: rounds while there is work, a wake-up or a short wait between."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.supervisor import FailureStreak, Heartbeat, sleep_or_stop

log = logging.getLogger(__name__)


async def rounds(
    stop: asyncio.Event,
    wake: asyncio.Event,
    one_round: Callable[[], Awaitable[int]],
    idle_seconds: float,
    heartbeat: Heartbeat,
    failures: FailureStreak,
) -> None:
    """Runs `one_round` (it returns how much it did) until `stop`; idle, waits for `wake` or the timeout.

    A failing round (the database away) is logged by `failures` once, then retried after a
    growing pause: a wake-up does not shorten it, or every new update would retry at once.
    """
    while not stop.is_set():
        # Cleared before the round, not after: a wake() during the round must not be lost.
        wake.clear()
        try:
            done = await one_round()
        except Exception as exc:  # a database hiccup must not stop the worker for good
            pause = failures.failed(exc)
            await sleep_or_stop(stop, pause)
            continue
        failures.ok()
        heartbeat.beat()
        if done:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), idle_seconds)
