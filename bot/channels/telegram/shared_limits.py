"""Telegram's flood limits kept in Redis, so that several sender processes of one bot keep them together.

The same windows, pace and 429 rule as limits.RateLimiter (its docstring states the
rule): a send takes a slot in the bot's window and in its chat's from its start
until its answer plus the window's length, and the bot's sends are spaced 1/pace
apart. Each window is a sorted set of slots scored by when they free up:
"r<token>" while the send runs (scored with a lease, so a killed process's slots
come back), "e<token>" once it ended ("ef<n><token>": a window filled after a
chat's 429). The paces and the bot's next start live in one hash, recent refusals
in a sorted set by chat. Taking both slots or neither, giving them back, and
applying a 429 are one Lua script each; the keys expire when idle. When Redis
cannot be reached, the per-process limiter takes over (see redis_state.Guard).
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

from aiogram.exceptions import TelegramRetryAfter
from redis.asyncio import Redis

import bot.channels.telegram.limits as tg
from bot import redis_state
from bot.channels.telegram.limits import Ended, RateLimiter, TelegramLimits, Turns, chat_window

# A pace as limits.Pace computes it, from the hash's <name>_to and <name>_at.
_PACE = """
local function pace(hash, name, ceiling, growth, now)
  local at = tonumber(redis.call('HGET', hash, name .. '_at') or '')
  if not at then return ceiling end
  local to = tonumber(redis.call('HGET', hash, name .. '_to'))
  return math.min(ceiling, to * growth ^ math.max(0, now - at))
end
local function fmt(x) return string.format('%.17g', x) end  -- exact: a wait must never print as 0
"""

# KEYS: the bot's window, the chat's, the chat's pause key, the pace hash.
# ARGV: now, token, lease, poll, the bot's limit, the chat's, the configured pace, growth, peek, slack.
# Returns "0" (both slots taken) or the seconds to wait, as a string (Lua numbers would be truncated).
# With peek = 1: only how long the chat itself has to wait; nothing is taken.
_TAKE = (
    redis_state.NOW_LUA
    + _PACE
    + """
local token, lease, poll = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local limits = {tonumber(ARGV[5]), tonumber(ARGV[6])}
local ceiling, growth, peek = tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9] == '1'
local wait = 0
local first = 1
if peek then first = 2 end
for i = first, 2 do
  local key = KEYS[i]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= limits[i] then
    -- The earliest ended slot frees first; with only running ones, look again shortly.
    local w = poll
    local slots = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
    for j = 1, #slots, 2 do
      if string.sub(slots[j], 1, 1) == 'e' then w = tonumber(slots[j + 1]) - now break end
    end
    wait = math.max(wait, w)
  end
end
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then wait = math.max(wait, paused - now) end
if peek then return fmt(wait) end
local nxt = tonumber(redis.call('HGET', KEYS[4], 'next') or '0')
if nxt > now then wait = math.max(wait, nxt - now) end
if wait > 0 then return fmt(wait) end
local ttl = math.ceil(lease * 1000) + 60000
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], now + lease, 'r' .. token)
  redis.call('PEXPIRE', KEYS[i], ttl)
end
local step = 1 / pace(KEYS[4], 'g', ceiling, growth, now)
redis.call('HSET', KEYS[4], 'next', fmt(math.max(now - math.min(tonumber(ARGV[10]), step), nxt) + step))
redis.call('PEXPIRE', KEYS[4], ttl)
return '0'
"""
)

# KEYS: the bot's window, the chat's, the pace hash. ARGV: now, token, lease, the bot's window in
# seconds, the chat's at the configured pace, growth.
_GIVE_BACK = (
    redis_state.NOW_LUA
    + _PACE
    + """
local token, lease, growth = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[6])
local seconds = {tonumber(ARGV[4]), tonumber(ARGV[5]) / pace(KEYS[3], 'c', 1.0, growth, now)}
for i = 1, 2 do
  redis.call('ZREM', KEYS[i], 'r' .. token)  -- may empty the set, which removes the key and its expiry
  redis.call('ZADD', KEYS[i], now + seconds[i], 'e' .. token)
  redis.call('PEXPIRE', KEYS[i], math.ceil(lease * 1000) + 60000)
end
return 1
"""
)

# KEYS: the bot's window, the chat's, the chat's pause key, the pace hash, the refusals.
# ARGV: now, token, lease, chat, retry_after, age of the refused send, the configured pace, growth,
# the chat's limit, its window at the configured pace, then GLOBAL_CUT, CHAT_CUT, MIN_RATE,
# MIN_CHAT_FACTOR, REFUSALS_WINDOW. Returns whose limit it was taken for: "chat" or "bot".
_REFUSED = (
    redis_state.NOW_LUA
    + _PACE
    + """
local token, lease, chat = ARGV[2], tonumber(ARGV[3]), ARGV[4]
local retry, started = tonumber(ARGV[5]), now - tonumber(ARGV[6])
local ceiling, growth = tonumber(ARGV[7]), tonumber(ARGV[8])
local limit, base = tonumber(ARGV[9]), tonumber(ARGV[10])
local global_cut, chat_cut = tonumber(ARGV[11]), tonumber(ARGV[12])
local min_rate, min_factor, refusals_window = tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15])
local ttl = math.ceil(lease * 1000) + 60000
-- Telegram did not count a refused send: it frees its slots without an end.
redis.call('ZREM', KEYS[1], 'r' .. token)
redis.call('ZREM', KEYS[2], 'r' .. token)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - refusals_window)
local others = redis.call('ZCARD', KEYS[5])
if redis.call('ZSCORE', KEYS[5], chat) then others = others - 1 end
redis.call('ZADD', KEYS[5], now, chat)
redis.call('PEXPIRE', KEYS[5], math.ceil(refusals_window * 1000) + 1000)
local function ended_after(key, moment)
  local n = 0
  for _, slot in ipairs(redis.call('ZRANGEBYSCORE', key, '(' .. fmt(moment), '+inf')) do
    if string.sub(slot, 1, 1) == 'e' then n = n + 1 end
  end
  return n
end
local until_ = now + retry
local seconds = base / pace(KEYS[4], 'c', 1.0, growth, now)
if ended_after(KEYS[2], started + seconds - seconds / limit) > 0 and others == 0 then
  local factor = pace(KEYS[4], 'c', 1.0, growth, now)
  local at = tonumber(redis.call('HGET', KEYS[4], 'c_at') or '')
  if not at or started >= at then
    factor = math.max(min_factor, chat_cut * factor)
    redis.call('HSET', KEYS[4], 'c_to', fmt(factor), 'c_at', fmt(now))
    redis.call('PEXPIRE', KEYS[4], ttl)
  end
  local interval = base / factor / limit
  if until_ > tonumber(redis.call('GET', KEYS[3]) or '0') then
    redis.call('SET', KEYS[3], fmt(until_), 'PX', math.ceil(retry * 1000) + 1000)
  end
  for j = 0, limit - 1 do
    redis.call('ZADD', KEYS[2], until_ + j * interval, 'ef' .. j .. token)
  end
  redis.call('PEXPIRE', KEYS[2], ttl)
  return 'chat'
end
local at = tonumber(redis.call('HGET', KEYS[4], 'g_at') or '')
if not at or started >= at then
  -- what got through: ends of the last second (the bot's window is one second long)
  local through = ended_after(KEYS[1], now)
  local rate = math.max(min_rate, global_cut * math.min(pace(KEYS[4], 'g', ceiling, growth, now), through))
  redis.call('HSET', KEYS[4], 'g_to', fmt(rate), 'g_at', fmt(now))
end
local nxt = tonumber(redis.call('HGET', KEYS[4], 'next') or '0')
redis.call('HSET', KEYS[4], 'next', fmt(math.max(nxt, until_)))
redis.call('PEXPIRE', KEYS[4], ttl)
return 'bot'
"""
)


class SharedRateLimiter:
    """One per process and bot, like RateLimiter, with the windows and paces in Redis under `prefix`."""

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
        self._refused = redis.register_script(_REFUSED)
        self.turns = Turns()
        self._ended = Ended()

    def _keys(self, chat_id: str) -> list[str]:
        """The bot's window, the chat's, the chat's pause key, the pace hash, the refusals."""
        chat = f"{self.keys}:chat:{chat_id}"
        return [f"{self.keys}:all", chat, f"{chat}:pause", f"{self.keys}:pace", f"{self.keys}:refused"]

    # -- one attempt each: what slot() does, and what tests drive with a fake clock ------------

    async def try_take(self, chat_id: str, token: str, peek: bool = False) -> float:
        """0.0 when both slots are now this send's, else the seconds to wait before asking again."""
        chat_limit, _ = chat_window(self.limits, chat_id)
        args: list[str | float] = [redis_state.clock_arg(self.clock), token, self.lease, self.poll,
                                   self.limits.per_second, chat_limit, float(self.limits.per_second),
                                   tg.GROWTH, int(peek), tg.SLACK]  # fmt: skip
        return float(await self._take(keys=self._keys(chat_id)[:4], args=args))

    async def give_back(self, chat_id: str, token: str) -> None:
        _, chat_seconds = chat_window(self.limits, chat_id)
        keys = self._keys(chat_id)
        args: list[str | float] = [
            redis_state.clock_arg(self.clock),
            token,
            self.lease,
            1.0,
            chat_seconds,
            tg.GROWTH,
        ]
        await self._give_back(keys=[keys[0], keys[1], keys[3]], args=args)

    async def refused(self, chat_id: str, token: str, retry_after: float, age: float) -> str:
        """Telegram answered 429 to this send, started `age` seconds ago: limits' rule, for every process."""
        chat_limit, chat_seconds = chat_window(self.limits, chat_id)
        args: list[str | float] = [redis_state.clock_arg(self.clock), token, self.lease, chat_id, retry_after,
                                   age, float(self.limits.per_second), tg.GROWTH, chat_limit, chat_seconds,
                                   tg.GLOBAL_CUT, tg.CHAT_CUT, tg.MIN_RATE, tg.MIN_CHAT_FACTOR,
                                   tg.REFUSALS_WINDOW]  # fmt: skip
        whose = await self._refused(keys=self._keys(chat_id), args=args)
        return whose.decode() if isinstance(whose, bytes) else str(whose)

    # -- the limiter's interface --------------------------------------------------------------

    async def ready_in(self, chat_id: str) -> float:
        if not self.limits.enabled:
            return 0.0
        if self.guard.usable():
            try:
                wait = await self.try_take(chat_id, "", peek=True)
            except redis_state.REDIS_ERRORS as exc:
                self.guard.failed(exc)
            else:
                self.guard.ok()
                return wait
        return await self.fallback.ready_in(chat_id)

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
        started = time.monotonic()
        try:
            yield
        except TelegramRetryAfter as err:
            await self._finish(self.refused(chat_id, token, err.retry_after, time.monotonic() - started))
            raise
        except BaseException:
            await self._finish(self.give_back(chat_id, token))  # it may have reached Telegram: counted
            raise
        else:
            await self._finish(self.give_back(chat_id, token))

    async def _finish(self, script: Awaitable[object]) -> None:
        try:
            await script
        except redis_state.REDIS_ERRORS as exc:
            self.guard.failed(exc)  # the slot's lease frees it in Redis
        self._ended.set()

    async def _acquire(self, chat_id: str) -> str | None:
        token = uuid.uuid4().hex
        async with self.turns.turn():  # this process's sends in arrival order, as in RateLimiter
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
                await self._ended.wait_for(wait)
        return None
