"""SIGKILL in the middle of a burst: no update is lost and none is applied twice."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

from sqlalchemy import func, select

from bot.inbox import CLAIM_SECONDS
from db.models import Channel, InboxStatus, InboxUpdate, OutboxMessage, OutboxStatus
from db.session import make_engine, make_sessionmaker
from tests.stand_ins.telegram_api import TOKEN, BotAPIStandIn, Limits, TgUser, Updates

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_ustaz(database_url: str, tmp_path: Path, api: BotAPIStandIn) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "USTAZ_DATABASE_URL": database_url,
        "USTAZ_FILES_DIR": str(tmp_path / "files"),
        "USTAZ_HTTP_PORT": str(free_port()),
        "USTAZ_TELEGRAM_TOKEN": TOKEN,
        "USTAZ_TELEGRAM_API_URL": api.base_url,
        "USTAZ_TELEGRAM_MODE": "polling",
        "USTAZ_WEBCHAT": "off",
    }
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
    return proc


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


async def test_sigkill_mid_burst_loses_nothing_and_repeats_nothing(
    engine, database_url: str, tmp_path: Path
) -> None:
    updates = Updates(first_update_id=1)
    people = [TgUser(60_000 + i, f"Оқушы{i}", language_code="kk") for i in range(40)]
    async with BotAPIStandIn(limits=Limits(enabled=False)) as api:
        proc = await start_ustaz(database_url, tmp_path, api)
        try:
            # One update first: how many replies one such message gets.
            api.push_update(updates.text(people[0], "Сәлем"))
            await api.wait_for(lambda: len(api.sent()) >= 1, timeout=30)
            burst = [api.push_update(updates.text(people[i % 40], f"Сәлем {i}")) for i in range(400)]
            await api.wait_for(lambda: len(api.sent()) >= 60, timeout=60)
            proc.send_signal(signal.SIGKILL)  # mid-burst: rows committed, some handled, replies in flight
            await proc.wait()
            assert len(api.sent()) < 401, "the kill came after the burst was over"

            proc = await start_ustaz(database_url, tmp_path, api)
            await api.wait_for(lambda: api.confirmed_offset > burst[-1]["update_id"], timeout=60)
            sessions = make_sessionmaker(make_engine(database_url))
            # On PostgreSQL the dead process's claims run out after the inbox's CLAIM_SECONDS.
            deadline = asyncio.get_running_loop().time() + (
                60 if "sqlite" in database_url else CLAIM_SECONDS + 60
            )
            while True:
                async with sessions() as session:
                    done = await session.scalar(
                        select(func.count())
                        .select_from(InboxUpdate)
                        .where(InboxUpdate.status == InboxStatus.done)
                    )
                    # Handled is not yet sent: the replies leave through the outbox afterwards.
                    unsent = await session.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.status.in_([OutboxStatus.pending, OutboxStatus.sending]))
                    )
                if (done == 401 and unsent == 0) or asyncio.get_running_loop().time() > deadline:
                    break
                await asyncio.sleep(0.1)  # the other process writes: poll the database, with a deadline
        finally:
            if proc.returncode is None:
                proc.terminate()
                await proc.wait()
        async with sessions() as session:
            ids = (
                await session.scalars(
                    select(InboxUpdate.external_id).where(InboxUpdate.channel == Channel.telegram)
                )
            ).all()
            statuses = set((await session.scalars(select(InboxUpdate.status))).all())
            replies = await session.scalar(select(func.count()).select_from(OutboxMessage))
        await sessions.kw["bind"].dispose()
    assert sorted(map(int, ids)) == list(range(1, 402)), "every update is in the inbox, once"
    assert statuses == {InboxStatus.done}
    assert replies is not None and replies % 401 == 0 and replies // 401 >= 1, (
        "each update answered exactly once"
    )
    answered = {m.chat_id for chat in api.chats.values() for m in chat}
    assert answered == {p.id for p in people}
