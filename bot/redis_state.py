"""Redis, when USTAZ_REDIS_URL is set: the state every process of a country keeps together.

Today that is the messengers' rate limits (Telegram's and WhatsApp's limiters keep
their windows here, so that any number of sender processes together stay within
them). Redis is a helper, not a dependency of sending: when it goes away at run
time, each limiter falls back to its per-process twin and says so in the log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.config import SettingsError

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

# What a vanished or broken Redis raises: the limiters fall back on these, never on a bug of ours.
REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
PREFIX = "ustaz"

# The scripts' clock: the caller's (a fake one in tests) when given, else Redis's own, which
# every process on every machine shares.
NOW_LUA = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
"""


def connect(url: str) -> Redis:
    # Short timeouts: a hung Redis must cost a send a second, not the aiohttp default of minutes.
    return Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)


def clock_arg(clock: Callable[[], float] | None) -> str:
    """The script's first argument: the given clock's reading, or "" for Redis's clock."""
    return "" if clock is None else repr(clock())


async def check(settings: Settings, redis: Redis | None) -> None:
    """At start: a Redis that cannot be reached stops the start, naming the setting."""
    if redis is None:
        return
    try:
        await redis.ping()  # type: ignore[misc]  # redis-py types ping() for both clients: Awaitable[bool] | bool
    except REDIS_ERRORS as exc:
        raise SettingsError(f"Wrong setting:\n  USTAZ_REDIS_URL: cannot reach Redis there ({exc})") from None


class Guard:
    """Whether to ask Redis now; after a failure, the per-process limiter for `retry` seconds."""

    def __init__(self, what: str, retry: float = 10.0) -> None:
        self.what = what
        self.retry = retry
        self._down_until = 0.0
        self.down = False

    def usable(self) -> bool:
        return time.monotonic() >= self._down_until

    def failed(self, exc: BaseException) -> None:
        if not self.down:
            log.warning(
                "Redis (USTAZ_REDIS_URL) cannot be reached (%r): %s are kept per process until it is back",
                exc,
                self.what,
            )
        self.down = True
        self._down_until = time.monotonic() + self.retry

    def ok(self) -> None:
        if self.down:
            log.warning("Redis (USTAZ_REDIS_URL) is back: %s are shared again", self.what)
        self.down = False
