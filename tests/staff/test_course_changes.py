"""Changing a course after set-up: another teacher (everyone concerned is told) or other credits,
each kept in the audit trail."""

from __future__ import annotations

from sqlalchemy import select

from bot.runtime import Runtime
from bot.services.admin import audit
from db.models import AuditRecord, Course, Person
from tests.harness import Harness, labels, texts
from tests.staff.test_setup_dialogs import METHODIST

NURLANOVA, KIM = "Айгүл Сейітқызы Нұрланова", "Сергей Викторович Ким"


async def course(runtime: Runtime, discipline: str) -> Course:
    async with runtime.sessions() as session:
        found = await session.scalar(select(Course).where(Course.discipline == discipline))
    assert found is not None
    return found


async def test_methodist_gives_a_course_to_another_teacher_and_changes_its_credits(
    demo: Runtime, harness: Harness
) -> None:
    methodist = await harness.seat_for(METHODIST)
    old, new = await harness.seat_for(NURLANOVA), await harness.seat_for(KIM)
    student = await harness.seat_for("Айдана Серікқызы Бекова")

    menu = await harness.tap(methodist, "Ұйымды баптау")
    assert "Курсты өзгерту" in labels(menu[-1])
    replies = await harness.press(methodist, menu[-1], "Курсты өзгерту")
    replies = await harness.press(methodist, replies[-1], "ПО-21")
    replies = await harness.press(methodist, replies[-1], "Python негіздері")
    assert f"«Python негіздері»: 5 кредит, педагог {NURLANOVA}." in texts(replies)
    replies = await harness.press(methodist, replies[-1], "Басқа педагог")
    replies = await harness.say(methodist, "Нұрланова")
    assert "Бұл курсты Айгүл Сейітқызы Нұрланова жүргізіп жатыр" in texts(replies)
    replies = await harness.say(methodist, "Ким")
    assert f"«Python негіздері» курсын енді {KIM} жүргізеді" in texts(replies)
    assert (await course(demo, "Python негіздері")).teacher_id == new.person_id
    assert "Теперь вы ведёте «Python негіздері» в группе ПО-21." in texts(await harness.received(new))
    assert f"ПО-21 тобының «Python негіздері» курсын енді {KIM} жүргізеді." in texts(
        await harness.received(old)
    )
    assert f"«Python негіздері» курсының педагогы енді — {KIM}." in texts(await harness.received(student))
    # The course is his now: it is in his list, not in hers.
    assert "Python негіздері — ПО-21" in labels((await harness.tap(new, "Новое задание"))[-1])

    replies = await harness.press(methodist, replies[-1], "Курсты өзгерту")
    replies = await harness.press(methodist, replies[-1], "ПО-21")
    replies = await harness.press(methodist, replies[-1], "Python негіздері")
    replies = await harness.press(methodist, replies[-1], "Кредиттер")
    assert "Бүтін сан" in texts(replies)
    assert "бүтін санмен" in texts(await harness.say(methodist, "алты"))
    assert "бүтін санмен" in texts(await harness.say(methodist, "0"))
    replies = await harness.say(methodist, "6")
    assert "«Python негіздері» курсында енді 6 кредит." in texts(replies)
    assert (await course(demo, "Python негіздері")).credits == 6

    async with demo.sessions() as session:
        records = (
            await session.scalars(
                select(AuditRecord).where(AuditRecord.entity == "course").order_by(AuditRecord.id)
            )
        ).all()
        methodist_id = await session.scalar(select(Person.id).where(Person.full_name == METHODIST))
        assert [(r.before, r.after) for r in records] == [
            (
                {"course": "Python негіздері", "teacher": NURLANOVA},
                {"course": "Python негіздері", "teacher": KIM},
            ),
            ({"course": "Python негіздері", "credits": 5}, {"course": "Python негіздері", "credits": 6}),
        ]
        assert {r.actor_id for r in records} == {methodist_id}
        assert (await audit.verify(session)).ok
