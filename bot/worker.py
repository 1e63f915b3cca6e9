"""The loop the queue workers share: rounds while there is work, a wake-up or a short wait between."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def rounds(
    stop: asyncio.Event,
    wake: asyncio.Event,
    one_round: Callable[[], Awaitable[int]],
    what: str,
    idle_seconds: float,
) -> None:
    """Runs `one_round` (it returns how much it did) until `stop`; idle, waits for `wake` or the timeout."""
    while not stop.is_set():
        # Cleared before the round, not after: a wake() during the round must not be lost.
        wake.clear()
        try:
            done = await one_round()
        except Exception:  # a database hiccup must not stop the worker for good
            log.exception("%s round failed", what)
            done = 0
        if done:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), idle_seconds)
