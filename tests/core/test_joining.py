"""Joining by invite: a typed code, a deep link, and the used, expired and unknown codes."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from bot.core.messages import Incoming
from bot.queues import inbox
from bot.runtime import Runtime
from bot.services.people import invites
from db.base import utcnow
from db.models import Channel, Invite, MessengerAccount, Person, Role
from tests.harness import Harness, labels, texts


async def invite_for(runtime: Runtime, name: str, role: Role, **kw: object) -> str:
    async with runtime.sessions() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.full_name == name))
        assert person is not None
        return (await invites.create_invite(session, person, role, **kw)).code  # type: ignore[arg-type]


async def test_a_stranger_is_asked_for_the_code_in_their_language(demo: Runtime, harness: Harness) -> None:
    visitor = await harness.seat(None, lang="ru")
    replies = await harness.say(visitor, "Привет")
    assert "отправьте код приглашения" in texts(replies)
    assert labels(replies[-1]) == ["Қазақша", "Русский"]

    replies = await harness.press(visitor, replies[-1], "Қазақша")
    assert "шақыру кодын жіберіңіз" in texts(replies)

    # The next message still says «ru» from the messenger's settings: the choice made here stands.
    incoming = Incoming(channel=Channel.web, external_user_id=visitor.external_id,
                        chat_id=visitor.external_id, text="Сәлем", language_code="ru")  # fmt: skip
    await inbox.accept(demo, incoming, str(uuid.uuid4()))
    await harness.settle()
    assert "шақыру кодын жіберіңіз" in texts(await harness.received(visitor))


async def test_typed_code_joins_and_shows_the_menu(demo: Runtime, harness: Harness) -> None:
    code = await invite_for(demo, "Айдана Серікқызы Бекова", Role.student)
    visitor = await harness.seat(None)
    replies = await harness.say(visitor, f"  {code.lower()[:4]}-{code.lower()[4:]} ")
    assert "Сіз қосылдыңыз" in texts(replies)
    assert "Басты мәзір — Айдана Серікқызы Бекова, білім алушы." in texts(replies)
    async with demo.sessions() as session:
        account = await session.get(MessengerAccount, visitor.account_id)
        invite = await session.scalar(select(Invite).where(Invite.code == code))
    assert account is not None and invite is not None
    assert account.person_id == invite.person_id
    assert invite.used_at is not None and invite.used_by_account_id == visitor.account_id


async def test_deep_link_start_payload_joins(demo: Runtime, harness: Harness) -> None:
    code = await invite_for(demo, "Сергей Викторович Ким", Role.teacher)
    visitor = await harness.seat(None)
    replies = await harness.say(visitor, f"/start {code}")
    assert "Вы подключены" in texts(replies)
    assert "Главное меню — Сергей Викторович Ким, педагог." in texts(replies)


async def test_used_code_is_refused_for_another_chat(demo: Runtime, harness: Harness) -> None:
    code = await invite_for(demo, "Айдана Серікқызы Бекова", Role.student)
    first, second = await harness.seat(None, lang="ru"), await harness.seat(None, lang="ru")
    await harness.say(first, code)
    replies = await harness.say(second, code)
    assert "уже использован" in texts(replies)
    async with demo.sessions() as session:
        account = await session.get(MessengerAccount, second.account_id)
    assert account is not None and account.person_id is None


async def test_expired_code_is_refused(demo: Runtime, harness: Harness) -> None:
    code = await invite_for(demo, "Айдана Серікқызы Бекова", Role.student, ttl=dt.timedelta(days=1))
    async with demo.sessions() as session, session.begin():
        invite = await session.scalar(select(Invite).where(Invite.code == code))
        assert invite is not None
        invite.expires_at = utcnow() - dt.timedelta(minutes=1)
    visitor = await harness.seat(None, lang="kk")
    replies = await harness.say(visitor, code)
    assert "мерзімі өтіп кеткен" in texts(replies)


async def test_unknown_code_is_refused(demo: Runtime, harness: Harness) -> None:
    visitor = await harness.seat(None, lang="ru")
    replies = await harness.say(visitor, "/start ZZZZ2222")
    assert "Такой код приглашения не найден" in texts(replies)


async def test_joining_keeps_the_language_the_person_was_greeted_in(demo: Runtime, harness: Harness) -> None:
    async with demo.sessions() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.full_name == "Анна Сергеевна Петрова"))
        assert person is not None
        person.locale = None
    code = await invite_for(demo, "Анна Сергеевна Петрова", Role.student)
    visitor = await harness.seat(None, lang="ru-RU")
    assert "Вы подключены" in texts(await harness.say(visitor, code))
    async with demo.sessions() as session:
        assert (
            await session.scalar(select(Person.locale).where(Person.full_name == "Анна Сергеевна Петрова"))
            == "ru"
        )


async def test_a_strangers_file_is_not_kept(demo: Runtime, harness: Harness) -> None:
    from db.models import StoredFile

    visitor = await harness.seat(None, lang="kk")
    replies = await harness.say(visitor, files=[("doc.pdf", b"%PDF-1.4 test")])
    assert "шақыру кодын жіберіңіз" in texts(replies)
    async with demo.sessions() as session:
        assert (await session.scalars(select(StoredFile))).all() == []
