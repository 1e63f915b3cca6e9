"""The durable inbox and outbox: once, in order, nothing lost across a crash."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.core.messages import Incoming, Reply
from bot.queues import inbox
from bot.queues.outbox import Delivery, DeliveryResult, RetryLater, Sent, Unreachable, enqueue
from bot.runtime import Runtime
from db.base import utcnow
from db.models import Channel, InboxStatus, InboxUpdate, MessengerAccount, OutboxMessage, OutboxStatus, Person
from tests.harness import Harness, texts


def message(seat: str, text: str) -> Incoming:
    return Incoming.from_web(seat, text)


async def test_a_redelivered_update_is_applied_once(demo: Runtime, harness: Harness) -> None:
    seat = await harness.seat_for("Анна Сергеевна Петрова")
    assert await inbox.accept(demo, message(seat.external_id, "/help"), "upd-1") is True
    assert await inbox.accept(demo, message(seat.external_id, "/help"), "upd-1") is False
    await harness.settle()
    assert len(await harness.received(seat)) == 1
    async with demo.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 1


async def test_one_chat_is_handled_in_order(demo: Runtime, harness: Harness) -> None:
    seat = await harness.seat_for("Анна Сергеевна Петрова")
    for i, text in enumerate(["/help", "/fly", "/menu", "/lang"]):
        await inbox.accept(demo, message(seat.external_id, text), f"o-{i}")
    await harness.settle()
    got = [r.text.split("\n")[0][:12] for r in await harness.received(seat)]
    assert got[0].startswith("Меню обучаю")
    assert got[1].startswith("Такой коман")
    assert got[2].startswith("Главное мен")
    assert got[3].startswith("Выберите яз")


async def test_a_crash_mid_handling_is_picked_up_again(demo: Runtime, harness: Harness) -> None:
    """A worker died after claiming: when its claim runs out, another worker handles the row once."""
    seat = await harness.seat_for("Анна Сергеевна Петрова")
    await inbox.accept(demo, message(seat.external_id, "/menu"), "c-1")
    async with demo.sessions() as session, session.begin():
        await session.execute(
            update(InboxUpdate).values(
                status=InboxStatus.processing,
                claimed_by="dead-worker",
                claimed_until=utcnow() - dt.timedelta(seconds=1),
            )
        )
    await harness.settle()
    assert "Главное меню" in texts(await harness.received(seat))
    async with demo.sessions() as session:
        row = await session.scalar(select(InboxUpdate))
    assert row is not None and row.status == InboxStatus.done


async def test_a_failed_handling_leaves_the_row_to_be_tried_again_and_answers_once(
    demo: Runtime, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The row is marked done as the transaction's first write: a failure must roll that back too."""
    seat = await harness.seat_for("Анна Сергеевна Петрова")
    await inbox.accept(demo, message(seat.external_id, "/menu"), "f-1")
    handle = demo.conversation.handle
    calls = 0

    async def fails_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("the database went away")
        return await handle(*args, **kwargs)

    monkeypatch.setattr(demo.conversation, "handle", fails_once)
    assert demo.inbox_worker is not None
    await demo.inbox_worker.process_once()
    async with demo.sessions() as session:
        row = await session.scalar(select(InboxUpdate))
    assert row is not None and row.status == InboxStatus.new and "went away" in (row.error or "")
    await harness.settle()
    got = await harness.received(seat)
    assert sum("Главное меню" in r.text for r in got) == 1
    async with demo.sessions() as session:
        row = await session.scalar(select(InboxUpdate))
    assert row is not None and row.status == InboxStatus.done and row.attempts == 2


async def test_a_row_claimed_by_another_worker_is_not_applied(demo: Runtime, harness: Harness) -> None:
    """A worker that lost its claim (it stalled, another took the row) leaves the row alone."""
    seat = await harness.seat_for("Анна Сергеевна Петрова")
    await inbox.accept(demo, message(seat.external_id, "/menu"), "t-1")
    worker = demo.inbox_worker
    assert worker is not None
    [row_id] = await worker._claim()
    async with demo.sessions() as session, session.begin():
        await session.execute(update(InboxUpdate).values(claimed_by="another-worker"))
    async with demo.sessions() as session, session.begin():
        await worker._apply(session, row_id, [])
    async with demo.sessions() as session:
        row = await session.scalar(select(InboxUpdate))
        replies = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert row is not None and row.status == InboxStatus.processing and row.claimed_by == "another-worker"
    assert replies == 0


async def test_dedupe_key_queues_once(demo: Runtime) -> None:
    async with demo.sessions() as session, session.begin():
        person_id = await session.scalar(select(Person.id).limit(1))
        first = await enqueue(session, Reply("hi"), person_id=person_id, dedupe_key="r:1")
        second = await enqueue(session, Reply("hi"), person_id=person_id, dedupe_key="r:1")
    assert first is not None and second is None


class FlakyChannel:
    """A channel that is unreachable for one account and rate-limited once for another."""

    channel = Channel.telegram

    def __init__(self, blocked: str) -> None:
        self.blocked = blocked
        self.calls: list[str] = []
        self.limited = False

    async def deliver(self, delivery: Delivery) -> DeliveryResult:
        self.calls.append(delivery.address)
        if delivery.address == self.blocked:
            return Unreachable("403 blocked")
        if not self.limited:
            self.limited = True
            return RetryLater(0, "429")
        return Sent("m-1")


async def test_blocked_account_falls_back_to_the_persons_other_channel(
    demo: Runtime, harness: Harness
) -> None:
    async with demo.sessions() as session, session.begin():
        person_id = await session.scalar(
            select(Person.id).where(Person.full_name == "Анна Сергеевна Петрова")
        )
        session.add(
            MessengerAccount(
                channel=Channel.telegram,
                external_id="111",
                chat_id="111",
                person_id=person_id,
                last_inbound_at=utcnow(),
            )
        )
        session.add(
            MessengerAccount(
                channel=Channel.telegram,
                external_id="222",
                chat_id="222",
                person_id=person_id,
                last_inbound_at=utcnow() - dt.timedelta(days=1),
            )
        )
        await enqueue(session, Reply("notice"), person_id=person_id, kind="notice")
    fake = FlakyChannel(blocked="111")
    demo.channel_senders[Channel.telegram] = fake
    assert demo.sender is not None
    await demo.sender.drain_once()  # 111 is blocked; 222 says 429
    async with demo.sessions() as session, session.begin():
        await session.execute(update(OutboxMessage).values(not_before=utcnow()))  # the retry_after has passed
    await demo.sender.drain_once()
    assert fake.calls == ["111", "222", "222"]
    async with demo.sessions() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "notice"))
        blocked = await session.scalar(select(MessengerAccount).where(MessengerAccount.external_id == "111"))
    assert row is not None and row.status == OutboxStatus.sent and row.external_message_id == "m-1"
    assert row.attempts == 1
    assert blocked is not None and blocked.unreachable_at is not None


async def test_two_senders_never_send_a_row_twice(demo: Runtime) -> None:
    from bot.queues.outbox import OutboxSender

    calls: list[int] = []

    class Counting:
        channel = Channel.telegram

        async def deliver(self, delivery: Delivery) -> DeliveryResult:
            calls.append(delivery.outbox_id)
            return Sent(str(uuid.uuid4()))

    async with demo.sessions() as session, session.begin():
        person_ids = (await session.scalars(select(Person.id))).all()
        for pid in person_ids:
            session.add(MessengerAccount(channel=Channel.telegram, external_id=f"t{pid}", person_id=pid))
        await session.flush()
        for pid in person_ids:
            await enqueue(session, Reply("x"), person_id=pid)
    demo.channel_senders[Channel.telegram] = Counting()
    import asyncio

    a, b = OutboxSender(demo, batch=7), OutboxSender(demo, batch=7)
    while sum(await asyncio.gather(a.drain_once(), b.drain_once())):
        pass
    assert sorted(calls) == sorted(set(calls)) and len(calls) == len(person_ids)


async def test_handed_over_replies_go_once_even_with_another_sender_draining(
    demo: Runtime, harness: Harness
) -> None:
    """Replies are born claimed by this process's sender: a second sender never takes them."""
    from bot.queues.outbox import OutboxSender

    seat = await harness.seat_for("Анна Сергеевна Петрова")
    other = OutboxSender(demo)
    assert demo.inbox_worker is not None and demo.sender is not None
    for i, text in enumerate(["/help", "/menu"]):
        await inbox.accept(demo, message(seat.external_id, text), f"h-{i}")
        await demo.inbox_worker.process_once()  # hands the reply over; it is being sent
        assert await other.drain_once() == 0  # the row is claimed: the other sender finds nothing
    await demo.sender.drain_once()
    got = [r.text.split("\n")[0][:11] for r in await harness.received(seat)]
    assert got == ["Меню обучаю", "Главное мен"]
    async with demo.sessions() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [(r.status, r.claimed_by) for r in rows] == [(OutboxStatus.sent, None)] * 2


async def test_a_live_workers_claims_are_renewed_and_a_dead_ones_run_out(demo: Runtime) -> None:
    from bot.queues.claims import Claims

    async with demo.sessions() as session, session.begin():
        person_id = await session.scalar(select(Person.id).limit(1))
        ids = [await enqueue(session, Reply(f"n{i}"), person_id=person_id) for i in range(2)]
        await session.execute(
            update(OutboxMessage).values(
                status=OutboxStatus.sending,
                claimed_by="out-live",
                claimed_until=utcnow() - dt.timedelta(seconds=1),
            )
        )
    live = Claims(OutboxMessage, "out-live")
    live.take([ids[0]])  # it still holds the first; the second it has lost track of
    async with demo.sessions() as session, session.begin():
        assert await live.renew(session) == 1
    async with demo.sessions() as session:
        until = dict((await session.execute(select(OutboxMessage.id, OutboxMessage.claimed_until))).all())
    assert until[ids[0]] is not None and until[ids[0]].replace(tzinfo=None) > utcnow().replace(tzinfo=None)
    calls: list[int] = []

    class Counting:
        channel = Channel.telegram

        async def deliver(self, delivery: Delivery) -> DeliveryResult:
            calls.append(delivery.outbox_id)
            return Sent("m")

    async with demo.sessions() as session, session.begin():
        session.add(MessengerAccount(channel=Channel.telegram, external_id="t-claims", person_id=person_id))
    demo.channel_senders[Channel.telegram] = Counting()
    assert demo.sender is not None
    await demo.sender.drain_once()
    assert calls == [ids[1]]  # the renewed claim is respected; the run-out one is taken over


async def test_replies_handed_over_keep_their_order_within_a_chat(demo: Runtime) -> None:
    """The second message's reply waits for the first one's, even when the first is slow to go."""
    import asyncio

    gate, first_waiting = asyncio.Event(), asyncio.Event()
    delivered: list[str] = []

    class Gated:
        channel = Channel.telegram

        async def deliver(self, delivery: Delivery) -> DeliveryResult:
            if delivery.reply.text == "first":
                first_waiting.set()
                await gate.wait()
            delivered.append(delivery.reply.text)
            return Sent(delivery.reply.text)

    demo.channel_senders[Channel.telegram] = Gated()
    assert demo.sender is not None
    sender = demo.sender
    async with demo.sessions() as session, session.begin():
        person_id = await session.scalar(select(Person.id).limit(1))
        account = MessengerAccount(
            channel=Channel.telegram, external_id="77", chat_id="77", person_id=person_id
        )
        session.add(account)
        await session.flush()
        ids = [
            await enqueue(
                session, Reply(text), account_id=account.id, kind="reply", claimed_by=sender.worker_id
            )
            for text in ("first", "second")
        ]
    jobs = [
        sender.reply_job(i, account, Reply(t), "ru") for i, t in zip(ids, ("first", "second"), strict=True)
    ]  # type: ignore[arg-type]
    sender.hand_over(jobs[:1])
    sender.hand_over(jobs[1:])
    await first_waiting.wait()
    for _ in range(50):  # turns of the loop, no time: a second reply free to go would go now
        await asyncio.sleep(0)
    assert delivered == []
    gate.set()
    await sender.drain_once()
    assert delivered == ["first", "second"]


async def test_a_row_is_born_claimed_only_when_its_chat_has_nothing_unfinished(
    demo: Runtime, harness: Harness
) -> None:
    """The webhook's own task handles a row born claimed; a row behind an unfinished one of its chat
    is left to the worker and answered after it, in order, each once."""
    seat = await harness.seat_for("Анна Сергеевна Петрова")
    worker = demo.inbox_worker
    assert worker is not None
    async with demo.sessions() as session, session.begin():
        first = await inbox.store_born(session, message(seat.external_id, "/help"), "b-1", worker)
        second = await inbox.store_born(session, message(seat.external_id, "/menu"), "b-2", worker)
        again = await inbox.store_born(session, message(seat.external_id, "/help"), "b-1", worker)
    assert first is not None and first[1] is True  # born: the caller handles it
    assert second is not None and second[1] is False  # behind the first: the worker's
    assert again is None  # a redelivery is stored once
    async with demo.sessions() as session:
        rows = (await session.execute(select(InboxUpdate.status, InboxUpdate.claimed_by))).all()
    assert sorted(rows) == [(InboxStatus.new, None), (InboxStatus.processing, worker.worker_id)]
    assert await worker.process_once() == 0  # the second waits while the first is unfinished
    worker.took(first[0], inbox.chat_key(message(seat.external_id, "/help")), born=True)
    await worker.handle_born(first[0], inbox.chat_key(message(seat.external_id, "/help")))
    await harness.settle()
    got = [r.text.split("\n")[0][:12] for r in await harness.received(seat)]
    assert len(got) == 2
    assert got[0].startswith("Меню обучаю")
    assert got[1].startswith("Главное мен")


async def test_updates_arriving_while_the_writer_is_busy_share_one_transaction_and_a_failing_one_leaves_it(
    demo: Runtime, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: what arrives while another transaction holds the writer is stored and handled together,
    in arrival order, in one transaction. One whose handling fails is rolled back and raised to its
    caller alone (who stores it for the worker's tries); the others are handled once, and kept."""
    if not demo.is_sqlite:
        pytest.skip("PostgreSQL handles arriving updates through the worker, in parallel")
    anna = await harness.seat_for("Анна Сергеевна Петрова")
    dima = await harness.seat_for("Дмитрий Олегович Ли")
    worker = demo.inbox_worker
    assert worker is not None
    handle = demo.conversation.handle
    handled_in: list[tuple[str, int]] = []  # (text, the transaction it was handled in)

    async def fails_for_dima(session: Any, incoming: Incoming, handed: Any) -> Any:
        handled_in.append((incoming.text or "", id(session.sync_session.get_transaction())))
        if incoming.chat_id == dima.external_id:
            raise RuntimeError("a handler's bug")
        return await handle(session, incoming, handed)

    monkeypatch.setattr(demo.conversation, "handle", fails_for_dima)
    arrivals = [(anna, "/help", "t-1"), (dima, "/menu", "t-2"), (anna, "/menu", "t-3")]
    async with demo.writing():  # another transaction holds SQLite's writer: all three wait behind it
        tasks = [
            asyncio.create_task(worker.handle_arriving(external_id, message(seat.external_id, text)))
            for seat, text, external_id in arrivals
        ]
        while worker.room() > worker.born_limit - len(arrivals):  # each counts itself as it starts waiting
            await asyncio.sleep(0)
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[0] is True and results[2] is True
    assert isinstance(results[1], RuntimeError), "the failing one is its caller's to store"
    together = [txn for text, txn in handled_in if text == "/help"]
    assert len(together) == 2, (
        "Анна's first went twice: once with the failing one (rolled back), once without"
    )
    assert ("/menu", together[1]) in handled_in, "her two went in one transaction, in order"
    async with demo.sessions() as session:
        rows = (await session.execute(select(InboxUpdate.external_id, InboxUpdate.status))).all()
    assert sorted(rows) == [("t-1", InboxStatus.done), ("t-3", InboxStatus.done)]
    await harness.settle()
    got = [r.text.split("\n")[0] for r in await harness.received(anna)]
    assert len(got) == 2, "each answered once"
    assert got[0].startswith("Меню обучаю") and got[1].startswith("Главное мен"), "in order"
    assert await harness.received(dima) == []
