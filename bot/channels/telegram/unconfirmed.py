"""A bound on Telegram sends whose result is not yet committed: what a crash can repeat.

A message Telegram took but Ustaz has not yet recorded as sent goes again after a
kill -9. Each send takes a slot (after its rate limit let it through, so waiting for a
limit holds no slot) and keeps it until the outbox has committed its result, so a crash
finds at most `limit()` such sends.

The limit is `size` plus the sends the configured rate keeps on their way during one of
Telegram's answer times (measured): those have no answer yet, and a crash may repeat them
once, as it would any send still in the air. Without that share, a distant Telegram
(100-250 ms away) would cap the outbox below its 30 a second; on loopback it is 0.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import time
from collections.abc import AsyncIterator

from bot.channels.telegram.limits import Limiter

# Slots this task holds for sends Telegram answered and the outbox has not yet recorded.
_held: contextvars.ContextVar[int] = contextvars.ContextVar("unconfirmed_held", default=0)

ANSWER_CAP = 1.0  # seconds: a send that hangs in an outage must not open the bound wide
SMOOTHING = 0.2  # weight of the newest answer time in the running average


class Unconfirmed:
    """Wraps the rate limiter TelegramOut waits on; `confirmed()` frees this task's slots once recorded."""

    def __init__(self, limiter: Limiter, size: int, per_second: float = 0.0) -> None:
        self.limiter = limiter
        self.size = size
        self.per_second = per_second  # the configured rate; 0: limits lifted, no share in the air
        self.answer_seconds = 0.0  # running average of Telegram's answer time
        self.held = 0
        # Sends waiting for a slot, first come first served. A freed slot wakes one of them, not all:
        # with the whole class's sends waiting on one event, each commit woke every one of them to
        # find the slot already taken (a quarter of the sender's CPU under load).
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._woken = 0  # woken and not yet running: their slots are spoken for

    def limit(self) -> int:
        return self.size + round(self.per_second * self.answer_seconds)

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: str) -> AsyncIterator[None]:
        async with self.limiter.slot(chat_id):
            await self._take()
            started = time.monotonic()
            try:
                yield
            except BaseException:  # no answer, or a refusal: nothing was sent to record
                self._release(1)
                raise
            answered = min(ANSWER_CAP, time.monotonic() - started)
            self.answer_seconds += SMOOTHING * (answered - self.answer_seconds)
        _held.set(_held.get() + 1)

    async def ready_in(self, chat_id: str) -> float:
        return await self.limiter.ready_in(chat_id)

    def confirmed(self) -> None:
        """The sends this task made are committed (or will never be): their slots go to others."""
        self._release(_held.get())
        _held.set(0)

    async def _take(self) -> None:
        while self._waiting or self.held + self._woken >= self.limit():
            turn = asyncio.get_running_loop().create_future()
            self._waiting.append(turn)
            self._wake()  # the limit grows with Telegram's answer time: a slot may be free already
            try:
                await turn
            except asyncio.CancelledError:
                if turn.cancelled():
                    with contextlib.suppress(ValueError):  # _wake may have dropped it already
                        self._waiting.remove(turn)
                else:  # woken, then cancelled: its slot goes to the next in line
                    self._woken -= 1
                    self._wake()
                raise
            self._woken -= 1
            if self.held + self._woken < self.limit():  # its slot, unless the limit shrank meanwhile
                break
        self.held += 1

    def _release(self, count: int) -> None:
        if count:
            self.held -= count
            self._wake()

    def _wake(self) -> None:
        """As many waiting sends as there are free slots, in the order they came."""
        while self._waiting and self.held + self._woken < self.limit():
            turn = self._waiting.popleft()
            if not turn.done():  # not cancelled meanwhile
                turn.set_result(None)
                self._woken += 1
