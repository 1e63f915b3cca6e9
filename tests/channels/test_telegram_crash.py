"""SIGKILL in the middle of a burst: no update is lost or applied twice, and a reply is repeated only
if its send was in flight (Telegram had not answered) when the process died."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.queues.claims import CLAIM_SECONDS
from db.models import Channel, InboxStatus, InboxUpdate, OutboxMessage, OutboxStatus
from db.session import make_engine, make_sessionmaker
from tests.stand_ins.telegram_api import TOKEN, BotAPIStandIn, Limits, TgUser, Updates

ROOT = Path(__file__).resolve().parents[2]
PEOPLE, EACH = 30, 10
KILLS = (0.25, 0.6)  # SIGKILL when this share of the burst's replies has reached Telegram
MAX_DOUBLED_PER_KILL = 3
SECRET = "crash-test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_ustaz(
    database_url: str, tmp_path: Path, api: BotAPIStandIn, mode: str, port: int
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "USTAZ_DATABASE_URL": database_url,
        "USTAZ_FILES_DIR": str(tmp_path / "files"),
        "USTAZ_HTTP_PORT": str(port),
        "USTAZ_TELEGRAM_TOKEN": TOKEN,
        "USTAZ_TELEGRAM_API_URL": api.base_url,
        "USTAZ_TELEGRAM_MODE": mode,
        "USTAZ_WEBCHAT": "off",
    }
    if mode == "webhook":  # Telegram posts straight to the child's port: no proxy in between
        env |= {"USTAZ_PUBLIC_URL": f"http://127.0.0.1:{port}", "USTAZ_TELEGRAM_WEBHOOK_SECRET": SECRET}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert proc.stdout is not None
    while True:
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert line, "ustaz run ended before it was ready"
        if b"Ustaz is running" in line:
            break
    asyncio.create_task(_drain(proc.stdout))
    if mode == "webhook":
        await api.wait_for(lambda: api.webhook.get("secret_token") == SECRET, timeout=30)
    return proc


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


class WebhookTelegram:
    """Posts each person's updates in order, as Telegram does, again until one is answered 200."""

    def __init__(self, api: BotAPIStandIn) -> None:
        self.api = api
        self.up = asyncio.Event()  # cleared while the process is dead

    async def deliver(self, updates: list[dict[str, Any]]) -> None:
        for update in updates:
            while True:
                await self.up.wait()
                with contextlib.suppress(aiohttp.ClientError):
                    if await self.api.deliver_webhook(update) == 200:
                        break
                await asyncio.sleep(0.05)  # Telegram's redelivery pause, not a synchronization


async def wait_db(database_url: str, probe: Callable[[Any], Any], timeout: float) -> None:
    """The child writes from its own process: poll its database, with a deadline."""
    sessions = make_sessionmaker(make_engine(database_url))
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        while True:
            async with sessions() as session:
                if await probe(session):
                    return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("the outbox did not finish in time")
            await asyncio.sleep(0.1)
    finally:
        await sessions.kw["bind"].dispose()


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_sigkill_mid_burst_loses_nothing_and_repeats_at_most_what_was_in_flight(
    engine, database_url: str, tmp_path: Path, mode: str
) -> None:
    updates = Updates(first_update_id=1)
    people = [TgUser(60_000 + i, f"Оқушы{i}", language_code="kk") for i in range(PEOPLE + 1)]
    probe, people = people[-1], people[:-1]
    port = free_port()
    async with BotAPIStandIn(limits=Limits(enabled=False)) as api:
        telegram = WebhookTelegram(api)

        async def send(batch: list[dict[str, Any]]) -> None:
            if mode == "polling":
                for update in batch:
                    api.push_update(update)
                return
            by_chat: dict[int, list[dict[str, Any]]] = collections.defaultdict(list)
            for update in batch:
                by_chat[update["message"]["chat"]["id"]].append(update)
            await asyncio.gather(*(telegram.deliver(chat) for chat in by_chat.values()))

        proc = await start_ustaz(database_url, tmp_path, api, mode, port)
        telegram.up.set()
        delivering: asyncio.Task[None] | None = None
        try:
            # One update first: how many messages one such update gets.
            first = updates.text(probe, "Сәлем")
            await send([first])
            await api.wait_for(lambda: len(api.messages(probe.id)) >= 1, timeout=30)
            await wait_db(database_url, _all_sent, 30)
            per_update = len(api.messages(probe.id))
            total = PEOPLE * EACH * per_update

            burst = [updates.text(people[i % PEOPLE], f"Сәлем {i}") for i in range(PEOPLE * EACH)]
            delivering = asyncio.create_task(send(burst))
            for share in KILLS:
                await api.wait_for(
                    lambda share=share: len(api.sent()) - per_update >= share * total, timeout=90
                )
                telegram.up.clear()
                proc.send_signal(signal.SIGKILL)  # mid-burst: rows committed, some handled, replies in flight
                await proc.wait()
                assert len(api.sent()) - per_update < total, "the kill came after the burst was over"
                proc = await start_ustaz(database_url, tmp_path, api, mode, port)
                telegram.up.set()
            await asyncio.wait_for(delivering, 90)
            # On PostgreSQL the dead process's claims run out after CLAIM_SECONDS.
            await wait_db(database_url, _all_sent, 60 if "sqlite" in database_url else 2 * CLAIM_SECONDS + 60)
        finally:
            if delivering is not None:
                delivering.cancel()
            if proc.returncode is None:
                proc.terminate()
                await proc.wait()
        sessions = make_sessionmaker(make_engine(database_url))
        async with sessions() as session:
            ids = (
                await session.scalars(
                    select(InboxUpdate.external_id).where(InboxUpdate.channel == Channel.telegram)
                )
            ).all()
            statuses = set((await session.scalars(select(InboxUpdate.status))).all())
            rows = await session.scalar(select(func.count()).select_from(OutboxMessage))
        await sessions.kw["bind"].dispose()
        extra = {p.id: len(api.messages(p.id)) - EACH * per_update for p in people}
    assert sorted(map(int, ids)) == list(range(1, PEOPLE * EACH + 2)), "every update is in the inbox, once"
    assert statuses == {InboxStatus.done}
    assert rows is not None and rows % (PEOPLE * EACH + 1) == 0, "each update answered once"
    lost = {chat: -n for chat, n in extra.items() if n < 0}
    doubled = sum(n for n in extra.values() if n > 0)
    print(f"\n{mode}: {len(KILLS)} kills, {doubled} replies doubled, lost in {len(lost)} chats")
    assert not lost, f"replies lost: {lost}"
    assert doubled <= MAX_DOUBLED_PER_KILL * len(KILLS), f"{doubled} replies doubled over {len(KILLS)} kills"


async def _all_sent(session: Any) -> bool:
    unsent = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status.in_([OutboxStatus.pending, OutboxStatus.sending]))
    )
    done = await session.scalar(
        select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status != InboxStatus.done)
    )
    return unsent == 0 and done == 0
