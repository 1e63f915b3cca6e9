"""Each role its duties (002 item 26-1 and bot/services/people/permissions.py): the methodist asks an
applicant for documents but does not decide; methodists publish reports to the teachers and the head;
the tutor's menu has what its help promises (its groups, answering students' questions)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.runtime import Runtime
from bot.services.messaging import questions
from bot.services.people import permissions
from bot.services.people.permissions import Action
from db.base import utcnow
from db.models import Assignment, Course, Group, Person, PersonRole, Question, Role
from tests.harness import Harness, labels, texts

METHODIST = "Салтанат Әбенқызы Исмаилова"
HEAD = "Ерлан Маратұлы Жұмабаев"


def test_item_26_1_the_methodist_asks_for_documents_but_only_the_head_and_deputy_decide() -> None:
    """002 item 26-1: methodists review applications and may ask for documents; refusing is the head's
    and the deputy's, signing the order the head's."""
    assert permissions.may([Role.methodist], Action.ask_documents)
    assert not permissions.may([Role.methodist], Action.decide_applications)
    assert not permissions.may([Role.methodist], Action.sign_orders)
    assert permissions.may([Role.deputy], Action.decide_applications)
    assert permissions.may([Role.methodist], Action.publish_reports)
    assert not permissions.may([Role.admin, Role.teacher, Role.tutor], Action.publish_reports)


async def test_item_26_1_a_methodist_publishes_the_report_to_the_teachers_and_the_head(
    demo: Runtime, harness: Harness
) -> None:
    """002 item 26-1, duties 10 and 16: the methodist sends the report; the head gets the whole one, each
    teacher the one on their own courses, each in their own language."""
    methodist = await harness.seat_for(METHODIST)
    head = await harness.seat_for(HEAD)
    kim = await harness.seat_for("Сергей Викторович Ким")
    aigul = await harness.seat_for("Айгүл Сейітқызы Нұрланова")
    replies = await harness.tap(methodist, "Есептер", "Педагогтерге және басшыға жіберу")
    assert "Есеп 3 адамға жіберілді" in texts(replies)
    to_head = await harness.received(head)
    assert "Python негіздері" in texts(to_head) and "Веб-программирование" in texts(to_head)
    assert to_head[-1].files
    to_kim = texts(await harness.received(kim))
    assert "Отчёт об обучении по ДОТ" in to_kim
    assert "Веб-программирование" in to_kim and "Python негіздері" not in to_kim
    to_aigul = texts(await harness.received(aigul))
    assert "Python негіздері" in to_aigul and "Веб-программирование" not in to_aigul
    # The head reads reports but does not publish them: his screen has no such button.
    replies = await harness.tap(head, "Есептер")
    assert "Педагогтерге және басшыға жіберу" not in labels(replies[-1])
    assert "қолжетімді емес" in texts(await harness.say(head, button="srepp"))


async def test_item_26_1_the_tutor_follows_its_groups_and_answers_students(
    demo: Runtime, harness: Harness
) -> None:
    """002 item 26-1 and the tutor's help: «My groups» shows each student's missed deadlines; «Students'
    questions» lists the group's unanswered questions and the answer reaches the student."""
    async with demo.sessions() as session, session.begin():
        group = await session.scalar(select(Group).where(Group.name == "ИС-22"))
        assert group is not None
        tutor = Person(organization_id=group.organization_id, full_name="Тьютор Айжан", locale="ru")
        tutor.roles.append(PersonRole(role=Role.tutor, group_id=group.id))
        session.add(tutor)
        course = await session.scalar(select(Course).where(Course.group_id == group.id))
        assert course is not None
        session.add(
            Assignment(
                course_id=course.id,
                title="Просроченное",
                deadline=utcnow() - dt.timedelta(days=1),
                created_by_id=course.teacher_id,
            )
        )
        anna = await session.scalar(select(Person).where(Person.full_name == "Анна Сергеевна Петрова"))
        assert anna is not None
        await questions.ask(session, anna.id, course.id, "Когда консультация?")
    seat = await harness.seat_for("Тьютор Айжан")
    student = await harness.seat_for("Анна Сергеевна Петрова")
    menu = await harness.say(seat, "/menu")
    assert {"Мои группы", "Вопросы обучающихся"} <= set(labels(menu[-1]))
    replies = await harness.tap(seat, "Мои группы", "ИС-22")
    assert "Анна Сергеевна Петрова: пропущен" in texts(replies)
    replies = await harness.tap(seat, "Вопросы обучающихся", "Анна Сергеевна Петрова")
    assert "Когда консультация?" in texts(replies)
    replies = await harness.say(seat, "В четверг в 15:00")
    assert "Ответ отправлен" in texts(replies)
    assert "В четверг в 15:00" in texts(await harness.received(student))
    async with demo.sessions() as session:
        question = await session.scalar(select(Question))
        assert question is not None and question.answered_by_id == seat.person_id
    # Another group's page is not the tutor's.
    assert "не ваша группа" in texts(await harness.say(seat, button="ugrp:999"))
