"""The outbox's Telegram side: within the limits, nothing sent twice, blocked people reached elsewhere."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sqlalchemy import func, select, update

from bot.core.messages import OutFile, Quiz, Reply
from bot.queues.outbox import enqueue
from db.base import utcnow
from db.models import (
    Channel,
    MessengerAccount,
    Organization,
    OutboxMessage,
    OutboxStatus,
    Person,
    WebchatMessage,
)
from tests.channels.telegram_app import outbox_idle, telegram_ustaz, until
from tests.stand_ins.telegram_api import BotAPIStandIn, TgUser, Updates


async def people_on_telegram(runtime, count: int, first_chat: int) -> list[int]:  # type: ignore[no-untyped-def]
    async with runtime.sessions() as session, session.begin():
        org = await session.scalar(select(Organization))
        ids = []
        for i in range(count):
            person = Person(organization_id=org.id, full_name=f"Білім алушы {i}", locale="kk")
            session.add(person)
            await session.flush()
            session.add(MessengerAccount(channel=Channel.telegram, external_id=str(first_chat + i),
                                         chat_id=str(first_chat + i), person_id=person.id))  # fmt: skip
            ids.append(person.id)
        return ids


async def test_600_notifications_to_60_chats_all_delivered_without_a_429(
    engine, database_url: str, tmp_path: Path, api: BotAPIStandIn
) -> None:
    async with telegram_ustaz(database_url, tmp_path, api, "polling") as tg:
        people = await people_on_telegram(tg.runtime, 60, 77_000)
        async with tg.runtime.sessions() as session, session.begin():
            for n in range(10):
                for pid in people:
                    await enqueue(
                        session, Reply(f"Хабарлама №{n + 1}"), person_id=pid, dedupe_key=f"n{n}:{pid}"
                    )
        started = time.monotonic()
        tg.runtime.wake_sender()
        await api.wait_for(lambda: len(api.sent()) >= 600, timeout=60)
        took = time.monotonic() - started
        await outbox_idle(tg.runtime)
        async with tg.runtime.sessions() as session:
            rows = (await session.scalars(select(OutboxMessage))).all()
    assert api.rate_limited == 0, "no 429 was provoked"
    assert len(api.sent()) == 600 and all(
        r.status is OutboxStatus.sent and r.external_message_id for r in rows
    )
    for i in range(60):  # each chat got its ten, once each and in order
        assert [m.text for m in api.messages(77_000 + i)] == [f"Хабарлама №{n + 1}" for n in range(10)]
    assert took >= 600 / 30 - 1.5, "faster than 30 a second would break Telegram's limit"
    # Each send was committed on its own right after Telegram's answer: how long that took.
    lags = sorted(tg.runtime.sender.answer_to_commit)  # type: ignore[union-attr]
    assert len(lags) == 600
    p50, p99 = lags[len(lags) // 2], lags[int(len(lags) * 0.99)]
    print(
        f"\nanswer to commit: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {lags[-1] * 1000:.1f} ms"
    )


async def test_a_person_who_blocked_the_bot_is_unreachable_and_reached_elsewhere(
    engine, database_url: str, tmp_path: Path, api: BotAPIStandIn
) -> None:
    async with telegram_ustaz(database_url, tmp_path, api, "polling", webchat="on") as tg:
        (pid,) = await people_on_telegram(tg.runtime, 1, 88_000)
        async with tg.runtime.sessions() as session, session.begin():
            web = MessengerAccount(
                channel=Channel.web, external_id="seat-88", chat_id="seat-88", person_id=pid
            )
            session.add(web)
            await session.flush()
            web_id = web.id
            await enqueue(session, Reply("Ертең бақылау жұмысы"), person_id=pid)
        api.block(88_000)
        tg.runtime.wake_sender()
        await api.wait_for(lambda: any(c.status == 403 for c in api.calls_of("sendMessage")))

        async def delivered() -> bool:
            """On the web, and the row's record (committed right after the web's own) says so."""
            async with tg.runtime.sessions() as session:
                shown = await session.scalar(select(func.count()).select_from(WebchatMessage)
                                             .where(WebchatMessage.account_id == web_id))  # fmt: skip
                status = await session.scalar(select(OutboxMessage.status))
            return bool(shown) and status is OutboxStatus.sent

        await until(lambda: _true_or_none(delivered))
        async with tg.runtime.sessions() as session:
            tg_account = await session.scalar(
                select(MessengerAccount).where(MessengerAccount.external_id == "88000")
            )
            row = await session.scalar(select(OutboxMessage))
    assert tg_account is not None and tg_account.unreachable_at is not None
    assert row is not None and row.status is OutboxStatus.sent and row.account_id == web_id
    assert len(api.calls_of("sendMessage")) == 1, "a blocked chat is not tried again"


async def test_blocking_the_bot_is_noticed_at_once_and_unblocking_reaches_telegram_again(
    engine, database_url: str, tmp_path: Path, api: BotAPIStandIn
) -> None:
    """Telegram says when someone blocks the bot: notices go elsewhere without a failed try first."""
    updates, user = Updates(first_update_id=500), TgUser(89_000, "Дана", language_code="kk")
    async with telegram_ustaz(database_url, tmp_path, api, "polling", webchat="on") as tg:
        (pid,) = await people_on_telegram(tg.runtime, 1, 89_000)
        async with tg.runtime.sessions() as session, session.begin():
            web = MessengerAccount(
                channel=Channel.web, external_id="seat-89", chat_id="seat-89", person_id=pid
            )
            session.add(web)

        async def telegram_account() -> MessengerAccount:
            async with tg.runtime.sessions() as session:
                account = await session.scalar(
                    select(MessengerAccount).where(MessengerAccount.external_id == "89000")
                )
            assert account is not None
            return account

        async def reachable(expected: bool) -> bool | None:
            account = await telegram_account()
            return True if (account.unreachable_at is None) == expected else None

        api.push_update(updates.member_change(user, "member", "kicked"))
        await until(lambda: reachable(False))
        async with tg.runtime.sessions() as session, session.begin():
            await enqueue(session, Reply("Ертең бақылау жұмысы"), person_id=pid)
        tg.runtime.wake_sender()
        await outbox_idle(tg.runtime)
        async with tg.runtime.sessions() as session:
            first = await session.scalar(select(OutboxMessage))
        assert first is not None and first.status is OutboxStatus.sent and first.account_id == web.id
        assert api.calls_of("sendMessage") == [], "no failed try on the blocked chat"

        api.push_update(updates.member_change(user, "kicked", "member"))
        await until(lambda: reachable(True))
        async with tg.runtime.sessions() as session, session.begin():
            await enqueue(session, Reply("Бақылау жұмысы 10:00-де"), person_id=pid)
        tg.runtime.wake_sender()
        await api.wait_for(lambda: len(api.sent()) >= 1)
    assert [m.text for m in api.messages(89_000)] == ["Бақылау жұмысы 10:00-де"]


async def _true_or_none(probe):  # type: ignore[no-untyped-def]
    return True if await probe() else None


async def _one_row(runtime) -> OutboxMessage:  # type: ignore[no-untyped-def]
    async with runtime.sessions() as session:
        (row,) = (await session.scalars(select(OutboxMessage))).all()
    return row


async def test_a_success_aiogram_cannot_parse_is_sent_once(
    engine, database_url: str, tmp_path: Path, api: BotAPIStandIn
) -> None:
    async with telegram_ustaz(database_url, tmp_path, api, "polling") as tg:
        (pid,) = await people_on_telegram(tg.runtime, 1, 91_000)
        quiz = Quiz("2 + 2 = ?", ("3", "4", "5"), correct_option=1)
        async with tg.runtime.sessions() as session, session.begin():
            await enqueue(session, Reply("Сұрақ 1", quiz=quiz), person_id=pid, kind="quiz")
        # An older self-hosted Bot API: no chat in the Message, a poll without its options.
        api.omit_from_results = {("chat",), ("poll", "options")}
        tg.runtime.wake_sender()
        await outbox_idle(tg.runtime)
        row = await _one_row(tg.runtime)
    (poll,) = api.calls_of("sendPoll")
    assert len(api.calls_of("sendMessage")) == 1
    assert [m.kind for m in api.messages(91_000)] == ["text", "poll"]
    assert (row.status, row.attempts, row.parts_done) == (OutboxStatus.sent, 0, 2)
    assert row.external_message_id == "poll:" + poll.result["poll"]["id"]


async def test_a_retry_after_a_failed_file_sends_only_the_file(
    engine, database_url: str, tmp_path: Path, api: BotAPIStandIn
) -> None:
    async with telegram_ustaz(database_url, tmp_path, api, "polling") as tg:
        (pid,) = await people_on_telegram(tg.runtime, 1, 92_000)
        out = tg.runtime.channel_senders[Channel.telegram].out  # type: ignore[attr-defined]
        out.backoff = 0.001  # the in-call retries of a 5xx are not what this tests
        async with tg.runtime.sessions() as session, session.begin():
            card = await tg.runtime.files.save(session, b"%PDF-1.4\n%%EOF\n", "Өтініш.pdf", "document")
            reply = Reply("Жаңа өтініш: Асқар Сейіт", files=[OutFile(card.id, "Өтініш.pdf")])
            await enqueue(session, reply, person_id=pid, kind="application")
        api.fail_next("sendDocument", 502, "Bad Gateway", times=out.attempts)
        tg.runtime.wake_sender()

        async def retried() -> OutboxMessage | None:
            row = await _one_row(tg.runtime)
            return row if row.status is OutboxStatus.pending and row.attempts == 1 else None

        row = await until(retried)
        assert [m.kind for m in api.messages(92_000)] == ["text"]
        assert row.parts_done == 1
        # Its pause is over (the clock moved): the retry goes.
        async with tg.runtime.sessions() as session, session.begin():
            await session.execute(update(OutboxMessage).values(not_before=utcnow()))
        tg.runtime.wake_sender()
        await outbox_idle(tg.runtime)
        row = await _one_row(tg.runtime)
    assert [m.kind for m in api.messages(92_000)] == ["text", "document"]
    assert len(api.calls_of("sendMessage")) == 1 and len(api.sent()) == 2
    assert (row.status, row.parts_done, row.attempts) == (OutboxStatus.sent, 2, 1)


async def busy_chat_and_an_announcement(tg) -> list[str]:  # type: ignore[no-untyped-def]
    """Six notices to chat 74000 (a burst of 3, then its window holds it back), then one to each of
    20 other chats. Returns the order the stand-in received them in, by chat."""
    people = await people_on_telegram(tg.runtime, 21, 74_000)
    async with tg.runtime.sessions() as session, session.begin():
        for n in range(6):
            await enqueue(session, Reply(f"Тапсырма №{n + 1}"), person_id=people[0])
        for pid in people[1:]:
            await enqueue(session, Reply("Хабарландыру"), person_id=pid)
    tg.runtime.wake_sender()
    await tg.api.wait_for(lambda: len(tg.api.sent()) >= 26, timeout=30)
    await outbox_idle(tg.runtime)
    assert [m.text for m in tg.api.messages(74_000)] == [f"Тапсырма №{n + 1}" for n in range(6)]
    return [str(c.params["chat_id"]) for c in tg.api.sent()]


async def test_rows_are_claimed_while_a_slow_chat_still_sends_no_batch_waits_for_it(
    engine, database_url: str, tmp_path: Path, api: BotAPIStandIn
) -> None:
    async with telegram_ustaz(database_url, tmp_path, api, "polling") as tg:
        assert tg.runtime.sender is not None
        tg.runtime.sender.batch = 10  # the busy chat's six and four others: the rest is claimed meanwhile
        order = await busy_chat_and_an_announcement(tg)
    assert api.rate_limited == 0
    last_of_busy = len(order) - 1 - order[::-1].index("74000")
    assert order.count("74000") == 6
    assert last_of_busy == len(order) - 1, "the 20 others were claimed and sent before the busy chat's last"


async def test_a_chat_held_back_by_its_limit_does_not_hold_a_worker(
    engine, database_url: str, tmp_path: Path, api: BotAPIStandIn
) -> None:
    async with telegram_ustaz(database_url, tmp_path, api, "polling") as tg:
        assert tg.runtime.sender is not None
        tg.runtime.sender.concurrency = asyncio.Semaphore(1)  # one send at a time
        order = await busy_chat_and_an_announcement(tg)
    assert api.rate_limited == 0
    assert order[-3:] == ["74000"] * 3, "the 20 others went while chat 74000 waited out its window"
