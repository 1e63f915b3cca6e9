"""Telegram's flood limits kept in Redis, so that several sender processes of one bot keep them together.

The same windows as limits.RateLimiter: a send takes a slot in the bot's window and
in its chat's from its start until its answer plus the window's length. Each window
is a sorted set of slots scored by when they free up: "r<token>" while the send runs
(scored with a lease, so a killed process's slots come back), "e<token>" once it
ended. Taking both slots, or neither, is one Lua script; the keys expire when idle.
When Redis cannot be reached, the per-process limiter takes over (see redis_state.Guard).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable

from redis.asyncio import Redis

from bot import redis_state
from bot.channels.telegram.limits import RateLimiter, TelegramLimits, chat_window

# KEYS: the windows, then their pause keys. ARGV: now, token, lease, poll, then each window's limit.
# Returns "0" (both slots taken) or the seconds to wait, as a string (Lua numbers would be truncated).
_TAKE = (
    redis_state.NOW_LUA
    + """
local token, lease, poll = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local n = #KEYS / 2
local wait = 0
for i = 1, n do
  local key, limit = KEYS[i], tonumber(ARGV[4 + i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local paused = tonumber(redis.call('GET', KEYS[n + i]) or '0')
  if paused > now then wait = math.max(wait, paused - now) end
  if redis.call('ZCARD', key) >= limit then
    -- The earliest ended slot frees first; with only running ones, look again shortly.
    local w = poll
    local slots = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
    for j = 1, #slots, 2 do
      if string.sub(slots[j], 1, 1) == 'e' then w = tonumber(slots[j + 1]) - now break end
    end
    wait = math.max(wait, w)
  end
end
if wait > 0 then return string.format('%.6f', wait) end
for i = 1, n do
  redis.call('ZADD', KEYS[i], now + lease, 'r' .. token)
  redis.call('PEXPIRE', KEYS[i], math.ceil(lease * 1000) + 60000)
end
return '0'
"""
)

# KEYS: the windows. ARGV: now, token, lease, then each window's length in seconds.
_GIVE_BACK = (
    redis_state.NOW_LUA
    + """
local lease = tonumber(ARGV[3])
for i = 1, #KEYS do
  redis.call('ZREM', KEYS[i], 'r' .. ARGV[2])  -- may empty the set, which removes the key and its expiry
  redis.call('ZADD', KEYS[i], now + tonumber(ARGV[3 + i]), 'e' .. ARGV[2])
  redis.call('PEXPIRE', KEYS[i], math.ceil(lease * 1000) + 60000)
end
return 1
"""
)

# KEYS: pause keys. ARGV: now, seconds. A pause never shortens a longer one.
_PAUSE = (
    redis_state.NOW_LUA
    + """
local seconds = tonumber(ARGV[2])
for i = 1, #KEYS do
  if now + seconds > tonumber(redis.call('GET', KEYS[i]) or '0') then
    redis.call('SET', KEYS[i], string.format('%.6f', now + seconds), 'PX', math.ceil(seconds * 1000) + 1000)
  end
end
return 1
"""
)


class SharedRateLimiter:
    """One per process and bot, like RateLimiter, with the windows in Redis under `prefix`."""

    def __init__(
        self,
        limits: TelegramLimits,
        redis: Redis,
        bot_id: str,
        prefix: str = redis_state.PREFIX,
        clock: Callable[[], float] | None = None,  # None: Redis's clock, shared by all machines
        lease: float = 300.0,  # longer than any send (aiogram gives up after 60 s)
        poll: float = 0.05,  # when only other processes' running sends block: how soon to look again
    ) -> None:
        self.limits = limits
        self.redis = redis
        self.keys = f"{prefix}:tg:{{{bot_id}}}"  # one hash slot per bot, should Redis be a cluster
        self.clock = clock
        self.lease = lease
        self.poll = poll
        self.fallback = RateLimiter(limits)
        self.guard = redis_state.Guard("Telegram's rate limits")
        self._take = redis.register_script(_TAKE)
        self._give_back = redis.register_script(_GIVE_BACK)
        self._pause = redis.register_script(_PAUSE)
        self._changed = asyncio.Condition()

    def _windows(self, chat_id: str) -> list[tuple[str, int, float]]:
        chat_limit, chat_seconds = chat_window(self.limits, chat_id)
        return [
            (f"{self.keys}:all", self.limits.per_second, 1.0),
            (f"{self.keys}:chat:{chat_id}", chat_limit, chat_seconds),
        ]

    # -- one attempt each: what slot() does, and what tests drive with a fake clock ------------

    async def try_take(self, chat_id: str, token: str) -> float:
        """0.0 when both slots are now this send's, else the seconds to wait before asking again."""
        windows = self._windows(chat_id)
        keys = [k for k, _, _ in windows] + [f"{k}:pause" for k, _, _ in windows]
        args = [redis_state.clock_arg(self.clock), token, self.lease, self.poll]
        return float(await self._take(keys=keys, args=args + [limit for _, limit, _ in windows]))

    async def give_back(self, chat_id: str, token: str) -> None:
        windows = self._windows(chat_id)
        args = [redis_state.clock_arg(self.clock), token, self.lease] + [seconds for _, _, seconds in windows]
        await self._give_back(keys=[k for k, _, _ in windows], args=args)

    # -- the limiter's interface --------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: str) -> AsyncIterator[None]:
        if not self.limits.enabled:
            yield
            return
        token = await self._acquire(chat_id)
        if token is None:  # Redis is away: this process keeps the limits alone meanwhile
            async with self.fallback.slot(chat_id):
                yield
            return
        try:
            yield
        finally:
            try:
                await self.give_back(chat_id, token)
            except redis_state.REDIS_ERRORS as exc:
                self.guard.failed(exc)  # the slot's lease frees it in Redis
            async with self._changed:
                self._changed.notify_all()

    async def _acquire(self, chat_id: str) -> str | None:
        token = uuid.uuid4().hex
        while self.guard.usable():
            try:
                wait = await self.try_take(chat_id, token)
            except redis_state.REDIS_ERRORS as exc:
                self.guard.failed(exc)
                break
            self.guard.ok()
            if wait <= 0:
                return token
            # This process's own sends wake us as they end; other processes' ends are timed.
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), wait)
        return None

    async def pause(self, chat_id: str, seconds: float) -> None:
        """Telegram said retry_after: nothing goes to this chat, nor anywhere, from any process."""
        await self.fallback.pause(chat_id, seconds)
        keys = [f"{k}:pause" for k, _, _ in self._windows(chat_id)]
        try:
            await self._pause(keys=keys, args=[redis_state.clock_arg(self.clock), seconds])
        except redis_state.REDIS_ERRORS as exc:
            self.guard.failed(exc)
