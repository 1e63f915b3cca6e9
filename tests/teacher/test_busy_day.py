"""A busy teacher's day, walked by visible labels and counted: one assignment posted to 5 groups of 25
(each its own deadline), 25 works graded in a run («87 хорошо»), and those who have not handed in
reminded by name with their parents. README («A busy teacher's day in taps») states these counts."""

from __future__ import annotations

from dataclasses import dataclass

import time_machine
from sqlalchemy import func, select

from bot.core.messages import Reply
from bot.runtime import Runtime
from db.base import utcnow
from db.models import (
    AcademicTerm,
    Assignment,
    Course,
    Grade,
    GradeChange,
    Group,
    OutboxMessage,
    ParentLink,
    Person,
    PersonRole,
    Role,
    Submission,
    SubmissionStatus,
    SubmissionVersion,
)
from tests.harness import Harness, Seat, texts

TEACHER = "Болат Ерланович Сейтжанов"
GROUPS = [f"Ф-{n}" for n in range(1, 6)]
PER_GROUP = 25
TITLE = "Законы Ньютона"


@dataclass
class Counted:
    """The harness, counting what the teacher does: buttons pressed and messages typed."""

    harness: Harness
    seat: Seat
    taps: int = 0
    typed: int = 0

    async def tap(self, *labels_: str, on: list[Reply]) -> list[Reply]:
        self.taps += len(labels_)
        return await self.harness.tap(self.seat, *labels_, on=on)

    async def say(self, text: str) -> list[Reply]:
        self.typed += 1
        return await self.harness.say(self.seat, text)


async def five_groups(runtime: Runtime) -> None:
    """A teacher of physics in five groups of 25; each student with a parent."""
    async with runtime.sessions() as session, session.begin():
        term = await session.scalar(select(AcademicTerm))
        assert term is not None
        org_id = term.organization_id
        teacher = Person(organization_id=org_id, full_name=TEACHER, locale="ru", active_role=Role.teacher)
        teacher.roles.append(PersonRole(role=Role.teacher))
        session.add(teacher)
        await session.flush()
        for g, name in enumerate(GROUPS, start=1):
            group = Group(organization_id=org_id, name=name, year=1)
            session.add(group)
            await session.flush()
            session.add(
                Course(
                    organization_id=org_id,
                    term_id=term.id,
                    group_id=group.id,
                    teacher_id=teacher.id,
                    discipline="Физика",
                    credits=3,
                    hours=90,
                )
            )
            for n in range(1, PER_GROUP + 1):
                student = Person(
                    organization_id=org_id,
                    full_name=f"Ученик {g}-{n:02d}",
                    locale="ru",
                    active_role=Role.student,
                )
                student.roles.append(PersonRole(role=Role.student, group_id=group.id))
                parent = Person(
                    organization_id=org_id,
                    full_name=f"Родитель {g}-{n:02d}",
                    locale="ru",
                    active_role=Role.parent,
                )
                parent.roles.append(PersonRole(role=Role.parent))
                session.add_all([student, parent])
                await session.flush()
                session.add(ParentLink(parent_id=parent.id, child_id=student.id))


async def hand_in(runtime: Runtime, group: str, how_many: int) -> None:
    """What the students' side does: the first `how_many` of the group hand the work in."""
    async with runtime.sessions() as session, session.begin():
        assignment = await session.scalar(
            select(Assignment)
            .join(Course, Course.id == Assignment.course_id)
            .join(Group, Group.id == Course.group_id)
            .where(Assignment.title == TITLE, Group.name == group)
        )
        assert assignment is not None
        students = (
            await session.scalars(
                select(Person)
                .join(PersonRole, PersonRole.person_id == Person.id)
                .join(Group, Group.id == PersonRole.group_id)
                .where(Group.name == group, PersonRole.role == Role.student)
                .order_by(Person.full_name)
            )
        ).all()
        for student in students[:how_many]:
            submission = Submission(
                number=f"F-{assignment.id}-{student.id}",
                assignment_id=assignment.id,
                student_id=student.id,
                status=SubmissionStatus.submitted,
                submitted_at=utcnow(),
            )
            submission.versions.append(SubmissionVersion(number=1, text="Решение", submitted_at=utcnow()))
            session.add(submission)


async def test_a_busy_teachers_day_in_taps(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    await five_groups(demo)
    teacher = Counted(harness, await harness.seat_for(TEACHER))
    menu = await harness.say(teacher.seat, "/menu")

    # 1. One assignment to five groups, each with its own deadline.
    replies = await teacher.tap("Новое задание", "Физика — Ф-1", on=menu)
    await teacher.say(TITLE)
    replies = await teacher.say("Решите задачи 1–5 из параграфа 12.")
    replies = await teacher.tap(
        "Готово", "Завтра 18:00", "100", "текущий контроль успеваемости", "творческая работа", "Опубликовать",
        on=replies,
    )  # fmt: skip
    assert "Опубликовано: «Законы Ньютона»." in texts(replies)
    for group, deadline in zip(
        GROUPS[1:], ("Тот же срок", "Через 3 дня, 18:00", "Через неделю, 18:00", "Тот же срок"), strict=True
    ):
        replies = await teacher.tap("Опубликовать в другой группе", f"Физика — {group}", deadline, on=replies)
        assert "Опубликовано: «Законы Ньютона»." in texts(replies), texts(replies)
    post_taps, post_typed = teacher.taps, teacher.typed
    assert (post_taps, post_typed) == (20, 2)
    async with demo.sessions() as session:
        deadlines = (
            await session.scalars(select(Assignment.deadline).where(Assignment.title == TITLE))
        ).all()
    assert len(deadlines) == 5 and len(set(deadlines)) == 3

    # 2. Grading 25 works in a run: a score and a comment in one message, the next work opens by itself.
    await hand_in(demo, "Ф-1", PER_GROUP)
    replies = await teacher.tap("Работы на проверку", on=menu)
    replies = await teacher.tap("Ученик 1-", "Оценить", on=replies)
    assert "от 0 до 100" in texts(await teacher.say("101 отлично"))  # the range is checked
    for _ in range(PER_GROUP):
        replies = await teacher.say("87 хорошо")
        assert "Оценено: 87 из 100" in texts(replies), texts(replies)
    assert "Нет работ, ожидающих оценки." in texts(replies)
    grade_taps, grade_typed = teacher.taps - post_taps, teacher.typed - post_typed - 1  # less the refused one
    assert (grade_taps, grade_typed) == (3, 25)
    async with demo.sessions() as session:
        grades = (await session.scalars(select(Grade).where(Grade.comment == "хорошо"))).all()
        assert len(grades) == PER_GROUP and all(g.released and g.score == 87 for g in grades)
        assert await session.scalar(select(func.count()).select_from(GradeChange)) == 0

    # 3. Who has not handed in, by name on the card, and one tap reminds them and their parents.
    await hand_in(demo, "Ф-2", 20)
    before = teacher.taps
    replies = await teacher.tap("Мои задания", "Законы Ньютона · Ф-2", on=menu)
    card = texts(replies)
    assert "Не сдали (5): Ученик 2-21, Ученик 2-22, Ученик 2-23, Ученик 2-24, Ученик 2-25" in card
    replies = await teacher.tap("Напомнить им и их родителям", on=replies)
    assert "Несдавшим отправлено напоминание." in texts(replies)
    remind_taps = teacher.taps - before
    assert remind_taps == 3
    async with demo.sessions() as session:
        nudged = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "nudge")
        )
    assert nudged == 5
    # The README's table: post 20 taps + 2 messages, grade 3 taps + 25 messages, remind 3 taps.
    print(f"post {post_taps}+{post_typed}, grade {grade_taps}+{grade_typed}, remind {remind_taps}")
