"""A teacher's action reaches the group's students and their parents, each in their language."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bot.runtime import Runtime
from bot.services.messaging import notices
from db.base import utcnow
from db.models import Assignment, Grade, NotificationPreference, Person
from tests.harness import Harness, texts


async def test_published_assignment_reaches_students_and_parents(demo: Runtime, harness: Harness) -> None:
    student = await harness.seat_for("Айдана Серікқызы Бекова")
    russian_student = await harness.seat_for("Анна Сергеевна Петрова")
    parent = await harness.seat_for("Серік Бекұлы Беков")
    async with demo.sessions() as session, session.begin():
        assignment = await session.scalar(
            select(Assignment).where(Assignment.title == "Функциялар: зертханалық жұмыс")
        )
        assert assignment is not None
        await notices.assignment_published(session, assignment.id)
        again = await notices.assignment_published(session, assignment.id)
    assert again == 0  # published twice, told once
    await harness.settle()
    got = await harness.received(student)
    assert len(got) == 1 and "Жаңа тапсырма: Функциялар: зертханалық жұмыс" in got[0].text
    assert "Орындау мерзімі:" in got[0].text
    assert got[0].buttons[0][0].payload == f"sub:{assignment.id}"
    assert await harness.received(russian_student) == []  # another group
    assert "Айдана Серікқызы Бекова үшін жаңа тапсырма" in texts(await harness.received(parent))


async def test_grade_notice_respects_a_switched_off_kind(demo: Runtime, harness: Harness) -> None:
    student = await harness.seat_for("Айдана Серікқызы Бекова")
    parent = await harness.seat_for("Серік Бекұлы Беков")
    async with demo.sessions() as session, session.begin():
        assignment = await session.scalar(
            select(Assignment).where(Assignment.title == "Функциялар: зертханалық жұмыс")
        )
        person = await session.scalar(select(Person).where(Person.full_name == "Айдана Серікқызы Бекова"))
        parent_id = await session.scalar(select(Person.id).where(Person.full_name == "Серік Бекұлы Беков"))
        assert assignment is not None and person is not None
        session.add(NotificationPreference(person_id=parent_id, kind=notices.PARENT_GRADE, enabled=False))
        grade = Grade(
            assignment_id=assignment.id,
            student_id=person.id,
            score=Decimal("87.5"),
            comment="Жарайсың",
            graded_at=utcnow(),
        )
        session.add(grade)
        await session.flush()
        await notices.grade_released(session, grade.id)
    await harness.settle()
    assert "бағаланды: 100 балдан 87,5" in texts(await harness.received(student))
    assert await harness.received(parent) == []
