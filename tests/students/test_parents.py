"""Parents: two children in two groups, linking with a code, notices, the digest, acknowledgements."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import time_machine
from sqlalchemy import select

from bot.runtime import Runtime
from bot.services import digest, notices, parents
from db.base import utcnow
from db.models import Acknowledgement, Announcement, Assignment, Organization, ParentLink, Person
from tests.harness import Harness, labels, texts

GULNARA = "Гүлнара Қанатқызы Ахметова"
KK_CHILD, RU_GROUP_CHILD = "Әлихан Қанатұлы Ахметов", "Алина Руслановна Ахметова"


async def test_a_parent_follows_two_children_in_different_groups(demo: Runtime, harness: Harness) -> None:
    parent = await harness.seat_for(GULNARA)
    kids = await harness.say(parent, button="kids")
    assert labels(kids[-1])[:2] == [f"{RU_GROUP_CHILD} (ИС-22)", f"{KK_CHILD} (ПО-21)"]
    card = await harness.press(parent, kids[-1], KK_CHILD)
    week = texts(await harness.press(parent, card[-1], "Сабақ кестесі"))
    assert "Python негіздері" in week and "Веб-программирование" not in week
    grades = texts(await harness.press(parent, card[-1], "Бағалар"))
    assert "Python негіздері" in grades
    card = await harness.press(parent, kids[-1], RU_GROUP_CHILD)
    tasks = texts(await harness.press(parent, card[-1], "Тапсырмалар"))
    assert "Рубежный контроль 1" in tasks and "Циклдер" not in tasks
    # Another family's child is not reachable by a crafted button.
    async with demo.sessions() as session:
        stranger = await session.scalar(select(Person.id).where(Person.full_name == "Анна Сергеевна Петрова"))
    assert "Бұл батырма енді белсенді емес" in texts(await harness.say(parent, button=f"kgrd:{stranger}"))


async def test_a_child_code_links_a_parent_and_notices_follow(demo: Runtime, harness: Harness) -> None:
    child = await harness.seat_for("Дмитрий Олегович Ли")
    code_reply = texts(await harness.say(child, button="pcode"))
    code = code_reply.split(": ", 1)[1].split("\n", 1)[0]
    parent = await harness.seat_for("Ольга Викторовна Петрова")  # joined, Anna's mother
    await harness.say(parent, button="klink")
    linked = texts(await harness.say(parent, code))
    assert "Дмитрий Олегович Ли привязан(а) к вам" in linked
    assert "уже использован" in texts(
        await harness.say(parent, button="klink") and await harness.say(parent, code)
    )
    # A newcomer with a fresh code joins as a parent.
    code2 = texts(await harness.say(child, button="pcode")).split(": ", 1)[1].split("\n", 1)[0]
    newcomer = await harness.seat(None)
    joined = await harness.say(newcomer, code2)
    assert "Мои дети" in labels(joined[-1])
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
        deadline = await session.scalar(select(Assignment.deadline).where(Assignment.title == "Вёрстка страницы"))
        assert deadline is not None
        # The scheduler looks a minute after the deadline; the demo's work is two days old whenever the tests run.
        soon_after = deadline + dt.timedelta(hours=1)
        sent = await digest.missed_deadlines(session, soon_after)
        again = await digest.missed_deadlines(session, soon_after)
    assert sent >= 1 and again == 0
    await harness.settle()
    got = texts(await harness.received(parent))
    assert "Диана Ержановна Калиева не сдал(а) «Вёрстка страницы»" in got
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


async def test_announcement_acknowledged_and_notices_switch_off(demo: Runtime, harness: Harness) -> None:
    parent = await harness.seat_for(GULNARA)
    off = await harness.say(parent, button="ntf")
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
    assert "🔕 Бағалар" in labels((await harness.say(parent, button="ntf"))[-1])
