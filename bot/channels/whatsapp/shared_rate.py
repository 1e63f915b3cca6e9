"""The WhatsApp sender's rate kept in Redis, so that several sender processes together keep it.

The same pacing as RateLimiter (this process alone): each call reserves the next free moment
(`per_second` apart, a stall caught up within `slack` seconds) and sleeps until it.
The next free moment is one key per sender number, moved forward by one Lua script,
expiring once it is in the past. When Redis cannot be reached, this process's own
limiter takes over (see redis_state.Guard).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from redis.asyncio import Redis

from bot import redis_state

# KEYS: the sender's next free moment. ARGV: now, interval, slack. Returns the seconds to wait.
_RESERVE = (
    redis_state.NOW_LUA
    + """
local interval, slack = tonumber(ARGV[2]), tonumber(ARGV[3])
local slot = math.max(now - slack, tonumber(redis.call('GET', KEYS[1]) or '0'))
local ttl = math.ceil((slot + interval - now + slack) * 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.6f', slot + interval), 'PX', ttl)
return string.format('%.6f', slot - now)
"""
)


class RateLimiter:
    """Spaces calls at `per_second` for this process; a stall may be caught up within `slack` seconds.

    Without the slack, every pause of the pipeline would be lost for good and the
    average would stay below the rate; with it, no second ever carries more than
    `per_second` plus a quarter second's worth.
    """

    def __init__(self, per_second: float, slack: float = 0.25) -> None:
        self.interval = 1.0 / per_second
        self.slack = slack
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            slot = max(now - self.slack, self._next)
            self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)  # pacing, not synchronization


class SharedRateLimiter:
    def __init__(
        self,
        per_second: float,
        redis: Redis,
        sender: str,
        prefix: str = redis_state.PREFIX,
        slack: float = 0.25,
        clock: Callable[[], float] | None = None,  # None: Redis's clock, shared by all machines
    ) -> None:
        self.interval = 1.0 / per_second
        self.slack = slack
        self.key = f"{prefix}:wa:{{{sender}}}:next"
        self.clock = clock
        self.fallback = RateLimiter(per_second, slack)
        self.guard = redis_state.Guard("WhatsApp's rate limits")
        self._reserve = redis.register_script(_RESERVE)

    async def reserve(self) -> float:
        """Takes the next free moment: the seconds until it (0 or less: now)."""
        args = [redis_state.clock_arg(self.clock), repr(self.interval), repr(self.slack)]
        return float(await self._reserve(keys=[self.key], args=args))

    async def wait(self) -> None:
        if self.guard.usable():
            try:
                delay = await self.reserve()
            except redis_state.REDIS_ERRORS as exc:
                self.guard.failed(exc)
            else:
                self.guard.ok()
                if delay > 0:
                    await asyncio.sleep(delay)  # pacing, not synchronization
                return
        await self.fallback.wait()
