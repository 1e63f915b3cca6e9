"""A notice whose Telegram has failed longer than USTAZ_CHANNEL_FALLBACK_MINUTES goes by WhatsApp, once."""

from __future__ import annotations

import datetime as dt

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import update

from bot.channels.telegram.bridge import TelegramSender
from bot.channels.telegram.limits import RateLimiter, TelegramLimits
from bot.channels.telegram.outgoing import TelegramOut
from bot.core.messages import Reply
from bot.queues.outbox import enqueue
from db.base import utcnow
from db.models import Channel, MessengerAccount, OutboxMessage, OutboxStatus
from tests.channels.whatsapp.conftest import WhatsApp
from tests.channels.whatsapp.test_sender import outbox_row
from tests.channels.whatsapp.test_whatsapp_channel import joined_student
from tests.stand_ins.telegram_api import TOKEN, BotAPIStandIn


async def test_a_notice_goes_by_whatsapp_once_telegram_has_failed_long_enough(wa: WhatsApp) -> None:
    phone, person = await joined_student(wa)
    async with BotAPIStandIn() as api:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url)))
        out = TelegramOut(bot, RateLimiter(TelegramLimits(enabled=False)), backoff=0.001)
        wa.runtime.channel_senders[Channel.telegram] = TelegramSender(out)
        try:
            async with wa.runtime.sessions() as session, session.begin():
                # They wrote on Telegram last: it goes first.
                session.add(MessengerAccount(channel=Channel.telegram, external_id="93000", chat_id="93000",
                                             person_id=person.id, last_inbound_at=utcnow()))  # fmt: skip
                row_id = await enqueue(session, Reply("Ертең сабақ 9:00-де"), person_id=person.id)
            assert row_id is not None
            # Telegram is down for two attempts of the row (each retries its call out.attempts times).
            api.fail_next("sendMessage", 502, "Bad Gateway", times=2 * out.attempts)
            await wa.settle()
            row = await outbox_row(wa, row_id)
            assert (row.status, row.attempts) == (OutboxStatus.pending, 1) and row.failing_since is not None
            assert phone.received() == [], "not before the time is up"

            # 31 minutes later (the default is 30), its pause over, Telegram still down.
            async with wa.runtime.sessions() as session, session.begin():
                await session.execute(
                    update(OutboxMessage).values(
                        failing_since=row.failing_since - dt.timedelta(minutes=31), not_before=utcnow()
                    )
                )
            await wa.settle()
            (sent,) = phone.received()
            row = await outbox_row(wa, row_id)
            assert sent.body == "Ертең сабақ 9:00-де"
            assert row.status is OutboxStatus.sent and row.external_message_id == sent.sid
            async with wa.runtime.sessions() as session:
                whatsapp = await session.get(MessengerAccount, row.account_id)
            assert whatsapp is not None and whatsapp.channel is Channel.whatsapp

            # Telegram is back: the notice is not sent there too.
            await wa.settle()
            assert len(api.calls_of("sendMessage")) == 2 * out.attempts and api.sent() == []
            assert phone.received() == []
        finally:
            await bot.session.close()
