"""A deadline's reminders are planned when the deadline is set, in the same transaction: an offset
due before the next planning tick is still sent (the planning tick never runs in these tests)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import time_machine
from sqlalchemy import func, select

from bot.runtime import Runtime
from bot.services.messaging import reminders
from db.models import Assignment, Reminder
from tests.harness import Harness, texts

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
KIM, ANNA = "Сергей Викторович Ким", "Анна Сергеевна Петрова"


async def test_a_changed_deadline_is_reminded_before_any_planning_tick(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher, anna = await harness.seat_for(KIM), await harness.seat_for(ANNA)
    await harness.tap(teacher, "Мои задания", "Рубежный контроль 1", "Изменить срок")
    assert "Новый срок сдачи" in texts(await harness.say(teacher, "сегодня 14:30"))
    await harness.received(anna)  # the notice of the new deadline
    async with demo.sessions() as session:
        assignment_id = await session.scalar(
            select(Assignment.id).where(Assignment.title == "Рубежный контроль 1")
        )
        planned = await session.scalar(
            select(func.count()).select_from(Reminder).where(Reminder.assignment_id == assignment_id)
        )
    assert planned  # in the teacher's transaction, not five minutes later
    # The two-hour reminder is due at 12:30, before a 5-minute planning tick would have seen it.
    with time_machine.travel(dt.datetime(2026, 11, 23, 12, 31, tzinfo=ALMATY), tick=False):
        await reminders.tick(demo.sessions)
        await harness.settle()
    got = texts(await harness.received(anna))
    assert "Рубежный контроль 1" in got and "14:30" in got


async def test_a_posted_assignment_has_its_reminders_planned_at_once(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for(KIM)
    replies = await harness.tap(teacher, "Новое задание")
    if "Название" not in texts(replies):  # more than one course: the first
        replies = await harness.tap(teacher, "ИС-22", on=replies)
    await harness.say(teacher, "Проверка напоминаний")
    replies = await harness.say(teacher, "Прочитайте главу 3")
    replies = await harness.tap(teacher, "Готово", on=replies)
    replies = await harness.say(teacher, "сегодня 15:00")
    replies = await harness.tap(
        teacher, "100", "текущий контроль успеваемости", "творческая работа", "Опубликовать", on=replies
    )
    async with demo.sessions() as session:
        planned = await session.scalar(
            select(func.count())
            .select_from(Reminder)
            .join(Assignment, Assignment.id == Reminder.assignment_id)
            .where(Assignment.title == "Проверка напоминаний")
        )
    assert planned == 10  # the two-hour reminder of each of the group's 10 students
