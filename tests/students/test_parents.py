"""Parents: two children in two groups, linking with a code, notices, the digest, acknowledgements."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.runtime import Runtime
from bot.services.messaging import digest, notices
from bot.services.people import parents
from db.base import utcnow
from db.models import (
    Acknowledgement,
    Announcement,
    Assignment,
    Group,
    Invite,
    MessengerAccount,
    Organization,
    ParentLink,
    Person,
    Role,
)
from tests.harness import Harness, labels, texts

GULNARA = "Гүлнара Қанатқызы Ахметова"
KK_CHILD, RU_GROUP_CHILD = "Әлихан Қанатұлы Ахметов", "Алина Руслановна Ахметова"


async def test_a_parent_follows_two_children_in_different_groups(demo: Runtime, harness: Harness) -> None:
    parent = await harness.seat_for(GULNARA)
    kids = await harness.tap(parent, "Балаларым")
    assert labels(kids[-1])[:2] == [f"{RU_GROUP_CHILD} (ИС-22)", f"{KK_CHILD} (ПО-21)"]
    card = await harness.press(parent, kids[-1], KK_CHILD)
    week = texts(await harness.press(parent, card[-1], "Сабақ кестесі"))
    assert "Python негіздері" in week and "Веб-программирование" not in week
    grades = texts(await harness.press(parent, card[-1], "Бағалар"))
    assert "Python негіздері" in grades
    card = await harness.press(parent, kids[-1], RU_GROUP_CHILD)
    tasks = texts(await harness.press(parent, card[-1], "Тапсырмалар"))
    assert "Рубежный контроль 1" in tasks and "Циклдер" not in tasks
    # Another family's child is not reachable by a crafted button (the raw payload is the point).
    async with demo.sessions() as session:
        stranger = await session.scalar(select(Person.id).where(Person.full_name == "Анна Сергеевна Петрова"))
    assert "Бұл батырма енді белсенді емес" in texts(await harness.say(parent, button=f"kgrd:{stranger}"))


async def test_a_child_code_links_a_parent_and_notices_follow(demo: Runtime, harness: Harness) -> None:
    child = await harness.seat_for("Дмитрий Олегович Ли")
    code_reply = texts(await harness.tap(child, "Код для родителя"))
    code = code_reply.split(": ", 1)[1].split("\n", 1)[0]
    parent = await harness.seat_for("Ольга Викторовна Петрова")  # joined, Anna's mother
    await harness.tap(parent, "Привязать ребёнка")
    linked = texts(await harness.say(parent, code))
    assert "Дмитрий Олегович Ли теперь в списке ваших детей" in linked
    # The child is told who now gets their notices.
    assert "Родитель Ольга Викторовна Петрова теперь получает ваши уведомления" in texts(
        await harness.received(child)
    )
    # The same code again: the child is already hers, said so (not «used»).
    await harness.tap(parent, "Привязать ребёнка")
    assert "Дмитрий Олегович Ли уже в списке ваших детей" in texts(await harness.say(parent, code))
    # Someone else with that used code is told to ask the child, not the organization.
    other = await harness.seat_for("Игорь Николаевич Ткаченко")
    await harness.tap(other, "Привязать ребёнка")
    assert "Попросите у ребёнка новый" in texts(await harness.say(other, code))
    # A newcomer with a fresh code joins as a parent.
    code2 = texts(await harness.tap(child, "Код для родителя")).split(": ", 1)[1].split("\n", 1)[0]
    newcomer = await harness.seat(None)
    joined = await harness.say(newcomer, code2)
    assert "Балаларым" in labels(joined[-1])  # the organization's language, not the child's
    async with demo.sessions() as session:
        links = (
            await session.scalars(
                select(ParentLink.parent_id)
                .join(Person, Person.id == ParentLink.child_id)
                .where(Person.full_name == "Дмитрий Олегович Ли")
            )
        ).all()
    assert len(links) == 3  # his father from the demo, Olga, the newcomer


async def test_missed_deadline_and_weekly_digest_reach_the_parent_once(
    demo: Runtime, harness: Harness
) -> None:
    parent = await harness.seat_for("Ержан Сапарович Калиев")  # Diana did not hand in the demo's past work
    async with demo.sessions() as session, session.begin():
        deadline = await session.scalar(
            select(Assignment.deadline).where(Assignment.title == "Вёрстка страницы")
        )
        assert deadline is not None
        # The scheduler looks a minute after the deadline; the demo's work is two days old
        # whenever the tests run.
        soon_after = deadline + dt.timedelta(hours=1)
        sent = await digest.missed_deadlines(session, soon_after)
        again = await digest.missed_deadlines(session, soon_after)
    assert sent >= 1 and again == 0
    await harness.settle()
    got = texts(await harness.received(parent))
    assert "Диана Ержановна Калиева: работа «Вёрстка страницы»" in got
    zone = zoneinfo.ZoneInfo("Asia/Almaty")
    today = dt.datetime.now(zone).date()
    sunday = today + dt.timedelta(days=(6 - today.weekday()) % 7)
    moment = dt.datetime.combine(sunday, dt.time(18, 5), zone)
    with time_machine.travel(moment, tick=False):
        async with demo.sessions() as session, session.begin():
            assert await digest.weekly_digest(session) >= 1
            assert await digest.weekly_digest(session) == 0
        await harness.settle()
    got = texts(await harness.received(parent))
    assert "Еженедельная сводка: Диана Ержановна Калиева" in got
    with time_machine.travel(moment - dt.timedelta(hours=1), tick=False):
        async with demo.sessions() as session:
            org = await session.scalar(select(Organization))
            assert org is not None
            assert digest.digest_due(utcnow(), org.timezone, org.settings) is None


async def test_a_digest_missed_while_no_process_ran_is_sent_once_when_it_is_back(
    demo: Runtime, harness: Harness
) -> None:
    parent = await harness.seat_for("Ержан Сапарович Калиев")
    zone = zoneinfo.ZoneInfo("Asia/Almaty")
    today = dt.datetime.now(zone).date()
    sunday = today + dt.timedelta(days=(6 - today.weekday()) % 7)
    back = dt.datetime.combine(sunday + dt.timedelta(days=1), dt.time(0, 30), zone)  # down Sunday 18:00-0:30
    with time_machine.travel(back, tick=False):
        async with demo.sessions() as session, session.begin():
            assert await digest.weekly_digest(session) >= 1
        await harness.settle()
    assert "Еженедельная сводка: Диана Ержановна Калиева" in texts(await harness.received(parent))
    with time_machine.travel(back + dt.timedelta(hours=5), tick=False):
        async with demo.sessions() as session, session.begin():
            assert await digest.weekly_digest(session) == 0  # that week's digest went already
    with time_machine.travel(back + dt.timedelta(days=4), tick=False):
        async with demo.sessions() as session, session.begin():
            assert await digest.weekly_digest(session) == 0  # too late to be news: next Sunday's comes


async def test_a_bad_stored_digest_setting_falls_back_and_breaks_no_other_organization(
    demo: Runtime, harness: Harness, caplog
) -> None:  # type: ignore[no-untyped-def]
    parent = await harness.seat_for("Ержан Сапарович Калиев")
    async with demo.sessions() as session, session.begin():
        org = await session.scalar(select(Organization))
        assert org is not None
        # Written before `ustaz org set` checked them: a day that does not exist, an hour in words.
        org.settings = {"digest": {"weekday": 9, "hour": "восемь"}}
        session.add(Organization(name="Екінші колледж", settings={"digest": {"hour": "сегіз"}}))
    zone = zoneinfo.ZoneInfo("Asia/Almaty")
    today = dt.datetime.now(zone).date()
    sunday = today + dt.timedelta(days=(6 - today.weekday()) % 7)
    moment = dt.datetime.combine(sunday, dt.time(18, 5), zone)
    with time_machine.travel(moment, tick=False):
        assert digest.digest_due(utcnow(), "Asia/Almaty", {"digest": {"weekday": 9, "hour": "восемь"}})
        assert digest.digest_due(utcnow(), "Asia/Almaty", {"digest": {"weekday": "6", "hour": 19}}) is None
        async with demo.sessions() as session, session.begin():
            assert await digest.weekly_digest(session) >= 1  # the default moment: Sunday 18:00
        await harness.settle()
    assert "Еженедельная сводка: Диана Ержановна Калиева" in texts(await harness.received(parent))
    assert "digest.hour 'восемь'" in caplog.text and "digest.weekday 9" in caplog.text


async def test_announcement_acknowledged_and_notices_switch_off(demo: Runtime, harness: Harness) -> None:
    parent = await harness.seat_for(GULNARA)
    off = await harness.tap(parent, "Хабарлама баптаулары")
    await harness.press(parent, off[-1], "Бағалар")
    async with demo.sessions() as session, session.begin():
        org = await session.scalar(select(Organization))
        assert org is not None
        ann = Announcement(
            organization_id=org.id, text="Ата-аналар жиналысы жұма күні", audience="parents", needs_ack=True
        )
        session.add(ann)
        await session.flush()
        await notices.announcement_posted(session, ann.id)
        ann_id = ann.id
    await harness.settle()
    got = await harness.received(parent)
    assert len(got) == 1 and "Ата-аналар жиналысы" in got[0].text
    thanks = await harness.press(parent, got[0], "Таныстым")
    assert "педагог сіздің танысқаныңызды көреді" in texts(thanks)
    await harness.press(parent, got[0], "Таныстым")  # twice: recorded once
    async with demo.sessions() as session:
        rows = (
            await session.scalars(select(Acknowledgement).where(Acknowledgement.announcement_id == ann_id))
        ).all()
        assert len(rows) == 1
        assert [name for name, _ in await parents.acknowledged_by(session, ann_id)] == [GULNARA]
        a = await session.scalar(select(Assignment).where(Assignment.title == "Рубежный контроль 1"))
        assert a is not None
    assert "🔕 Бағалар" in labels((await harness.tap(parent, "Хабарлама баптаулары"))[-1])


# -- linking with a child's code: QA's findings -------------------------------------------------

SERIK, AIDANA, ALIKHAN = "Серік Бекұлы Беков", "Айдана Серікқызы Бекова", "Әлихан Қанатұлы Ахметов"
OLGA, ANNA, DMITRY = "Ольга Викторовна Петрова", "Анна Сергеевна Петрова", "Дмитрий Олегович Ли"


async def child_code(harness: Harness, name: str) -> str:
    """The code the student shows under «Code for a parent» (in the student's own language)."""
    child = await harness.seat_for(name)
    menu = await harness.say(child, "/menu")
    label = next(x for x in ("Ата-анаға арналған код", "Код для родителя") if x in labels(menu[-1]))
    return texts(await harness.tap(child, label, on=menu)).split(": ", 1)[1].split("\n", 1)[0]


async def person_named(runtime: Runtime, name: str) -> Person:
    async with runtime.sessions() as session:
        person = await session.scalar(
            select(Person).options(selectinload(Person.roles)).where(Person.full_name == name)
        )
    assert person is not None
    return person


async def linked(runtime: Runtime, parent: str, child: str) -> bool:
    p, c = await person_named(runtime, parent), await person_named(runtime, child)
    async with runtime.sessions() as session:
        row = await session.scalar(
            select(ParentLink.id).where(ParentLink.parent_id == p.id, ParentLink.child_id == c.id)
        )
    return row is not None


async def invite_used(runtime: Runtime, code: str) -> bool:
    async with runtime.sessions() as session:
        invite = await session.scalar(select(Invite).where(Invite.code == code))
    assert invite is not None
    return invite.used_at is not None


async def test_a_joined_parent_pastes_a_child_code_as_plain_text_kk(demo: Runtime, harness: Harness) -> None:
    code = await child_code(harness, ALIKHAN)
    parent = await harness.seat_for(SERIK)
    got = await harness.say(parent, code)
    assert f"{ALIKHAN} сізге байланыстырылды" in texts(got)
    assert "Сабақ кестесі" in labels(got[-1])  # the child's card, as in «Link a child»
    assert await linked(demo, SERIK, ALIKHAN) and await invite_used(demo, code)
    # His own daughter's fresh code: already his; the code stays for her other parent.
    aidana_code = await child_code(harness, AIDANA)
    assert f"{AIDANA} сізге бұрын байланыстырылған" in texts(await harness.say(parent, aidana_code))
    assert not await invite_used(demo, aidana_code)
    # Exactly a code's shape but no such code: said clearly; an ordinary word: the usual answer.
    assert "Мұндай шақыру коды табылмады" in texts(await harness.say(parent, "AB3CD4EF"))
    assert "Түсінбедім" in texts(await harness.say(parent, "whatever"))


async def test_a_joined_parent_pastes_a_child_code_as_plain_text_ru(demo: Runtime, harness: Harness) -> None:
    code = await child_code(harness, DMITRY)
    parent = await harness.seat_for(OLGA)
    got = await harness.say(parent, f" {code[:4].lower()} {code[4:].lower()} ")
    assert f"{DMITRY} теперь в списке ваших детей" in texts(got)
    assert await linked(demo, OLGA, DMITRY)
    assert "Такой код приглашения не найден" in texts(await harness.say(parent, "ZZ3ZZ4ZZ"))


async def test_a_new_parent_keeps_the_language_they_chose_and_gets_a_sensible_name(
    demo: Runtime, harness: Harness
) -> None:
    code = await child_code(harness, DMITRY)  # a Russian-speaking child
    newcomer = await harness.seat(None, lang="ru")
    await harness.tap(newcomer, "Қазақша")  # on the welcome a newcomer gets
    joined = texts(await harness.say(newcomer, code))
    assert f"{DMITRY} сізге байланыстырылды" in joined
    assert f"Басты мәзір — Ата-ана ({DMITRY}), ата-ана." in joined
    assert "Главное меню" not in joined and "родитель" not in joined
    async with demo.sessions() as session:
        account = await session.get(MessengerAccount, newcomer.account_id)
        assert account is not None and account.person_id is not None
        person = await session.get(Person, account.person_id)
        assert person is not None
        assert (person.locale, person.full_name, person.active_role) == (
            "kk",
            f"Ата-ана ({DMITRY})",
            Role.parent,
        )
    assert await linked(demo, f"Ата-ана ({DMITRY})", DMITRY)

    # A Russian messenger and no choice: Russian; the messenger's name is the person's name.
    code = await child_code(harness, AIDANA)  # a Kazakh-speaking child
    second = await harness.seat(None, lang="ru")
    async with demo.sessions() as session, session.begin():
        account = await session.get(MessengerAccount, second.account_id)
        assert account is not None
        account.display_name = "Жанна Ким"
    joined = texts(await harness.say(second, f"/start {code}"))
    assert "Вы подключены" in joined and "Главное меню — Жанна Ким, родитель." in joined
    person = await person_named(demo, "Жанна Ким")
    assert person.locale == "ru" and await linked(demo, "Жанна Ким", AIDANA)

    # Nothing from the messenger: the organization's default (kk).
    code = await child_code(harness, ANNA)
    third = await harness.seat(None)
    assert f"Басты мәзір — Ата-ана ({ANNA}), ата-ана." in texts(await harness.say(third, code))


async def test_start_with_a_child_code_names_the_child_ru(demo: Runtime, harness: Harness) -> None:
    parent = await harness.seat_for(OLGA)
    anna_code = await child_code(harness, ANNA)
    got = await harness.say(parent, f"/start {anna_code}")
    assert f"{ANNA} уже в списке ваших детей." in texts(got)
    assert "Вы подключены" not in texts(got) and "Главное меню — Ольга Викторовна Петрова" in texts(got)
    code = await child_code(harness, DMITRY)
    got = texts(await harness.say(parent, f"/start {code}"))
    assert f"{DMITRY} теперь в списке ваших детей" in got and "Вы подключены" not in got
    assert "Главное меню" in got and await linked(demo, OLGA, DMITRY)
    # The deep link pressed again.
    assert f"{DMITRY} уже в списке ваших детей." in texts(await harness.say(parent, f"/start {code}"))


async def test_start_with_a_child_code_names_the_child_kk(demo: Runtime, harness: Harness) -> None:
    parent = await harness.seat_for(SERIK)
    got = texts(await harness.say(parent, f"/start {await child_code(harness, AIDANA)}"))
    assert f"{AIDANA} сізге бұрын байланыстырылған." in got and "Басты мәзір — Серік Бекұлы Беков" in got
    got = texts(await harness.say(parent, f"/start {await child_code(harness, ALIKHAN)}"))
    assert f"{ALIKHAN} сізге байланыстырылды" in got and "Сіз қосылдыңыз" not in got


async def test_a_student_cannot_become_a_parent_with_a_classmate_code(
    demo: Runtime, harness: Harness
) -> None:
    code = await child_code(harness, ALIKHAN)
    student = await harness.seat_for(AIDANA)
    for attempt in (f"/start {code}", code):
        got = await harness.say(student, attempt)
        assert "білім алушы ретінде қосылғансыз" in texts(got)
        assert "ұйымыңыздан сізді ата-ана ретінде қосуды сұраңыз" in texts(got)
    me = await person_named(demo, AIDANA)
    assert me.active_role == Role.student and {r.role for r in me.roles} == {Role.student}
    assert not await linked(demo, AIDANA, ALIKHAN) and not await invite_used(demo, code)
    assert "Ата-анаға арналған код" in labels((await harness.say(student, "/menu"))[-1])  # her menu stays

    code = await child_code(harness, DMITRY)
    anna = await harness.seat_for(ANNA)
    assert "попросите организацию добавить вас как родителя" in texts(
        await harness.say(anna, f"/start {code}")
    )
    assert not await linked(demo, ANNA, DMITRY)
    # Dmitry pasting his own code is told whom it is for.
    dmitry = await harness.seat_for(DMITRY)
    assert "передайте его родителю" in texts(await harness.say(dmitry, code))


async def test_a_teacher_linking_their_child_keeps_acting_as_a_teacher(
    demo: Runtime, harness: Harness
) -> None:
    code = await child_code(harness, ANNA)
    teacher = await harness.seat_for("Сергей Викторович Ким")
    got = await harness.say(teacher, f"/start {code}")
    assert f"{ANNA} теперь в списке ваших детей" in texts(got)
    assert "Сейчас вы работаете в роли «педагог»" in texts(got) and "/role" in texts(got)
    assert "Главное меню — Сергей Викторович Ким, педагог." in texts(got)
    me = await person_named(demo, "Сергей Викторович Ким")
    assert me.active_role == Role.teacher and {r.role for r in me.roles} == {Role.teacher, Role.parent}
    assert await linked(demo, "Сергей Викторович Ким", ANNA)


async def test_link_dialog_waits_through_a_photo_and_child_codes_send_to_the_child(
    demo: Runtime, harness: Harness
) -> None:
    parent = await harness.seat_for(SERIK)
    await harness.tap(parent, "Баланы байланыстыру")
    got = await harness.say(parent, files=[("code.jpg", b"\xff\xd8\xff photo")])
    assert "Кодты мәтінмен жіберіңіз" in texts(got) and "Бас тарту" in labels(got[-1])
    code = await child_code(harness, ALIKHAN)
    assert f"{ALIKHAN} сізге байланыстырылды" in texts(await harness.say(parent, code))

    # A used child's code, then an expired one: ask the child.
    ru_parent = await harness.seat_for("Игорь Николаевич Ткаченко")
    await harness.tap(ru_parent, "Привязать ребёнка")
    assert "Попросите у ребёнка новый" in texts(await harness.say(ru_parent, code))
    stale = await child_code(harness, DMITRY)
    async with demo.sessions() as session, session.begin():
        invite = await session.scalar(select(Invite).where(Invite.code == stale))
        assert invite is not None
        invite.expires_at = utcnow() - dt.timedelta(minutes=1)
    got = texts(await harness.say(ru_parent, stale))
    assert "Срок действия этого кода истёк. Попросите у ребёнка новый" in got and "организации" not in got
    # A newcomer with the expired child's code is told the same.
    newcomer = await harness.seat(None, lang="kk")
    assert "Балаңыздан жаңа код сұраңыз" in texts(await harness.say(newcomer, stale))


async def test_only_the_audience_acknowledges_an_announcement(demo: Runtime, harness: Harness) -> None:
    async with demo.sessions() as session, session.begin():
        org = await session.scalar(select(Organization))
        group_ru = await session.scalar(select(Group.id).where(Group.name == "ИС-22"))
        assert org is not None and group_ru is not None
        ann = Announcement(
            organization_id=org.id, group_id=group_ru, text="Собрание", audience="parents", needs_ack=True
        )
        session.add(ann)
        await session.flush()
        await notices.announcement_posted(session, ann.id)
        ann_id = ann.id
    mother = await harness.seat_for(OLGA)
    await harness.settle()
    posted = await harness.received(mother)
    # Those outside the audience never got the announcement: their presses are forged payloads.
    outsider = await harness.seat_for(SERIK)  # his daughter is in ПО-21
    assert "Бұл батырма енді белсенді емес" in texts(await harness.say(outsider, button=f"ack:{ann_id}"))
    student = await harness.seat_for(ANNA)  # in ИС-22, but the announcement is for parents
    assert "Эта кнопка больше не действует" in texts(await harness.say(student, button=f"ack:{ann_id}"))
    assert "педагог увидит" in texts(await harness.tap(mother, "Принято к сведению", on=posted))
    async with demo.sessions() as session:
        names = [name for name, _ in await parents.acknowledged_by(session, ann_id)]
    assert names == [OLGA]


async def test_a_new_lesson_names_the_child_and_two_children_in_one_group_make_one_message(
    demo: Runtime, harness: Harness
) -> None:
    from bot.services.schedule import lessons
    from db.models import Course, Group, LessonMode

    parent = await harness.seat_for(GULNARA)  # Алина is in ИС-22; Анна becomes her child too
    async with demo.sessions() as session, session.begin():
        gulnara = await session.scalar(select(Person.id).where(Person.full_name == GULNARA))
        anna = await session.scalar(select(Person.id).where(Person.full_name == "Анна Сергеевна Петрова"))
        assert gulnara is not None and anna is not None
        await parents.link(session, gulnara, anna)
        course = await session.scalar(
            select(Course).join(Group, Group.id == Course.group_id).where(Group.name == "ИС-22")
        )
        assert course is not None and course.teacher_id is not None
        await lessons.schedule(
            session,
            course.teacher_id,
            course.id,
            utcnow() + dt.timedelta(days=1),
            LessonMode.online,
            link="https://meet.example/abc",
        )
    await harness.settle()
    got = [r.text for r in await harness.received(parent) if "онлайн сабақ" in r.text]
    assert len(got) == 1, got  # one message for both children
    assert "Алина Руслановна Ахметова" in got[0] and "Анна Сергеевна Петрова" in got[0]
