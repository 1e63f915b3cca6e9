"""The loops stay alive and /healthz tells the truth: a crash is restarted, a stall is reported,
an update that cannot be handled is given up and answered, and a database outage is logged once."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.app import Running, build_runtime, running
from bot.core.messages import Incoming
from bot.queues import inbox
from bot.runtime import Runtime
from bot.services.admin.demo import ensure_demo
from bot.supervisor import Loop, StallWatch, Supervisor
from db.base import utcnow
from db.models import Channel, InboxStatus, InboxUpdate
from tests.channels.telegram_app import until
from tests.harness import Harness, Seat, settings_for, texts
from tests.stand_ins.tcp_proxy import TcpProxy

APOLOGY_RU = "ошибка"  # part of the apology a person gets when their message could not be handled


def message(seat: Seat, text: str) -> Incoming:
    command, args = Incoming.parse_text(text)
    return Incoming(channel=Channel.web, external_user_id=seat.external_id, chat_id=seat.external_id,
                    text=text, command=command, command_args=args)  # fmt: skip


async def health(live: Running) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(live.url + "/healthz") as resp:
        return resp.status, await resp.json()


async def health_becomes(live: Running, status: int, timeout: float = 20.0) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        got, body = await health(live)
        return body if got == status else None

    return await until(probe, timeout)  # type: ignore[no-any-return]


async def answered(harness: Harness, seat: Seat, expect: str, timeout: float = 30.0) -> str:
    seen: list[str] = []

    async def probe() -> str | None:
        seen.append(texts(await harness.received(seat)))
        joined = "\n".join(seen)
        return joined if expect in joined else None

    return await until(probe, timeout)  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def live_ustaz(database_url: str, tmp_path: Path, **overrides: object) -> AsyncIterator[Running]:
    runtime = build_runtime(settings_for(database_url, tmp_path, **overrides))
    await ensure_demo(runtime)
    try:
        async with running(runtime, port=0) as live:
            yield live
    finally:
        await runtime.engine.dispose()


# -- the supervisor on its own -------------------------------------------------------------------


async def test_a_loop_that_crashes_is_logged_restarted_and_reported(caplog: pytest.LogCaptureFixture) -> None:
    starts = 0
    third_start = asyncio.Event()
    release = asyncio.Event()

    async def flaky(stop: asyncio.Event) -> None:
        nonlocal starts
        starts += 1
        if starts < 3:
            await release.wait()
            raise ConnectionRefusedError("telegram unreachable")
        third_start.set()
        await stop.wait()

    supervisor = Supervisor(stuck_after=60)
    supervisor.add(Loop("telegram polling", flaky))
    stop = asyncio.Event()
    tasks = supervisor.start(stop)
    release.set()
    await asyncio.wait_for(third_start.wait(), 10)
    report = await supervisor.report()
    assert report.ok and report.loops == {"telegram polling": "ok"}
    crashes = [r for r in caplog.records if "crashed" in r.getMessage()]
    assert len(crashes) == 2 and all(r.levelno == logging.ERROR for r in crashes)
    assert "telegram unreachable" in str(crashes[0].exc_info[1])  # type: ignore[index]
    stop.set()
    await asyncio.gather(*tasks)


async def test_a_crashed_loop_waiting_to_restart_is_not_healthy() -> None:
    crashed = asyncio.Event()

    async def broken(stop: asyncio.Event) -> None:
        crashed.set()
        raise RuntimeError("boom")

    supervisor = Supervisor(stuck_after=60)
    supervisor.add(Loop("outbox", broken))
    stop = asyncio.Event()
    tasks = supervisor.start(stop)
    await crashed.wait()
    (loop,) = supervisor.loops

    async def recorded() -> bool | None:
        return True if loop.crashes else None

    await until(recorded, timeout=5)
    report = await supervisor.report()
    assert not report.ok and report.loops["outbox"] == "crashed, restarting: RuntimeError: boom"
    stop.set()
    await asyncio.gather(*tasks)


# -- the running app -----------------------------------------------------------------------------


async def test_a_worker_that_cannot_start_is_restarted_and_health_says_so_meanwhile(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: object
) -> None:
    """The database is not there when Ustaz starts: the inbox loop fails, is reported, and recovers."""
    from bot.queues.inbox import InboxWorker

    failing = 2
    original = InboxWorker.release_orphans

    async def release_orphans(self: InboxWorker) -> int:
        nonlocal failing
        if failing:
            failing -= 1
            raise ConnectionRefusedError("the database is not up yet")
        return await original(self)

    monkeypatch.setattr(InboxWorker, "release_orphans", release_orphans)
    async with live_ustaz(database_url, tmp_path) as live:
        body = await health_becomes(live, 503)
        assert body["loops"]["inbox"].startswith("crashed, restarting: ConnectionRefusedError")
        assert body["loops"]["outbox"] == "ok"
        body = await health_becomes(live, 200)
        loops = {"inbox", "outbox", "scheduler", "event loop watch"}
        if live.runtime.is_sqlite:
            loops.add("sqlite checkpoints")  # its write-ahead log copied beside the event loop
        assert set(body["loops"]) == loops and body["ok"] is True
        harness = Harness(live.runtime)
        seat = await harness.seat_for("Анна Сергеевна Петрова")
        await inbox.accept(live.runtime, message(seat, "/menu"), "m-1")
        await answered(harness, seat, "Главное меню")


async def test_a_hung_handler_does_not_hold_up_the_others_and_is_given_up(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: object, db_kind: str
) -> None:
    """One update whose handling never ends: the stall is reported (SQLite has one writer, so it holds
    the worker; PostgreSQL goes on with other chats), then it times out, is tried again and apologized for,
    and the next person is answered."""
    monkeypatch.setattr(inbox, "HANDLE_SECONDS", 1.5)
    async with live_ustaz(database_url, tmp_path, health_stuck_seconds=0.5) as live:
        runtime = live.runtime
        harness = Harness(runtime)
        stuck = await harness.seat_for("Анна Сергеевна Петрова")
        other = await harness.seat_for("Дмитрий Олегович Ли")
        handle = runtime.conversation.handle
        hung = asyncio.Event()

        async def hangs_for_one(session: Any, incoming: Incoming, handed: Any) -> None:
            if incoming.chat_id == stuck.external_id:
                hung.set()
                await asyncio.Event().wait()  # never returns: only the timeout ends it
            await handle(session, incoming, handed)

        monkeypatch.setattr(runtime.conversation, "handle", hangs_for_one)
        await inbox.accept(runtime, message(stuck, "/menu"), "hang-1")
        await asyncio.wait_for(hung.wait(), 10)
        await inbox.accept(runtime, message(other, "/menu"), "next-1")
        if db_kind == "sqlite":
            body = await health_becomes(live, 503)
            # 1 or 2 waiting: the hung row itself is back in line once its first try times out, and
            # the other person's message is stored only when the hung transaction lets go of SQLite.
            assert re.match(r"stuck: [12] waiting, no progress for", body["loops"]["inbox"]), body
        await answered(harness, other, "Главное меню")
        assert APOLOGY_RU in (await answered(harness, stuck, APOLOGY_RU)).lower()
        await health_becomes(live, 200)
        async with runtime.sessions() as session:
            row = await session.scalar(select(InboxUpdate).where(InboxUpdate.external_id == "hang-1"))
        assert row is not None and row.status == InboxStatus.failed and "TimeoutError" in (row.error or "")


async def test_an_update_that_killed_the_process_each_time_is_given_up_and_answered(
    demo: Runtime, harness: Harness
) -> None:
    """Claimed three times and never finished (the process died handling it): the fourth claim gives it up
    with an apology instead of dying again, and the chat's next message is handled."""
    seat = await harness.seat_for("Анна Сергеевна Петрова")
    await inbox.accept(demo, message(seat, "/menu"), "poison-1")
    async with demo.sessions() as session, session.begin():
        await session.execute(
            update(InboxUpdate).values(
                status=InboxStatus.processing,
                attempts=inbox.MAX_ATTEMPTS,
                claimed_by="in-dead",
                claimed_until=utcnow() - dt.timedelta(seconds=1),
            )
        )
    await inbox.accept(demo, message(seat, "/help"), "after-1")
    await harness.settle()
    got = texts(await harness.received(seat))
    assert APOLOGY_RU in got.lower() and "Главное меню" not in got
    async with demo.sessions() as session:
        rows = {r.external_id: r for r in await session.scalars(select(InboxUpdate))}
    assert rows["poison-1"].status == InboxStatus.failed and "given up" in (rows["poison-1"].error or "")
    assert rows["after-1"].status == InboxStatus.done


async def test_a_database_outage_is_logged_once_per_loop_and_its_end_is_said(
    tmp_path: Path, db_kind: str, database_url: str, engine: object, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL goes away under a running Ustaz: one error with its cause per loop, not one a second,
    the workers back off, and when it is back they say so and work."""
    if db_kind != "postgresql":
        pytest.skip("a database server that goes away: PostgreSQL")
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    async with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        async with live_ustaz(proxied, tmp_path, health_stuck_seconds=0.5) as live:
            runtime = live.runtime
            assert runtime.inbox_worker is not None and runtime.sender is not None
            caplog.clear()
            caplog.set_level(logging.INFO)
            proxy.cut()
            workers = (runtime.inbox_worker, runtime.sender)
            # Several failed rounds each: before the fix that was several tracebacks each.
            await until(lambda: _true_or_none(all(w.failures.count >= 4 for w in workers)), timeout=30)
            during = [r for r in caplog.records if r.levelno >= logging.ERROR]
            for what in ("the inbox worker", "the outbox sender"):
                mine = [r for r in during if r.getMessage().startswith(what)]
                assert len(mine) == 1, [r.getMessage() for r in mine]
                assert mine[0].exc_info is not None
            tracebacks = [r for r in caplog.records if r.exc_info is not None]
            assert len(tracebacks) <= 6, [r.getMessage() for r in tracebacks]  # one per loop at most
            proxy.restore()
            await until(lambda: _true_or_none(not any(w.failures.failing for w in workers)), timeout=60)
            backs = [r.getMessage() for r in caplog.records if " is back after " in r.getMessage()]
            assert any(m.startswith("the inbox worker is back") for m in backs), backs
            harness = Harness(runtime)
            seat = await harness.seat_for("Анна Сергеевна Петрова")
            await inbox.accept(runtime, message(seat, "/menu"), f"m-{uuid.uuid4()}")
            await answered(harness, seat, "Главное меню")


def _true_or_none(value: bool) -> Any:
    async def probe() -> bool | None:
        return True if value else None

    return probe()


async def test_a_stalled_event_loop_is_measured_and_shown_by_health(
    database_url: str, tmp_path: Path, engine: object
) -> None:
    """A blocking call holds every update of the process: the longest stall is on /healthz."""
    watch = StallWatch()
    stop = asyncio.Event()
    task = asyncio.create_task(watch.run(stop))
    await asyncio.sleep(0)  # the watch is now asleep, waiting for its period
    time.sleep(0.3)  # the stall under test: the loop itself blocked, not a wait for something
    stop.set()
    await task
    assert watch.stats["longest_stall_ms"] >= 250 and watch.stats["stalls_over_100ms"] == 1

    async with live_ustaz(database_url, tmp_path) as live:
        status, body = await health(live)
    assert status == 200 and body["loops"]["event loop watch"] == "ok"
    assert set(body["counters"]["event loop"]) == {"longest_stall_ms", "stalls_over_100ms"}


async def test_metrics_tell_which_loops_are_up(database_url: str, tmp_path: Path, engine: object) -> None:
    async with (
        live_ustaz(database_url, tmp_path) as live,
        aiohttp.ClientSession() as http,
        http.get(live.url + "/metrics") as resp,
    ):
        page = await resp.text()
    for loop in ("inbox", "outbox", "scheduler", "event loop watch"):
        assert f'ustaz_loop_up{{loop="{loop}"}} 1.0' in page
    assert 'ustaz_counter{group="event loop",name="longest_stall_ms"}' in page
