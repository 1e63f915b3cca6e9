"""Class group chats through the Bot API stand-in: a teacher links a Telegram group to a school group
with a code, Ustaz posts there what the class should see, and unlinking or removing the bot stops it."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.services.coursework import posting
from bot.services.messaging import announcing
from bot.services.schedule import changes, lessons
from db.base import utcnow
from db.models import ClassChat, Course, Group, LessonMode, MessengerAccount, Person, Role
from tests.channels.telegram_app import TelegramUstaz, outbox_idle, telegram_account, telegram_ustaz, until
from tests.stand_ins.telegram_api import BOT_USERNAME, BotAPIStandIn, ChatMessage, TgUser, Updates

RU_TEACHER = "Сергей Викторович Ким"
KK_TEACHER = "Айгүл Сейітқызы Нұрланова"
KK_STUDENT = "Айдана Серікқызы Бекова"
RU_CHAT = Updates.group(-1001000000501, "Веб-программирование, 1 курс")
KK_CHAT = {"id": -4000000502, "type": "group", "title": "Python тобы"}  # a basic group: type "group"
CODE = re.compile(r"/link ([A-Z0-9]{8})")


@pytest.fixture
async def tg(engine, database_url: str, tmp_path: Path, api: BotAPIStandIn) -> AsyncIterator[TelegramUstaz]:
    async with telegram_ustaz(database_url, tmp_path, api, "polling") as app:
        yield app


async def _press(tg: TelegramUstaz, user: TgUser, shown: ChatMessage, label: str, expect: str) -> ChatMessage:
    return await tg.say(tg.updates.callback(user, shown.button(label)["callback_data"], shown), expect)


async def _ids(tg: TelegramUstaz, teacher: str, discipline: str) -> tuple[int, int, int, str]:
    """The teacher's id, the course's id, its group's id and name."""
    async with tg.runtime.sessions() as session:
        person = await session.scalar(select(Person.id).where(Person.full_name == teacher))
        course = await session.scalar(select(Course).where(Course.discipline == discipline))
        assert person is not None and course is not None
        group = await session.get(Group, course.group_id)
        assert group is not None
        return person, course.id, group.id, group.name


async def _quiet_after(tg: TelegramUstaz, chat_id: int, count: int) -> list[ChatMessage]:
    """The group's messages once the outbox has nothing left to send: exactly `count` of them."""
    await outbox_idle(tg.runtime)
    shown = tg.api.messages(chat_id)
    assert len(shown) == count, [m.text for m in shown]
    return shown


async def test_a_russian_teacher_links_a_group_chat_and_the_class_sees_its_news(tg: TelegramUstaz) -> None:
    u, api = tg.updates, tg.api
    teacher = TgUser(9501, "Сергей", language_code="ru")
    student = TgUser(9502, "Анна", language_code="ru")
    stranger = TgUser(9503, "Гость", language_code="ru")
    menu = await tg.join(teacher, RU_TEACHER, Role.teacher)
    await tg.join(student, "Анна Сергеевна Петрова", Role.student)
    teacher_id, course_id, group_id, group_name = await _ids(tg, RU_TEACHER, "Веб-программирование")

    groups = await _press(tg, teacher, menu, "Чат группы", "Выберите группу")
    shown = await _press(tg, teacher, groups, group_name, "/link ")
    assert f"У группы {group_name} пока нет связанного чата" in shown.text
    found = CODE.search(shown.text)
    assert found is not None
    code = found.group(1)
    add = shown.button("Добавить Ustaz в групповой чат")
    assert add["url"] == f"https://t.me/{BOT_USERNAME}?startgroup={code}"

    chat_id = RU_CHAT["id"]
    hello = await tg.say(u.bot_in_group(teacher, "left", "member", RU_CHAT), "/link КОД", chat=chat_id)
    assert "Здравствуйте! Я Ustaz" in hello.text
    await tg.send(u.group_text(stranger, "всем привет"))  # the class's own talk: Ustaz keeps quiet
    other_bot = u.group_command(stranger, "help", chat=RU_CHAT)
    other_bot["message"]["text"] = "/help@another_bot"
    await tg.send(other_bot)  # another bot's command: not ours to answer
    linked = await tg.say(
        u.group_command(teacher, "link", code, RU_CHAT, mention=True), "связан", chat=chat_id
    )
    assert f"Этот чат теперь связан с группой {group_name}" in linked.text
    assert linked.button("Получать личные уведомления")["url"] == f"https://t.me/{BOT_USERNAME}"
    # The teacher's private chat is still where their own messages go.
    account = await telegram_account(tg.runtime, teacher.id)
    assert account is not None and account.chat_id == str(teacher.id)

    async with tg.runtime.sessions() as session, session.begin():
        await posting.publish(
            session,
            teacher_id,
            posting.Draft(
                course_id, "Вёрстка страницы", utcnow() + dt.timedelta(days=3), text="Сверстать макет"
            ),
        )
        await announcing.post(session, teacher_id, group_id, "students", "Завтра экскурсия в IT-парк")
        await announcing.post(session, teacher_id, group_id, "parents", "Собрание родителей в пятницу")
    await tg.api.wait_messages(chat_id, 4)
    posts = await _quiet_after(tg, chat_id, 4)
    assert "Новое задание: Вёрстка страницы" in posts[2].text and "Веб-программирование" in posts[2].text
    assert "Завтра экскурсия в IT-парк" in posts[3].text, "the students' announcement; not the parents'"
    assert all(b.get("url") for m in posts for row in m.buttons for b in row), "only links in a group"
    async with tg.runtime.sessions() as session:
        names = (await session.scalars(select(Person.full_name))).all()
    assert not any(name in m.text for m in posts for name in names if name != RU_TEACHER), "no one's name"
    assert api.rate_limited == 0

    join = await tg.say(u.group_command(stranger, "join", chat=RU_CHAT), "код приглашения", chat=chat_id)
    assert join.button("Получать личные уведомления")["url"] == f"https://t.me/{BOT_USERNAME}"
    refused = await tg.say(u.group_command(student, "unlink", chat=RU_CHAT), "Отвязать", chat=chat_id)
    assert "только педагог группы или руководитель" in refused.text
    student_account = await telegram_account(tg.runtime, student.id)
    assert student_account is not None and student_account.chat_id == str(student.id)
    done = await tg.say(u.group_command(teacher, "unlink", chat=RU_CHAT), "отвязан", chat=chat_id)
    assert f"Чат группы {group_name} отвязан" in done.text

    async with tg.runtime.sessions() as session, session.begin():
        await announcing.post(session, teacher_id, group_id, "students", "Это уже не в чат")
    await _quiet_after(tg, chat_id, 7)
    again = await tg.say(u.group_command(teacher, "link", code, RU_CHAT), "Этот код", chat=chat_id)
    assert "уже связал другой чат" in again.text and "Создайте новый код" in again.text


async def test_a_kazakh_teacher_links_by_the_startgroup_link_and_removing_the_bot_stops_it(
    tg: TelegramUstaz,
) -> None:
    u, api = tg.updates, tg.api
    teacher = TgUser(9511, "Айгүл", language_code="kk")
    menu = await tg.join(teacher, KK_TEACHER, Role.teacher)
    teacher_id, course_id, group_id, group_name = await _ids(tg, KK_TEACHER, "Python негіздері")
    groups = await _press(tg, teacher, menu, "Топтың чаты", "Топты таңдаңыз")
    assert groups.button_labels[:1] == [group_name], "only the groups she teaches"
    shown = await _press(tg, teacher, groups, group_name, "/link ")
    found = CODE.search(shown.text)
    assert found is not None

    chat_id = KK_CHAT["id"]
    unknown = await tg.say(u.group_command(teacher, "link", "ZZZZ2222", KK_CHAT), "Бұл код", chat=chat_id)
    assert "Бұл код белгісіз" in unknown.text and "жаңа код жасаңыз" in unknown.text
    # What Telegram sends when the teacher adds the bot through t.me/<bot>?startgroup=CODE.
    await tg.send(u.bot_in_group(teacher, "left", "member", KK_CHAT))
    linked = await tg.say(
        u.group_command(teacher, "start", found.group(1), KK_CHAT, mention=True),
        "байланыстырылды",
        chat=chat_id,
    )
    assert f"Бұл чат енді {group_name} тобымен байланыстырылды" in linked.text
    again = await _press(tg, teacher, menu, "Топтың чаты", "Топты таңдаңыз")
    assert f"{group_name} ✅" in again.button_labels

    async with tg.runtime.sessions() as session, session.begin():
        await posting.publish(
            session, teacher_id, posting.Draft(course_id, "Циклдар", utcnow() + dt.timedelta(days=2))
        )
        lesson = await lessons.schedule(
            session,
            teacher_id,
            course_id,
            utcnow() + dt.timedelta(days=1),
            LessonMode.online,
            link="https://meet.jit.si/python-1",
        )
        teacher_row = await session.get(Person, teacher_id)
        assert teacher_row is not None
        await changes.cancel(session, teacher_row.organization_id, lesson.id, utcnow(), teacher_id)
    await tg.api.wait_messages(chat_id, 6)
    shown = await _quiet_after(tg, chat_id, 6)  # unknown code, hello, linked, assignment, lesson, cancelled
    assert "Сәлеметсіз бе! Мен Ustaz" in shown[1].text
    assert "Жаңа тапсырма: Циклдар" in shown[3].text
    assert "Онлайн сабақ: Python негіздері" in shown[4].text
    assert shown[4].button("Сабаққа қосылу")["url"] == "https://meet.jit.si/python-1"
    assert "Python негіздері сабағы" in shown[5].text and "болдырылмады" in shown[5].text
    before = len(api.messages(chat_id))

    api.remove_from_group(chat_id)
    await tg.send(u.bot_in_group(teacher, "member", "left", KK_CHAT))

    async def unlinked() -> bool | None:
        async with tg.runtime.sessions() as session:
            row = await session.scalar(select(ClassChat).where(ClassChat.code == found.group(1)))
        return True if row is not None and row.unlinked_at is not None else None

    await until(unlinked)
    async with tg.runtime.sessions() as session, session.begin():
        await posting.publish(
            session, teacher_id, posting.Draft(course_id, "Функциялар", utcnow() + dt.timedelta(days=2))
        )
    await _quiet_after(tg, chat_id, before)
    sent_there = [c for c in api.calls_of("sendMessage") if str(c.params.get("chat_id")) == str(chat_id)]
    assert not any("Функциялар" in str(c.params.get("text")) for c in sent_there), "nothing tried there"


async def test_the_link_follows_a_group_upgraded_to_a_supergroup(tg: TelegramUstaz) -> None:
    u, api = tg.updates, tg.api
    teacher = TgUser(9521, "Айгүл", language_code="kk")
    menu = await tg.join(teacher, KK_TEACHER, Role.teacher)
    teacher_id, course_id, _, group_name = await _ids(tg, KK_TEACHER, "Python негіздері")
    groups = await _press(tg, teacher, menu, "Топтың чаты", "Топты таңдаңыз")
    found = CODE.search((await _press(tg, teacher, groups, group_name, "/link ")).text)
    assert found is not None
    await tg.say(
        u.group_command(teacher, "link", found.group(1), KK_CHAT), "байланыстырылды", chat=KK_CHAT["id"]
    )

    supergroup = Updates.group(-1009000000502, KK_CHAT["title"])
    await tg.send(u.group_migrated(teacher, KK_CHAT, supergroup))
    await until(lambda: _linked_chat(tg, str(supergroup["id"])))
    async with tg.runtime.sessions() as session, session.begin():
        await posting.publish(
            session, teacher_id, posting.Draft(course_id, "Сөздіктер", utcnow() + dt.timedelta(days=2))
        )
    await api.wait_messages(supergroup["id"], 1)
    assert "Жаңа тапсырма: Сөздіктер" in api.messages(supergroup["id"])[0].text
    await _quiet_after(tg, KK_CHAT["id"], 1)  # the old id got nothing more


async def _linked_chat(tg: TelegramUstaz, chat_id: str) -> bool | None:
    async with tg.runtime.sessions() as session:
        row = await session.scalar(
            select(ClassChat)
            .join(MessengerAccount, MessengerAccount.id == ClassChat.account_id)
            .where(MessengerAccount.external_id == chat_id, ClassChat.unlinked_at.is_(None))
        )
    return True if row is not None else None


async def test_group_chats_list_link_unlink_and_join_in_both_languages(tg: TelegramUstaz) -> None:
    """At start-up Telegram is given the group chats' commands, so «/» in a class's group shows them."""

    async def registered() -> list | None:
        calls = tg.api.calls_of("setMyCommands")
        return calls if len(calls) == 3 else None

    calls = await until(registered)
    by_language = {c.params.get("language_code"): c.params for c in calls}
    assert set(by_language) == {None, "kk", "ru"}
    for params in by_language.values():
        scope = params["scope"]
        assert (json.loads(scope) if isinstance(scope, str) else scope) == {"type": "all_group_chats"}

    def described(language: str | None) -> dict[str, str]:
        listed = by_language[language]["commands"]
        listed = json.loads(listed) if isinstance(listed, str) else listed
        return {c["command"]: c["description"] for c in listed}

    assert described("ru") == {
        "link": "Связать этот чат с группой организации по коду от Ustaz",
        "unlink": "Ustaz больше не пишет в этот чат",
        "join": "Получать свои уведомления от Ustaz в личном чате",
    }
    kk = described("kk")
    assert list(kk) == ["link", "unlink", "join"] and kk["join"].startswith("Ustaz хабарламаларын")
    assert described(None) == kk  # the organization's default language: Kazakh
