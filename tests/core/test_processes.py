"""Several processes on one PostgreSQL (`ustaz run --processes N`): each chat has one owner, which
handles its messages in order; what a dead owner leaves is taken over; SQLite refuses."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select, text, update

from bot.core.messages import Incoming
from bot.queues import inbox
from bot.queues.inbox import InboxWorker
from bot.queues.shards import TAKEOVER_SECONDS, Shard
from bot.runtime import Runtime
from db.base import utcnow
from db.models import InboxStatus, InboxUpdate
from tests.conftest import DATABASES
from tests.harness import Harness, Seat
from tests.test_cli import USTAZ, env_for, free_port, ustaz

# Several processes are for PostgreSQL alone; these run where USTAZ_TEST_DATABASES has it.
on_postgresql = pytest.mark.parametrize("db_kind", [d for d in DATABASES if d == "postgresql"], indirect=True)


class Recording(InboxWorker):
    """An inbox worker that remembers the rows it claimed."""

    claimed: list[int]

    async def _claim(self, limit: int | None = None) -> list[int]:
        ids = await super()._claim(limit)
        self.claimed = [*getattr(self, "claimed", []), *ids]
        return ids


async def seats_of_each_owner(harness: Harness, count: int, each: int) -> dict[int, list[Seat]]:
    """Web chat seats (each a chat of its own) until every one of `count` processes owns `each`."""
    shard = Shard(0, count)
    owned: dict[int, list[Seat]] = {i: [] for i in range(count)}
    while any(len(s) < each for s in owned.values()):
        seat = await harness.seat_for("Анна Сергеевна Петрова")
        owner = shard.owner(inbox.chat_key(Incoming.from_web(seat.external_id, "")))
        if len(owned[owner]) < each:
            owned[owner].append(seat)
    return owned


@on_postgresql
async def test_each_chat_is_handled_by_its_owner_in_order_and_all_are_answered(
    demo: Runtime, harness: Harness
) -> None:
    owned = await seats_of_each_owner(harness, 2, 3)
    said = ["/help", "/fly", "/menu", "/lang"]
    for n, text_ in enumerate(said):
        for seats in owned.values():
            for seat in seats:
                await inbox.accept(
                    demo, Incoming.from_web(seat.external_id, text_), f"{seat.external_id}-{n}"
                )
    workers = [Recording(demo, shard=Shard(i, 2)) for i in range(2)]
    while sum(await asyncio.gather(*(w.process_once() for w in workers))):
        pass
    assert demo.sender is not None
    while await demo.sender.drain_once():
        pass

    async with demo.sessions() as session:
        rows = (await session.execute(select(InboxUpdate.id, InboxUpdate.chat_key, InboxUpdate.status))).all()
        # The owner as PostgreSQL reckons it in the claim: the same as the webhook's, in Python.
        in_sql = dict(
            (
                await session.execute(
                    text(
                        "SELECT chat_key, mod(('x' || substr(md5(chat_key), 1, 7))::bit(28)::int, 2) "
                        "FROM inbox_update"
                    )
                )  # fmt: skip
            ).all()
        )
    key_of = {r.id: r.chat_key for r in rows}
    for i, worker in enumerate(workers):
        assert worker.claimed, f"process {i} of 2 took no part"
        assert {in_sql[key_of[row_id]] for row_id in worker.claimed} == {i}
        assert {Shard(0, 2).owner(key_of[row_id]) for row_id in worker.claimed} == {i}
    assert {r.status for r in rows} == {InboxStatus.done}
    for seats in owned.values():
        for seat in seats:
            got = [r.text.split("\n")[0][:11] for r in await harness.received(seat)]
            assert got[0] == "Меню обучаю" and got[2] == "Главное мен" and got[3].startswith("Выберите"), got
            assert len(got) == len(said)


@on_postgresql
async def test_the_chats_of_a_process_that_is_gone_are_taken_over(demo: Runtime, harness: Harness) -> None:
    owned = await seats_of_each_owner(harness, 2, 1)
    seat = owned[1][0]
    await inbox.accept(demo, Incoming.from_web(seat.external_id, "/menu"), "gone-1")
    alive = InboxWorker(demo, shard=Shard(0, 2))
    assert await alive.process_once() == 0  # not its chat, and its owner may still come
    async with demo.sessions() as session, session.begin():
        long_ago = utcnow() - dt.timedelta(seconds=TAKEOVER_SECONDS + 1)
        await session.execute(update(InboxUpdate).values(received_at=long_ago))
    assert await alive.process_once() == 1
    assert demo.sender is not None
    await demo.sender.drain_once()
    assert [r.text.split(" — ")[0] for r in await harness.received(seat)] == ["Главное меню"]


@on_postgresql
async def test_several_processes_serve_one_port_and_stop_together(
    database_url: str, tmp_path: Path, engine: object
) -> None:
    port = free_port()
    env = env_for(database_url, tmp_path, USTAZ_HTTP_PORT=str(port), USTAZ_PROCESSES="2")
    proc = await asyncio.create_subprocess_exec(
        *USTAZ, "run", env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(90):
            while not (line := (await proc.stdout.readline()).decode()).startswith("Ustaz is running"):
                assert line, "ustaz run ended early"
        assert line.strip() == f"Ustaz is running: web chat. (2 processes on port {port})"
        seen: set[str] = set()
        async with aiohttp.ClientSession() as http, asyncio.timeout(60):
            while len(seen) < 2:  # the kernel spreads new connections: both answer, each for itself
                async with http.get(f"http://127.0.0.1:{port}/healthz", headers={"Connection": "close"}) as r:
                    body = await r.json()
                if body["ok"]:
                    seen |= {name for name in body["loops"] if name.startswith("process ")}
        assert seen == {"process 0 of 2", "process 1 of 2"}
    finally:
        proc.terminate()
        async with asyncio.timeout(30):
            await proc.wait()
    assert proc.returncode == 0
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectionError):  # no child left behind on the port
            await http.get(f"http://127.0.0.1:{port}/healthz")


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)  # whatever USTAZ_TEST_DATABASES says
async def test_several_processes_on_sqlite_are_refused(database_url: str, tmp_path: Path) -> None:
    code, out = await ustaz("run", "--processes", "2", env=env_for(database_url, tmp_path), cwd=tmp_path)
    assert code == 2
    assert out.strip() == (
        "Several processes (USTAZ_PROCESSES=2) need PostgreSQL: SQLite has one writer, so more processes "
        "would only wait for each other. Set USTAZ_DATABASE_URL to a postgresql:// URL, or run one process."
    )


@on_postgresql
async def test_a_message_stored_by_another_process_wakes_its_chats_owner(
    demo: Runtime, harness: Harness
) -> None:
    from bot.queues.shards import Presence, asyncpg_dsn

    owned = await seats_of_each_owner(harness, 2, 1)
    seat = owned[1][0]
    heard: list[list[str]] = []
    news = asyncio.Event()

    def stored(keys: Iterable[str]) -> None:
        heard.append(list(keys))
        news.set()

    done: list[str] = []

    def finished(key: str) -> None:
        done.append(key)
        news.set()

    dsn = asyncpg_dsn(demo.settings.database_url.get_secret_value())
    owner = Presence(Shard(1, 2), dsn, stored, finished)
    stop = asyncio.Event()
    listening = asyncio.create_task(owner.run(stop))
    try:
        async with asyncio.timeout(30):
            await news.wait()  # it listens, and looks once for what came while it was away
            assert heard == [[]] and owner.holding
            news.clear()
            demo.inbox_worker = InboxWorker(demo, shard=Shard(0, 2))  # this process is the other one
            await inbox.accept(demo, Incoming.from_web(seat.external_id, "/menu"), "elsewhere-1")
            await news.wait()
            key = inbox.chat_key(Incoming.from_web(seat.external_id, ""))
            assert heard[-1] == [key]
            # Process 0 handled a row of the chat as it came (the webhook's own task): the owner is told.
            news.clear()
            await Shard(0, 2).tell_done(demo.sessions, key)
            await news.wait()
            assert done == [key]
        # What /healthz of any process says meanwhile: process 0 of 2 is not running (this test is 1).
        import asyncpg  # type: ignore[import-untyped]

        from bot.queues.shards import missing

        conn = await asyncpg.connect(dsn)
        try:
            owner.missing = await missing(conn, 2)
        finally:
            await conn.close()
        check = owner.loop(stuck_after=60).check
        assert check is not None and check() == "process 0 of 2 is not running (its chats wait)"
    finally:
        stop.set()
        await listening
    assert not owner.holding


@on_postgresql
async def test_a_chat_handled_as_it_came_by_another_process_goes_on_at_its_owner_in_order(
    demo: Runtime, harness: Harness
) -> None:
    """Process 0 handles a message of process 1's chat in its webhook's task (the chat was free); the
    next message, stored meanwhile at the owner, waits for it and is answered after it, by the owner."""
    seat = (await seats_of_each_owner(harness, 2, 1))[1][0]
    key = inbox.chat_key(Incoming.from_web(seat.external_id, ""))
    elsewhere, owner = (InboxWorker(demo, shard=Shard(i, 2)) for i in range(2))
    async with demo.sessions() as session, session.begin():
        first = await inbox.store_born(
            session, Incoming.from_web(seat.external_id, "/help"), "x-1", elsewhere
        )
    async with demo.sessions() as session, session.begin():
        second = await inbox.store_born(session, Incoming.from_web(seat.external_id, "/menu"), "x-2", owner)
    assert first is not None and first[1] is True  # the chat was free: handled where it came
    assert second is not None and second[1] is False  # behind the first, whichever process has it
    owner.took(second[0], key, born=False)
    owner.rows_waiting([key])
    assert await owner.process_once() == 0  # it waits while the first is unfinished
    elsewhere.took(first[0], key, born=True)
    await elsewhere.handle_born(first[0], key)
    assert await elsewhere.process_once() == 0  # not its chat to claim
    assert owner.shard.freed(key)  # what the owner does when told (NOTIFY "done:"): it claims now
    assert await owner.process_once() == 1
    assert demo.sender is not None
    while await demo.sender.drain_once():
        pass
    got = [r.text.split("\n")[0][:11] for r in await harness.received(seat)]
    assert got == ["Меню обучаю", "Главное мен"]
