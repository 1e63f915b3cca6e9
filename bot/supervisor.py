"""The long-running loops of a process, kept alive and reported on truthfully.

Every loop (the inbox worker, the outbox sender, Telegram polling, the scheduler's
ticks) runs under one Supervisor. A loop that ends by an exception is logged and
started again with a growing pause; a loop that stops making progress while work
waits for it is reported stuck. `/healthz` shows `report()`: 503 and the loop's name
when one is dead or stuck.

Loops say they made progress by beating their Heartbeat; a loop whose work can only
be seen in the database (rows waiting in the inbox or the outbox) gives a `waiting`
probe, asked only when the loop has been quiet for a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

RESTART_FIRST = 0.5  # seconds before the first restart of a crashed loop
RESTART_MAX = 30.0


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """A loop's pause between tries, cut short by stopping."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class Heartbeat:
    """When a loop last made progress (monotonic seconds)."""

    def __init__(self) -> None:
        self.at = time.monotonic()

    def beat(self) -> None:
        self.at = time.monotonic()

    def quiet_for(self, now: float | None = None) -> float:
        return (time.monotonic() if now is None else now) - self.at


class FailureStreak:
    """One loop's run of failures: logged once with its cause, then a line now and then, then "back".

    A database or a messenger away for a minute must not write a traceback a second
    per worker (it once wrote 11 MB in 75 s); `failed()` also gives the pause before the
    next try, growing from `first` to `most` seconds.
    """

    def __init__(
        self, what: str, logger: logging.Logger = log, first: float = 0.5, most: float = 30.0,
        remind_every: float = 60.0, traceback: bool = True,
    ) -> None:  # fmt: skip
        self.what = what
        self.traceback = traceback  # False where the cause says it all (a messenger out of reach)
        self.log = logger
        self.first = first
        self.most = most
        self.remind_every = remind_every
        self.count = 0
        self.since = 0.0
        self._reminded = 0.0
        self.last_error = ""

    @property
    def failing(self) -> bool:
        return self.count > 0

    def failed(self, exc: BaseException) -> float:
        """Records a failure; returns the seconds to wait before trying again."""
        now = time.monotonic()
        self.count += 1
        self.last_error = f"{type(exc).__name__}: {exc}"[:300]
        if self.count == 1:
            self.since = self._reminded = now
            # The first one in full: its traceback says where; the rest only say it goes on.
            self.log.error(
                "%s failed: %s (retrying with backoff)", self.what, self.last_error,
                exc_info=exc if self.traceback else None,
            )  # fmt: skip
        elif now - self._reminded >= self.remind_every:
            self._reminded = now
            self.log.warning(
                "%s still failing after %.0f s (%d tries): %s",
                self.what, now - self.since, self.count, self.last_error,
            )  # fmt: skip
        return min(self.most, self.first * 2.0 ** (self.count - 1))

    def ok(self) -> None:
        if self.count:
            self.log.warning(
                "%s is back after %.0f s (%d failed tries)",
                self.what,
                time.monotonic() - self.since,
                self.count,
            )
        self.count = 0
        self.last_error = ""


class StallWatch:
    """How late the event loop wakes a task that asked to sleep a little: the longest stall since
    start. A stall delays every update and send in the process at once (a blocking call, a schema
    built on the loop, a long garbage collection); /healthz shows the figure and benchmarks read it.
    """

    PERIOD = 0.05
    NOTABLE_MS = 100  # stalls longer than this are counted

    def __init__(self) -> None:
        self.stats: dict[str, int] = {"longest_stall_ms": 0, "stalls_over_100ms": 0}
        self.heartbeat = Heartbeat()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            asked = time.monotonic()
            await sleep_or_stop(stop, self.PERIOD)
            late_ms = round((time.monotonic() - asked - self.PERIOD) * 1000)
            self.heartbeat.beat()
            if late_ms > self.stats["longest_stall_ms"]:
                self.stats["longest_stall_ms"] = late_ms
            if late_ms > self.NOTABLE_MS:
                self.stats["stalls_over_100ms"] += 1


Run = Callable[[asyncio.Event], Awaitable[None]]
Waiting = Callable[[], Awaitable[int]]


@dataclass
class Loop:
    """A supervised loop: `run(stop)` returns only when `stop` is set."""

    name: str
    run: Run
    heartbeat: Heartbeat = field(default_factory=Heartbeat)
    # How many items wait for this loop (asked only once it has been quiet for stuck_after);
    # None: the loop beats on its own schedule, so quiet alone means stuck.
    waiting: Waiting | None = None
    failures: FailureStreak | None = None  # the loop's own streak, if it keeps one (shown in health)
    # A loop that judges its own progress (the scheduler: each tick on its own period) says what is
    # wrong, or None; its heartbeat is then not used.
    check: Callable[[], str | None] | None = None
    # A task that is done once it succeeds (registering the webhook): returning is not a crash.
    once: bool = False
    # With several processes (`ustaz run --processes N`), only the first runs it (Telegram's polling).
    leader_only: bool = False
    crashes: int = 0
    crashed: str = ""  # the last crash, while the loop waits to be started again
    task: asyncio.Task[None] | None = None


@dataclass(frozen=True)
class Health:
    ok: bool
    loops: dict[str, str]  # name -> "ok" or what is wrong with it


class Supervisor:
    def __init__(self, stuck_after: float) -> None:
        self.stuck_after = stuck_after
        self.loops: list[Loop] = []

    def add(self, loop: Loop) -> Loop:
        if any(existing.name == loop.name for existing in self.loops):
            raise ValueError(f"a loop named {loop.name!r} is supervised already")
        self.loops.append(loop)
        return loop

    def start(self, stop: asyncio.Event) -> list[asyncio.Task[None]]:
        for loop in self.loops:
            loop.task = asyncio.create_task(self._keep(loop, stop), name=loop.name)
        return [loop.task for loop in self.loops if loop.task is not None]

    async def _keep(self, loop: Loop, stop: asyncio.Event) -> None:
        pause = RESTART_FIRST
        while not stop.is_set():
            started = time.monotonic()
            try:
                await loop.run(stop)
                if stop.is_set() or loop.once:
                    return
                raise RuntimeError("the loop returned without being stopped")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                loop.crashes += 1
                loop.crashed = f"{type(exc).__name__}: {exc}"[:300]
                log.error("loop %s crashed; restarting in %.1f s", loop.name, pause, exc_info=exc)
            if time.monotonic() - started > 60:
                pause = RESTART_FIRST  # it ran well for a while: this is a new streak
            await sleep_or_stop(stop, pause)
            pause = min(RESTART_MAX, pause * 2)
            if not stop.is_set():
                log.warning("loop %s restarted (crash %d)", loop.name, loop.crashes)
                loop.crashed = ""
                loop.heartbeat.beat()  # a fresh start is progress: stuck counts from here

    async def report(self) -> Health:
        now = time.monotonic()
        states: dict[str, str] = {}
        for loop in self.loops:
            states[loop.name] = await self._state(loop, now)
        return Health(all(s == "ok" for s in states.values()), states)

    async def _state(self, loop: Loop, now: float) -> str:
        if loop.task is None:
            return "not started"
        if loop.task.done():
            return "ok" if loop.once and not loop.crashed else "dead"
        if loop.crashed:
            return f"crashed, restarting: {loop.crashed}"
        if loop.check is not None:
            return loop.check() or "ok"
        quiet = loop.heartbeat.quiet_for(now)
        if quiet < self.stuck_after:
            return "ok"
        if loop.waiting is not None:
            try:
                waiting = await loop.waiting()
            except Exception as exc:
                return f"cannot tell what waits for it: {type(exc).__name__}: {exc}"[:300]
            if not waiting:
                return "ok"  # idle, nothing to do
            stuck = f"stuck: {waiting} waiting, no progress for {quiet:.0f} s"
        else:
            stuck = f"stuck: no progress for {quiet:.0f} s"
        if loop.failures is not None and loop.failures.failing:
            stuck += f" ({loop.failures.last_error})"
        return stuck
