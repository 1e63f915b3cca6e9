"""The outbox's WhatsApp delivery rate against the sender's limit, with the Twilio stand-in on loopback.

    .venv/bin/python -m bench.whatsapp_outbox [--people 800] [--rate 80] [--db sqlite|postgresql]

Prints messages a second at the configured rate (target: 97% or more of it, no 429)
and with the limit lifted (what Ustaz itself costs per message).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select, text

from bot.channels.whatsapp.client import make_client
from bot.channels.whatsapp.sender import WhatsAppSender
from bot.core.messages import Reply
from bot.queues.outbox import enqueue
from db.base import utcnow
from db.migrate import upgrade
from db.models import Channel, MessengerAccount, Organization, OutboxMessage, OutboxStatus, Person
from db.session import make_engine
from tests.harness import make_runtime, settings_for
from tests.stand_ins.twilio_api import TwilioStandIn

PG_ADMIN = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def database(kind: str, tmp: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / 'bench.sqlite3'}", None
    name = f"ustaz_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, name


async def drop(name: str | None) -> None:
    if name:
        admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


async def run_once(kind: str, people: int, rate: float) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        url, pg_name = await database(kind, Path(tmp))
        try:
            async with TwilioStandIn() as twilio:
                settings = settings_for(
                    url, Path(tmp), public_url="https://ustaz.example.kz", webchat="off",
                    twilio_account_sid=twilio.account_sid, twilio_auth_token=twilio.auth_token,
                    twilio_whatsapp_from=twilio.sender, twilio_api_url=twilio.base_url, twilio_rate=rate,
                )  # fmt: skip
                runtime = make_runtime(settings)
                await upgrade(runtime.engine)
                async with runtime.sessions() as session, session.begin():
                    org = Organization(name="Bench college")
                    session.add(org)
                    await session.flush()
                    for i in range(people):
                        person = Person(organization_id=org.id, full_name=f"Оқушы {i}", locale="kk")
                        session.add(person)
                        await session.flush()
                        session.add(MessengerAccount(
                            channel=Channel.whatsapp, external_id=f"+7701{i:07d}", person_id=person.id,
                            last_inbound_at=utcnow(),
                        ))  # fmt: skip
                        await enqueue(session, Reply(f"Ертең бақылау жұмысы, {i}"), person_id=person.id)
                client = make_client(twilio.account_sid, twilio.auth_token, twilio.base_url)
                runtime.channel_senders[Channel.whatsapp] = WhatsAppSender(runtime, client)
                assert runtime.sender is not None
                started = time.perf_counter()
                while await runtime.sender.drain_once():
                    pass
                elapsed = time.perf_counter() - started
                async with runtime.sessions() as session:
                    sent = await session.scalar(
                        select(func.count()).where(OutboxMessage.status == OutboxStatus.sent)
                    )
                await client.http_client.close()  # type: ignore[attr-defined]
                await runtime.engine.dispose()
                refused = sum(1 for *_, status in twilio.requests if status == 429)
                return (sent or 0) / elapsed, int(sent or 0), refused
        finally:
            await drop(pg_name)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=800)
    parser.add_argument("--rate", type=float, default=80.0)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"WhatsApp outbox, {args.people} messages to {args.people} people, Twilio stand-in on loopback")
    for kind in args.db.split(","):
        limited, sent, refused = await run_once(kind, args.people, args.rate)
        lifted, sent2, _ = await run_once(kind, args.people, 1_000_000)
        print(
            f"  {kind:10s} at {args.rate:g}/s: {limited:7.1f} msg/s ({limited / args.rate:6.1%} of limit),"
            f" {sent} sent, {refused} 429s | limit lifted: {lifted:7.1f} msg/s ({sent2} sent)"
        )


if __name__ == "__main__":
    asyncio.run(main())
