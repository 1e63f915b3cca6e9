"""APScheduler runs a few periodic ticks; what is due lives in database rows, not in jobs.

Each process has its own in-memory job store (APScheduler's store must not be
shared between processes); the ticks claim rows, so several processes may run.
Each tick keeps a heartbeat of its last success and a failure streak, which the
supervisor's health check reads (a tick failing for minutes is reported, and logged
once with its cause rather than on every run).
"""

from __future__ import annotations

import asyncio
import logging
import time

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.runtime import PeriodicTick, Runtime
from bot.supervisor import FailureStreak, Heartbeat, Loop

log = logging.getLogger(__name__)


class TickState:
    def __init__(self, tick: PeriodicTick) -> None:
        self.tick = tick
        self.heartbeat = Heartbeat()  # the last run that succeeded (or the start)
        self.failures = FailureStreak(f"tick {tick.name}", log)


def make_scheduler(runtime: Runtime, states: list[TickState] | None = None) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    for tick in runtime.ticks:
        state = TickState(tick)
        if states is not None:
            states.append(state)

        async def run(state: TickState = state) -> None:  # bind the loop variable
            try:
                await state.tick.run(runtime.deps)
            except Exception as exc:
                state.failures.failed(exc)
            else:
                state.failures.ok()
                state.heartbeat.beat()
            runtime.wake_sender()

        scheduler.add_job(
            run,
            "interval",
            seconds=tick.seconds,
            id=tick.name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,  # a tick late by any amount still runs (the default 1 s drops it)
        )
    return scheduler


def scheduler_loop(runtime: Runtime, stuck_after: float) -> Loop:
    """The scheduler as a supervised loop: it runs until stop; its health is its ticks' health."""
    states: list[TickState] = []

    async def run(stop: asyncio.Event) -> None:
        states.clear()
        scheduler = make_scheduler(runtime, states)
        scheduler.start()
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)

    def problems() -> str | None:
        now = time.monotonic()
        late = []
        for s in states:
            # A tick is late after three of its periods without a success, and never sooner than
            # stuck_after: a slow tick (a big wave of reminders) is not a stuck one.
            quiet = s.heartbeat.quiet_for(now)
            if quiet > max(stuck_after, 3 * s.tick.seconds):
                why = f": {s.failures.last_error}" if s.failures.failing else ""
                late.append(f"tick {s.tick.name} has not succeeded for {quiet:.0f} s{why}")
        return "; ".join(late) or None

    return Loop("scheduler", run, check=problems)
