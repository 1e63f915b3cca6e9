"""Telegram's flood limits, kept on our side so that Telegram never has to answer 429.

A send takes a slot in a sliding window from the moment it starts until its
answer arrives plus the window's length. Counting from the answer (not from the
start) makes the guarantee independent of network jitter: Telegram received the
request before we got the answer, so no window on its side can hold more than
ours did. On loopback this costs under 1% of the rate; over the internet a few %.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class TelegramLimits:
    per_second: int = 30  # all chats together
    per_chat_seconds: float = 1.0  # one message a second in a private chat, sustained...
    per_chat_burst: int = 3  # ...with short bursts, as Telegram allows (a reply in three parts)
    per_group_minute: int = 20  # twenty a minute in a group
    enabled: bool = True


class Limiter(Protocol):
    """What TelegramOut waits on: this process's RateLimiter, or the one shared through Redis."""

    def slot(self, chat_id: str) -> contextlib.AbstractAsyncContextManager[None]: ...

    async def pause(self, chat_id: str, seconds: float) -> None: ...


class _Window:
    """At most `limit` sends in any `window` seconds; a running send holds its slot."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.ends: collections.deque[float] = collections.deque()  # when finished slots free up
        self.running = 0
        self.paused_until = 0.0

    def wait_time(self, now: float) -> float | None:
        """0 when a slot is free now, seconds to wait, or None (wait for a running send to finish)."""
        while self.ends and self.ends[0] <= now:
            self.ends.popleft()
        if now < self.paused_until:
            return self.paused_until - now
        if len(self.ends) + self.running < self.limit:
            return 0.0
        if self.ends:
            return self.ends[0] - now
        return None

    def take(self) -> None:
        self.running += 1

    def release(self, now: float) -> None:
        self.running -= 1
        self.ends.append(now + self.window)
        # Deque must stay ordered; a release is always the latest end, so appending keeps it so.

    def idle(self, now: float) -> bool:
        return self.running == 0 and (not self.ends or self.ends[-1] <= now) and now >= self.paused_until


def chat_window(limits: TelegramLimits, chat_id: str) -> tuple[int, float]:
    """A chat's window: (sends, seconds)."""
    if chat_id.startswith("-"):  # groups, supergroups and channels have negative ids
        return limits.per_group_minute, 60.0
    # N in any N seconds: never more than a bucket of N refilled at 1/s would allow.
    burst = max(1, limits.per_chat_burst)
    return burst, burst * limits.per_chat_seconds


class RateLimiter:
    """One per process and bot. Sends wait here for both the global and their chat's window."""

    def __init__(self, limits: TelegramLimits | None = None) -> None:
        self.limits = limits or TelegramLimits()
        self._global = _Window(self.limits.per_second, 1.0)
        self._chats: dict[str, _Window] = {}
        self._changed = asyncio.Condition()
        self._gc_at = 0.0

    def _chat(self, chat_id: str) -> _Window:
        window = self._chats.get(chat_id)
        if window is None:
            window = _Window(*chat_window(self.limits, chat_id))
            self._chats[chat_id] = window
        return window

    def chat_ready_in(self, chat_id: str) -> float:
        """Seconds until this chat may get a message (for choosing what to send next)."""
        wait = self._chat(chat_id).wait_time(time.monotonic())
        return 0.0 if wait is None else wait

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: str) -> AsyncIterator[None]:
        if not self.limits.enabled:
            yield
            return
        chat = self._chat(chat_id)
        async with self._changed:
            while True:
                now = time.monotonic()
                waits = [w.wait_time(now) for w in (self._global, chat)]
                if all(w == 0.0 for w in waits):
                    break
                known = [w for w in waits if w]
                timeout = max(known) if known else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), timeout)
            self._global.take()
            chat.take()
        try:
            yield
        finally:
            now = time.monotonic()
            self._global.release(now)
            chat.release(now)
            self._forget_idle(now)
            async with self._changed:
                self._changed.notify_all()

    async def pause(self, chat_id: str, seconds: float) -> None:
        """Telegram said retry_after: nothing goes to this chat, nor anywhere, until then."""
        until = time.monotonic() + seconds
        self._chat(chat_id).paused_until = max(self._chat(chat_id).paused_until, until)
        # A 429 does not say which limit broke; stopping everything briefly is the safe reading.
        self._global.paused_until = max(self._global.paused_until, until)

    def _forget_idle(self, now: float) -> None:
        # A million chats must not stay in memory: drop windows that no longer hold anything.
        if now - self._gc_at < 60 or len(self._chats) < 10_000:
            return
        self._gc_at = now
        for key in [k for k, w in self._chats.items() if w.idle(now)]:
            del self._chats[key]
