"""A bound on Telegram sends whose result is not yet committed: what a crash can repeat.

A message Telegram took but Ustaz has not yet recorded as sent goes again after a
kill -9. Each send takes a slot (after its rate limit let it through, so waiting for a
limit holds no slot) and keeps it until the outbox has committed its result, so a crash
finds at most `size` such sends. The price: at most `size` sends per (Telegram's answer
time + one commit).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator

from bot.channels.telegram.limits import Limiter

# Slots this task holds for sends Telegram answered and the outbox has not yet recorded.
_held: contextvars.ContextVar[int] = contextvars.ContextVar("unconfirmed_held", default=0)


class Unconfirmed:
    """Wraps the rate limiter TelegramOut waits on; `confirmed()` frees this task's slots once recorded."""

    def __init__(self, limiter: Limiter, size: int) -> None:
        self.limiter = limiter
        self._slots = asyncio.Semaphore(size)

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: str) -> AsyncIterator[None]:
        async with self.limiter.slot(chat_id):
            await self._slots.acquire()
            try:
                yield
            except BaseException:  # no answer, or a refusal: nothing was sent to record
                self._slots.release()
                raise
        _held.set(_held.get() + 1)

    async def ready_in(self, chat_id: str) -> float:
        return await self.limiter.ready_in(chat_id)

    def confirmed(self) -> None:
        """The sends this task made are committed (or will never be): their slots go to others."""
        for _ in range(_held.get()):
            self._slots.release()
        _held.set(0)
