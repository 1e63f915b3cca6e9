"""`ustaz run --processes N`: a parent that starts N serving processes on one port and keeps them running.

Each child is `python -m bot run` with USTAZ_PROCESSES=N and USTAZ_PROCESS_INDEX=i in its
environment: it binds the same port (SO_REUSEPORT) and owns its share of the chats
(bot/queues/shards.py). `ustaz run` prepares the database once (migrations, the demo school),
then becomes this parent (`python -m bot.processes`, by exec: the same process id, without the
140 MB of the whole application it no longer needs). The parent says "Ustaz is running" when
every child serves, starts again a child that exits unbidden
(after a growing pause, as the supervisor does with a loop), and on SIGTERM or SIGINT stops
them all and waits for them. A child that refuses to start (exit code 2: a wrong setting)
stops the whole run: starting it again would only refuse again.

Only on PostgreSQL: SQLite has one writer, so more processes would only wait for each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from typing import NoReturn

from bot.config import Settings, load_settings
from bot.supervisor import RESTART_FIRST, RESTART_MAX, sleep_or_stop

log = logging.getLogger(__name__)

READY = "serving as process"  # what each child prints once it serves, with its index
STOP_SECONDS = 10.0  # a child still running this long after SIGTERM is killed
REFUSED = 2  # the exit code of `ustaz run` refusing its settings


def refusal(settings: Settings) -> str | None:
    """Why these settings cannot run several processes, or None."""
    if settings.processes > 1 and settings.is_sqlite:
        return (
            f"Several processes (USTAZ_PROCESSES={settings.processes}) need PostgreSQL: SQLite has one "
            "writer, so more processes would only wait for each other. Set USTAZ_DATABASE_URL to a "
            "postgresql:// URL, or run one process."
        )
    return None


def _die_with_parent() -> None:
    """Linux: a child gets SIGTERM when its parent dies, even by kill -9 (no orphans on the port)."""
    if sys.platform == "linux":
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Children:
    def __init__(self, count: int, announce: str) -> None:
        self.count = count
        self.announce = announce
        self.stop = asyncio.Event()
        self.ready: set[int] = set()
        self.announced = False
        self.refused = False

    async def keep(self, index: int) -> None:
        """Runs child `index` until stop; starts it again when it exits unbidden."""
        pause = RESTART_FIRST
        env = os.environ | {"USTAZ_PROCESSES": str(self.count), "USTAZ_PROCESS_INDEX": str(index)}
        while not self.stop.is_set():
            started = time.monotonic()
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=env, stdout=asyncio.subprocess.PIPE,
                preexec_fn=_die_with_parent,
            )  # fmt: skip
            assert proc.stdout is not None
            lines = asyncio.create_task(self._forward(proc.stdout, index, READY))
            stopping = asyncio.create_task(self.stop.wait())
            exited = asyncio.create_task(proc.wait())
            await asyncio.wait([stopping, exited], return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if self.stop.is_set() and proc.returncode is None:
                await self._end(proc)
            await asyncio.gather(exited, lines, return_exceptions=True)
            self.ready.discard(index)
            if self.stop.is_set():
                return
            if proc.returncode == REFUSED:
                log.error("process %d of %d refused to start: stopping all", index, self.count)
                self.refused = True
                self.stop.set()
                return
            if time.monotonic() - started > 60:
                pause = RESTART_FIRST  # it ran well for a while: this is a new streak
            log.error(
                "process %d of %d exited with code %s; starting it again in %.1f s",
                index, self.count, proc.returncode, pause,
            )  # fmt: skip
            await sleep_or_stop(self.stop, pause)
            pause = min(RESTART_MAX, pause * 2)

    async def _forward(self, stream: asyncio.StreamReader, index: int, ready: str) -> None:
        """The child's own output goes on to ours; its "serving" line counts it in."""
        while raw := await stream.readline():
            line = raw.decode(errors="replace")
            if line.startswith(ready):
                self.ready.add(index)
                if len(self.ready) == self.count and not self.announced:
                    self.announced = True
                    print(self.announce, flush=True)
                continue
            sys.stdout.write(line)
            sys.stdout.flush()

    @staticmethod
    async def _end(proc: asyncio.subprocess.Process) -> None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), STOP_SECONDS)
        except TimeoutError:
            log.error("process %s did not stop in %.0f s: killed", proc.pid, STOP_SECONDS)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


async def run_processes(settings: Settings, announce: str) -> int:
    """Starts settings.processes children and keeps them until SIGTERM or SIGINT; the exit code."""
    children = Children(settings.processes, announce)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, children.stop.set)
    await asyncio.gather(*(children.keep(i) for i in range(settings.processes)))
    return REFUSED if children.refused else 0


def become_parent(settings: Settings, announce: str) -> NoReturn:
    """Replaces this process (which prepared the database) by the parent alone; never returns."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.environ["USTAZ_PROCESSES"] = str(settings.processes)  # `--processes N` wins over the setting
    os.execv(sys.executable, [sys.executable, "-m", "bot.processes", announce])


def main(argv: list[str]) -> int:
    from bot.cli import logs

    logs.setup()
    settings = load_settings()
    logs.hide_secrets(settings)
    return asyncio.run(run_processes(settings, argv[0]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
