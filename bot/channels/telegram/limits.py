"""Telegram's flood limits, kept on our side so that Telegram rarely has to answer 429.

A send takes a slot in a sliding window from the moment it starts until its
answer arrives plus the window's length. Counting from the answer (not from the
start) makes the guarantee independent of network jitter: Telegram received the
request before we got the answer, so no window on its side can hold more than
ours did. On loopback this costs under 1% of the rate; over the internet a few %.
The bot's sends are also spaced at least 1/rate apart, so that a server slower
than configured is found by one refused send, not by a burst of thirty.

When Telegram answers 429 anyway (its real limits are lower than configured, or
another bot shares the token), it does not say which limit broke. The rule, the
same in this process's RateLimiter and in the Redis-shared one:

- the chat's bucket, when the chat had a send answered within one interval of its
  pace (a second, at 1 a second) before the refused one started, and no other chat
  was refused within the last second (a chat sent to less often cannot have broken it):
  that chat waits retry_after, then its window counts as full and frees one slot
  per interval; and since Telegram's per-chat rule is the same for every chat, the
  per-chat pace is cut bot-wide (CHAT_CUT);
- the bot's otherwise (an idle chat, or several chats refused within a second):
  every send waits retry_after, then goes paced at the new bot-wide rate, which is
  GLOBAL_CUT of what got through in the last second (never above the pace in force).

A refused send started before the last cut of its kind is an echo of the same
overload: it pauses, but cuts nothing again. Both paces grow back by GROWTH a second
(compounding) up to the configured ones. A refused send takes no slot: Telegram did
not count it.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import contextlib
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

from aiogram.exceptions import TelegramRetryAfter

GLOBAL_CUT = 0.75  # of what got through in the second before the refusal
CHAT_CUT = 0.5  # of the per-chat pace in force
GROWTH = 1.02  # a pace recovers 2 % a second: from a cut by a quarter in about 15 s
MIN_RATE = 1.0  # sends a second, bot-wide
MIN_CHAT_FACTOR = 1 / 16  # of the configured per-chat pace
REFUSALS_WINDOW = 1.0  # refusals of other chats within this many seconds: the bot's limit
SLACK = 0.1  # seconds (at most one step) a late wake-up may catch up on the pace: no burst from idle


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

    async def ready_in(self, chat_id: str) -> float: ...


@dataclass(slots=True)
class Pace:
    """A pace that refusals cut and time restores: `cut_to` at `cut_at`, GROWTH a second since, capped."""

    ceiling: float
    cut_to: float = math.inf
    cut_at: float = -math.inf

    def now(self, now: float) -> float:
        if self.cut_at == -math.inf:
            return self.ceiling
        return min(self.ceiling, self.cut_to * GROWTH ** max(0.0, now - self.cut_at))

    def cut(self, now: float, to: float) -> None:
        self.cut_to, self.cut_at = to, now


class _Window:
    """At most `limit` sends in any `window` seconds; a running send holds its slot."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.ends: collections.deque[float] = collections.deque()  # when finished slots free up, sorted
        self.running = 0
        self.paused_until = 0.0

    def wait_time(self, now: float) -> float | None:
        """0 when a slot is free now, seconds to wait, or None (wait for a running send to finish)."""
        while self.ends and self.ends[0] <= now:
            self.ends.popleft()
        paused = max(0.0, self.paused_until - now)
        if len(self.ends) + self.running < self.limit:
            return paused
        if self.ends:
            return max(paused, self.ends[0] - now)
        return paused or None

    def take(self) -> None:
        self.running += 1

    def release(self, now: float, window: float | None = None, counted: bool = True) -> None:
        self.running -= 1
        if counted:
            # Usually the latest end; a window filled after a pause may hold later ones.
            bisect.insort(self.ends, now + (self.window if window is None else window))

    def fill(self, until: float, interval: float) -> None:
        """Full from `until` on, one slot freeing every `interval`: the chat resumes paced, not in a burst."""
        self.paused_until = max(self.paused_until, until)
        for j in range(self.limit):
            bisect.insort(self.ends, until + j * interval)

    def frees_after(self, moment: float) -> bool:
        """Whether an ended send still holds a slot here after `moment`."""
        return bool(self.ends) and self.ends[-1] > moment

    def idle(self, now: float) -> bool:
        return self.running == 0 and (not self.ends or self.ends[-1] <= now) and now >= self.paused_until


def chat_window(limits: TelegramLimits, chat_id: str) -> tuple[int, float]:
    """A chat's window: (sends, seconds)."""
    if chat_id.startswith("-"):  # groups, supergroups and channels have negative ids
        return limits.per_group_minute, 60.0
    # N in any N seconds: never more than a bucket of N refilled at 1/s would allow.
    burst = max(1, limits.per_chat_burst)
    return burst, burst * limits.per_chat_seconds


class Ended:
    """Wakes whoever waits when a send ends (its slot may free one), or after the time they know of."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()
        self._event = asyncio.Event()  # a fresh one: the woken re-check and wait on the next end

    async def wait_for(self, seconds: float | None) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)


class Turns:
    """Sends whose chat is ready take the bot's pace in arrival order, so that no chat falls behind.

    Without it every waiter raced for each freed slot, and at the end of a wave a few unlucky
    chats still held several messages, which their 1 a second then dragged out."""

    def __init__(self) -> None:
        self._queue: collections.deque[asyncio.Future[None]] = collections.deque()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append(mine)
        try:
            if self._queue[0] is not mine:
                await mine  # the one before hands the turn on
            yield
        finally:
            first = self._queue[0] is mine
            self._queue.remove(mine)
            if first and self._queue and not self._queue[0].done():
                self._queue[0].set_result(None)


class RateLimiter:
    """One per process and bot. Sends wait here for the bot's pace and window and their chat's window."""

    def __init__(
        self, limits: TelegramLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or TelegramLimits()
        self.clock = clock
        self._global = _Window(self.limits.per_second, 1.0)
        self.pace = Pace(float(self.limits.per_second))  # sends a second, bot-wide
        self.chat_pace = Pace(1.0)  # a factor of every chat's configured pace
        self._next = 0.0  # the bot's next send may start then
        self._chats: dict[str, _Window] = {}
        self._refusals: collections.deque[tuple[float, str]] = collections.deque()
        self.turns = Turns()
        self._ended = Ended()
        self._gc_at = 0.0

    def _chat(self, chat_id: str) -> _Window:
        window = self._chats.get(chat_id)
        if window is None:
            window = _Window(*chat_window(self.limits, chat_id))
            self._chats[chat_id] = window
        return window

    def chat_seconds(self, chat_id: str, now: float) -> float:
        """The chat's window at the per-chat pace in force."""
        return chat_window(self.limits, chat_id)[1] / self.chat_pace.now(now)

    async def ready_in(self, chat_id: str) -> float:
        """Seconds until this chat may get a message (the outbox keeps a chat in cooldown off its workers)."""
        wait = self._chat(chat_id).wait_time(self.clock())
        return 0.0 if wait is None else wait

    # -- one attempt each, as SharedRateLimiter has them (tests drive both with one fake clock) ---

    def try_take(self, chat_id: str) -> float | None:
        """0.0 when the send may start (its slots are taken), seconds to wait, or None: wait for an end."""
        chat = self._chat(chat_id)
        now = self.clock()
        waits = [w.wait_time(now) for w in (self._global, chat)] + [max(0.0, self._next - now)]
        if all(w == 0.0 for w in waits):
            self._global.take()
            chat.take()
            step = 1.0 / self.pace.now(now)
            self._next = max(now - min(SLACK, step), self._next) + step
            return 0.0
        known = [w for w in waits if w]
        return max(known) if known else None

    def give_back(self, chat_id: str) -> None:
        now = self.clock()
        self._global.release(now)
        self._chat(chat_id).release(now, self.chat_seconds(chat_id, now))
        self._forget_idle(now)

    def refused(self, chat_id: str, retry_after: float, age: float) -> str:
        """Telegram answered 429 to a send that started `age` seconds ago: the rule in the module's docstring.

        Returns whose limit it was taken for: "chat" or "bot"."""
        now = self.clock()
        started = now - age
        chat = self._chat(chat_id)
        self._global.release(now, counted=False)
        chat.release(now, counted=False)
        while self._refusals and self._refusals[0][0] <= now - REFUSALS_WINDOW:
            self._refusals.popleft()
        others = any(c != chat_id for _, c in self._refusals)
        self._refusals.append((now, chat_id))
        until = now + retry_after
        seconds = self.chat_seconds(chat_id, now)
        # Ends are answers plus the window: one after this was answered within an interval of `started`.
        if chat.frees_after(started + seconds - seconds / chat.limit) and not others:
            if started >= self.chat_pace.cut_at:
                self.chat_pace.cut(now, max(MIN_CHAT_FACTOR, CHAT_CUT * self.chat_pace.now(now)))
            chat.fill(until, self.chat_seconds(chat_id, now) / chat.limit)  # at the pace just cut
            return "chat"
        if started >= self.pace.cut_at:
            got_through = sum(1 for end in self._global.ends if end > now)  # answered within the last second
            rate = max(MIN_RATE, GLOBAL_CUT * min(self.pace.now(now), got_through))
            self.pace.cut(now, rate)
        self._next = max(self._next, until)
        return "bot"

    # -- the limiter's interface ----------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: str) -> AsyncIterator[None]:
        if not self.limits.enabled:
            yield
            return
        chat = self._chat(chat_id)
        while True:
            # The chat's own window first, out of the bot's queue: a chat in cooldown holds nobody up.
            while (wait := chat.wait_time(self.clock())) != 0.0:
                await self._ended.wait_for(wait)
            async with self.turns.turn():
                while (wait := self.try_take(chat_id)) != 0.0 and chat.wait_time(self.clock()) == 0.0:
                    await self._ended.wait_for(wait)
            if wait == 0.0:
                break
        started = self.clock()
        try:
            yield
        except TelegramRetryAfter as err:
            self.refused(chat_id, err.retry_after, self.clock() - started)
            raise
        except BaseException:
            self.give_back(chat_id)  # it may have reached Telegram: counted
            raise
        else:
            self.give_back(chat_id)
        finally:
            self._ended.set()

    def _forget_idle(self, now: float) -> None:
        # A million chats must not stay in memory: drop windows that no longer hold anything.
        if now - self._gc_at < 60 or len(self._chats) < 10_000:
            return
        self._gc_at = now
        for key in [k for k, w in self._chats.items() if w.idle(now)]:
            del self._chats[key]
