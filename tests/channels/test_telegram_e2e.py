"""Ustaz on Telegram end to end: the real aiogram Bot over HTTP against the Bot API stand-in.

Each test runs in both modes (long polling and the webhook) and on both databases.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import Channel, FileName, InboxStatus, InboxUpdate, Role, StoredFile
from tests.channels.telegram_app import TelegramUstaz, outbox_idle, telegram_account, telegram_ustaz, until
from tests.stand_ins.telegram_api import BotAPIStandIn, TgUser

STUDENT = "Айдана Серікқызы Бекова"
TEACHER = "Сергей Викторович Ким"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6300"
    "010000000500010d0a2db40000000049454e44ae426082"
)


@pytest.fixture(params=["polling", "webhook"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def tg(engine, database_url: str, tmp_path: Path, api: BotAPIStandIn, mode: str):
    async with telegram_ustaz(database_url, tmp_path, api, mode) as app:
        yield app


async def test_joining_by_deep_link(tg: TelegramUstaz) -> None:
    user = TgUser(9001, "Айдана", language_code="kk")
    shown = await tg.join(user, STUDENT, Role.student)
    assert "Сіз қосылдыңыз" in "\n".join(m.text for m in tg.api.messages(9001))
    assert shown.buttons, "the main menu comes with its buttons"
    account = await telegram_account(tg.runtime, 9001)
    assert account is not None and account.person_id is not None and account.chat_id == "9001"


async def test_a_dialog_with_buttons_is_answered_and_edited(tg: TelegramUstaz) -> None:
    user = TgUser(9002, "Сергей", language_code="ru")
    menu = await tg.join(user, TEACHER, Role.teacher)
    help_button = menu.button("Справка")
    update = tg.updates.callback(user, help_button["callback_data"], menu)
    shown = await tg.say(update, "/menu")
    assert shown.button("Главное меню")
    # The press was answered, so the button stopped spinning.
    assert update["callback_query"]["id"] in tg.api.answered_callbacks
    # Typed text in HTML is shown as typed, never as markup.
    assert all("<" not in m.raw or "&lt;" in m.raw for m in tg.api.messages(9002))


async def test_document_and_photo_are_kept_in_the_file_store(tg: TelegramUstaz) -> None:
    user = TgUser(9003, "Айдана")
    await tg.join(user, STUDENT, Role.student)
    doc = tg.api.add_file(PDF, "эссе.pdf", "application/pdf")
    small = tg.api.add_file(PNG[:60] + b"x", "s.png")
    big = tg.api.add_file(PNG, "b.png")
    for update in (tg.updates.document(user, doc, caption="Эссе"), tg.updates.photo(user, [small, big])):
        await tg.send(update)
    await tg.api.wait_for(lambda: len(tg.api.calls_of("download")) == 2)
    async with tg.runtime.sessions() as session:
        await _wait_inbox_done(tg, 2 + 1)
        stored = {s.sha256: s for s in (await session.scalars(select(StoredFile))).all()}
        names = (await session.scalars(select(FileName).order_by(FileName.id))).all()
    assert (
        hashlib.sha256(PDF).hexdigest() in stored
        and stored[hashlib.sha256(PDF).hexdigest()].mime == "application/pdf"
    )
    assert hashlib.sha256(PNG).hexdigest() in stored, "the largest photo size is the one kept"
    assert [n.kind for n in names][-2:] == ["document", "photo"] and names[-2].name == "эссе.pdf"


async def test_oversize_file_is_refused_before_download(tg: TelegramUstaz) -> None:
    user = TgUser(9004, "Айдана", language_code="kk")
    await tg.join(user, STUDENT, Role.student)
    huge = tg.api.add_file(None, "video.mp4", "video/mp4", size=25 * 1024 * 1024)
    shown = await tg.say(tg.updates.document(user, huge), "video.mp4")
    assert "тым үлкен" in shown.text or "25" in shown.text
    assert tg.api.calls_of("getFile") == [] and tg.api.calls_of("download") == []


async def test_a_quiz_answer_comes_back_with_the_quiz_ref(tg: TelegramUstaz) -> None:
    from bot.core.messages import Quiz, Reply
    from bot.queues.outbox import enqueue

    user = TgUser(9005, "Айдана")
    await tg.join(user, STUDENT, Role.student)
    account = await telegram_account(tg.runtime, 9005)
    assert account is not None
    async with tg.runtime.sessions() as session, session.begin():
        quiz = Quiz("2 + 2 = ?", ("3", "4", "5"), correct_option=1, ref="attempt-7:q-1")
        await enqueue(session, Reply(quiz=quiz), person_id=account.person_id, kind="test")
    tg.runtime.wake_sender()
    await tg.api.wait_for(lambda: any(m.kind == "poll" for m in tg.api.messages(9005)))
    poll = next(m for m in tg.api.messages(9005) if m.kind == "poll").poll
    assert poll["type"] == "quiz" and poll["correct_option_ids"] == [1]
    await outbox_idle(tg.runtime)
    update = tg.updates.poll_answer(user, poll["id"], [1])
    assert await tg.send(update) == 200
    row = await _wait_inbox_row(tg, update["update_id"])
    assert row.payload["quiz_answer"] == {"quiz_id": "attempt-7:q-1", "option_ids": [1]}


async def test_an_update_delivered_twice_is_applied_once(tg: TelegramUstaz) -> None:
    user = TgUser(9006, "Айдана")
    await tg.join(user, STUDENT, Role.student)
    update = tg.updates.command(user, "help")
    await tg.say(update, "/menu")
    before = len(tg.api.messages(9006))
    await tg.send(update)  # Telegram's redelivery: same update_id
    await tg.say(tg.updates.command(user, "menu"), STUDENT)
    async with tg.runtime.sessions() as session:
        rows = await session.scalar(
            select(func.count())
            .select_from(InboxUpdate)
            .where(InboxUpdate.external_id == str(update["update_id"]))
        )
    assert rows == 1
    assert len(tg.api.messages(9006)) == before + 1, "only the /menu got an answer, not the repeated /help"


async def _wait_inbox_row(tg: TelegramUstaz, update_id: int) -> InboxUpdate:
    async def find() -> InboxUpdate | None:
        async with tg.runtime.sessions() as session:
            return await session.scalar(
                select(InboxUpdate).where(
                    InboxUpdate.channel == Channel.telegram, InboxUpdate.external_id == str(update_id)
                )
            )

    return await until(find)


async def _wait_inbox_done(tg: TelegramUstaz, count: int) -> None:
    async def done() -> bool:
        async with tg.runtime.sessions() as session:
            n = await session.scalar(
                select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == InboxStatus.done)
            )
        return (n or 0) >= count or None  # type: ignore[return-value]

    await until(done)


@pytest.mark.parametrize("mode", ["webhook"])
async def test_webhook_refuses_a_wrong_secret(tg: TelegramUstaz) -> None:
    user = TgUser(9007, "Айдана")
    assert await tg.api.deliver_webhook(tg.updates.command(user, "help"), secret="wrong") == 401
    assert await tg.api.deliver_webhook(tg.updates.command(user, "help"), secret=None) == 401
    async with tg.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 0
    assert tg.api.messages(9007) == []


async def test_an_update_aiogram_cannot_read_is_skipped_not_retried_forever(tg: TelegramUstaz) -> None:
    """One unreadable update (here a block whose chat is not a chat, not even leniently readable): it
    is answered 200 on the webhook, confirmed by the poller's offset, and the next one is handled."""
    user = TgUser(9008, "Айдана")
    await tg.join(user, STUDENT, Role.student)
    poison = tg.updates.member_change(user, "member", "kicked")
    poison["my_chat_member"]["chat"] = "not a chat"
    assert await tg.send(poison) == 200
    after = tg.updates.command(user, "help")
    await tg.say(after, "/menu")
    if tg.mode == "polling":
        await until(lambda: _true_or_none(tg.api.confirmed_offset > after["update_id"]))
    account = await telegram_account(tg.runtime, 9008)
    assert account is not None and account.unreachable_at is None
    async with tg.runtime.sessions() as session:
        kept = await session.scalar(
            select(func.count())
            .select_from(InboxUpdate)
            .where(InboxUpdate.external_id == str(poison["update_id"]))
        )
    assert kept == 0


async def _true_or_none(value: bool) -> bool | None:
    return True if value else None
