"""APScheduler runs a few periodic ticks; what is due lives in database rows, not in jobs.

Each process has its own in-memory job store (APScheduler's store must not be
shared between processes); the ticks claim rows, so several processes may run.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.runtime import Runtime

log = logging.getLogger(__name__)


def make_scheduler(runtime: Runtime) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    for tick in runtime.ticks:

        async def run(tick=tick) -> None:  # bind the loop variable
            try:
                await tick.run(runtime)
            except Exception:
                log.exception("tick %s failed", tick.name)
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
