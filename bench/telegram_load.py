"""Shared pieces of the Telegram benchmarks: the stand-in, bot processes, closed-loop load, figures."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stand_ins.telegram_api import BotAPIStandIn, Limits  # noqa: E402


@dataclass
class Figures:
    name: str
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: int = 0
    rss_mb: float | None = None
    handled: int = 0  # every update answered, the warm-up's included (for per-update CPU and API calls)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


@contextlib.asynccontextmanager
async def stand_in(limits: Limits | None = None) -> AsyncIterator[BotAPIStandIn]:
    # Bodies are not kept: a long run would hold every request in memory.
    async with BotAPIStandIn(limits=limits or Limits(enabled=False), record_bodies=False) as api:
        yield api


@contextlib.asynccontextmanager
async def process(
    args: list[str], env: dict[str, str], ready: str
) -> AsyncIterator[tuple[subprocess.Popen, str]]:
    """Starts a bot process and waits for the line that says it is ready; yields it and that line."""
    proc = await asyncio.create_subprocess_exec(
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        while True:
            raw = await asyncio.wait_for(proc.stdout.readline(), 120)
            if not raw:
                raise RuntimeError("bot process ended:\n" + "".join(lines))
            line = raw.decode()
            lines.append(line)
            if ready in line:
                break
        drain = asyncio.create_task(_drain(proc.stdout))
        yield proc, line  # type: ignore[misc]
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        with contextlib.suppress(Exception):
            drain.cancel()


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


def rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 1024 / 1024


async def closed_loop(
    api: BotAPIStandIn,
    people: list[Any],
    make_update: Callable[[Any, int], dict[str, Any]],
    seconds: float,
    name: str,
    warmup: float = 2.0,
) -> Figures:
    """Each person sends an update and waits for its reply before the next: updates/s and latency to reply."""
    figures = Figures(name)
    waiters: dict[int, asyncio.Future[float]] = {}
    loop = asyncio.get_running_loop()

    def on_message(chat_id: int) -> None:
        fut = waiters.pop(chat_id, None)
        if fut is not None and not fut.done():
            fut.set_result(time.perf_counter())

    api.on_message = on_message
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + seconds

    async def person(p: Any) -> None:
        n = 0
        while time.perf_counter() < stop_at:
            fut: asyncio.Future[float] = loop.create_future()
            waiters[p.id] = fut
            t0 = time.perf_counter()
            try:
                status = await api.deliver_webhook(make_update(p, n))
                if status != 200:
                    figures.errors += 1
                    waiters.pop(p.id, None)
                    continue
                done = await asyncio.wait_for(fut, 30)
            except (TimeoutError, OSError):
                figures.errors += 1
                continue
            n += 1
            figures.handled += 1
            if t0 >= measure_from and done <= stop_at:
                figures.latencies.append(done - t0)

    await asyncio.gather(*(person(p) for p in people))
    figures.seconds = seconds
    api.on_message = None
    return figures
