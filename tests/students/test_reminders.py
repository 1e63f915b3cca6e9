"""Deadline and lesson reminders: planned as rows, moved into the outbox by the tick, with the clock moved."""

from __future__ import annotations

import asyncio
import datetime as dt
import zoneinfo

import time_machine
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from bot.services.messaging import reminders
from db.base import utcnow
from db.models import (
    Assignment,
    AssignmentStatus,
    Course,
    Group,
    Lesson,
    LessonMode,
    NotificationPreference,
    OutboxMessage,
    OutboxPayload,
    Person,
    Reminder,
    ReminderStatus,
)
from tests.harness import Harness, Seat, labels, texts

ZONE = zoneinfo.ZoneInfo("Asia/Almaty")
RU_STUDENT = "Анна Сергеевна Петрова"
KK_IN_RU_GROUP = "Алина Руслановна Ахметова"  # a Kazakh-speaking student of ИС-22


def local(days: int, hour: int, minute: int = 0) -> dt.datetime:
    day = dt.datetime.now(ZONE).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), ZONE).astimezone(dt.UTC)


async def group_course(session: AsyncSession, group: str = "ИС-22") -> Course:
    course = await session.scalar(
        select(Course).join(Group, Group.id == Course.group_id).where(Group.name == group)
    )
    assert course is not None
    return course


async def new_assignment(runtime: Runtime, title: str, deadline: dt.datetime, group: str = "ИС-22") -> int:
    async with runtime.sessions() as session, session.begin():
        course = await group_course(session, group)
        a = Assignment(
            course_id=course.id,
            title=title,
            text="",
            deadline=deadline,
            max_score=100,
            status=AssignmentStatus.published,
            published_at=utcnow(),
        )
        session.add(a)
        await session.flush()
        return a.id


async def plan(runtime: Runtime) -> int:
    async with runtime.sessions() as session, session.begin():
        return await reminders.plan(session)


async def tick_at(runtime: Runtime, harness: Harness, moment: dt.datetime) -> reminders.TickResult:
    with time_machine.travel(moment, tick=False):
        result = await reminders.tick(runtime.sessions)
        await harness.settle()
    return result


async def reminder_texts(harness: Harness, seat: Seat) -> list[str]:
    return [r.text for r in await harness.received(seat)]


async def test_reminders_fire_at_72_24_and_2_hours_once_each(demo: Runtime, harness: Harness) -> None:
    deadline = local(10, 15)
    await new_assignment(demo, "Курсовой проект", deadline)
    ru, kk = await harness.seat_for(RU_STUDENT), await harness.seat_for(KK_IN_RU_GROUP)
    assert await plan(demo) >= 30  # 10 students x 3 offsets
    assert await plan(demo) == 0  # planning again adds nothing

    for offset in (dt.timedelta(hours=72), dt.timedelta(hours=24), dt.timedelta(hours=2)):
        await tick_at(demo, harness, deadline - offset - dt.timedelta(minutes=1))
        assert await reminder_texts(harness, ru) == []  # a minute early: nothing
        await tick_at(demo, harness, deadline - offset + dt.timedelta(minutes=1))
        got = await reminder_texts(harness, ru)
        assert len(got) == 1 and "Напоминание: срок сдачи «Курсовой проект»" in got[0]
        assert "Вы ещё не сдали эту работу" in got[0]
    assert "осталось 2 часа" in got[0]
    kk_got = await reminder_texts(harness, kk)
    assert len(kk_got) == 3 and "Еске салу: «Курсовой проект»" in kk_got[-1]
    # Ticking again sends nothing more.
    await tick_at(demo, harness, deadline - dt.timedelta(minutes=30))
    assert await reminder_texts(harness, ru) == []


async def test_no_reminder_after_the_work_is_handed_in(demo: Runtime, harness: Harness) -> None:
    deadline = local(10, 15)
    await new_assignment(demo, "Лабораторная 7", deadline)
    ru, other = await harness.seat_for(RU_STUDENT), await harness.seat_for("Дмитрий Олегович Ли")
    await plan(demo)
    # She hands in after the reminders were planned: checked again at sending.
    await harness.tap(ru, "Задания", "Лабораторная 7", "Сдать работу")
    draft = await harness.say(ru, "готово")
    assert "Квитанция" in texts(await harness.press(ru, draft[-1], "Подтвердить и сдать"))
    await tick_at(demo, harness, deadline - dt.timedelta(hours=24) + dt.timedelta(minutes=1))
    assert await reminder_texts(harness, ru) == []
    assert len(await reminder_texts(harness, other)) == 1
    async with demo.sessions() as session:
        person_id = await session.scalar(select(Person.id).where(Person.full_name == RU_STUDENT))
        statuses = set(
            (await session.scalars(select(Reminder.status).where(Reminder.person_id == person_id))).all()
        )
    assert ReminderStatus.queued not in statuses


async def test_quiet_hours_delay_unless_the_deadline_would_pass(demo: Runtime, harness: Harness) -> None:
    ru = await harness.seat_for(RU_STUDENT)
    morning = local(10, 9, 30)  # the 2 h reminder falls at 07:30, in the quiet hours
    await new_assignment(demo, "Эссе", morning)
    early = local(11, 7, 0)  # the 2 h reminder at 05:00; waiting for 08:00 would miss the deadline
    await new_assignment(demo, "Тест по HTML", early)
    async with demo.sessions() as session, session.begin():
        await session.execute(
            NotificationPreference.__table__.insert().values(
                person_id=select(Person.id).where(Person.full_name == RU_STUDENT).scalar_subquery(),
                kind="unused",
                enabled=False,
            )
        )
    await plan(demo)
    result = await tick_at(demo, harness, local(10, 7, 31))
    assert result.held >= 1
    assert not any("Эссе" in t for t in await reminder_texts(harness, ru))
    await tick_at(demo, harness, local(10, 8, 1))
    got = await reminder_texts(harness, ru)
    assert len(got) == 1 and "Эссе" in got[0]
    await tick_at(demo, harness, local(11, 5, 1))
    got = await reminder_texts(harness, ru)
    assert len(got) == 1 and "Тест по HTML" in got[0]


async def test_reminders_due_together_merge_and_a_switched_off_student_gets_none(
    demo: Runtime, harness: Harness
) -> None:
    deadline = local(10, 15)
    await new_assignment(demo, "Отчёт А", deadline)
    await new_assignment(demo, "Отчёт Б", deadline)
    ru, off = await harness.seat_for(RU_STUDENT), await harness.seat_for("Дмитрий Олегович Ли")
    switched = await harness.tap(off, "Настройки уведомлений")
    assert "🔔 Напоминания о сроках сдачи" in labels(switched[-1])
    await harness.press(off, switched[-1], "Напоминания о сроках сдачи")
    await plan(demo)
    await tick_at(demo, harness, deadline - dt.timedelta(hours=24) + dt.timedelta(minutes=1))
    got = await harness.received(ru)
    assert len(got) == 1 and "Отчёт А" in got[0].text and "Отчёт Б" in got[0].text
    assert [b.payload.split(":")[0] for row in got[0].buttons for b in row] == ["sub", "sub"]
    assert await reminder_texts(harness, off) == []


async def test_after_downtime_sent_once_even_with_a_restart_and_two_instances(
    demo: Runtime, harness: Harness, database_url: str, tmp_path, db_kind: str
) -> None:
    from tests.harness import make_runtime, settings_for

    deadline = local(10, 15)
    await new_assignment(demo, "Проект", deadline)
    ru = await harness.seat_for(RU_STUDENT)
    await plan(demo)
    # Down from before the 72 h reminder until after the 24 h one: both due now, the deadline not passed.
    later = deadline - dt.timedelta(hours=20)
    second = make_runtime(settings_for(database_url, tmp_path))
    try:
        with time_machine.travel(later, tick=False):
            results = await asyncio.gather(
                reminders.tick(demo.sessions), reminders.tick(second.sessions), return_exceptions=True
            )
            ok = [r for r in results if isinstance(r, reminders.TickResult)]
            assert ok, results
            if db_kind == "postgresql":
                assert len(ok) == 2  # the second waits for the first's lock, then finds nothing due
            await reminders.tick(second.sessions)  # and once more after the "restart"
            await harness.settle()
    finally:
        await second.engine.dispose()
    got = await reminder_texts(harness, ru)
    assert len(got) == 1 and "Проект" in got[0]
    async with demo.sessions() as session:
        person_id = await session.scalar(select(Person.id).where(Person.full_name == RU_STUDENT))
        rows = await session.scalar(
            select(func.count()).where(OutboxMessage.person_id == person_id, OutboxMessage.kind == "reminder")
        )
    assert rows == 1


async def test_lesson_reminder_carries_the_link(demo: Runtime, harness: Harness) -> None:
    ru = await harness.seat_for(RU_STUDENT)
    starts = local(3, 10)
    async with demo.sessions() as session, session.begin():
        course = await group_course(session)
        session.add(
            Lesson(
                course_id=course.id,
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=90),
                mode=LessonMode.online,
                link="https://meet.jit.si/ustaz-extra",
                topic="REST API",
            )
        )
    await plan(demo)
    await tick_at(demo, harness, starts - dt.timedelta(minutes=29))
    got = await harness.received(ru)
    lesson = [r for r in got if "https://meet.jit.si/ustaz-extra" in r.text]
    assert len(lesson) == 1 and "Онлайн-занятие Веб-программирование" in lesson[0].text
    assert "(осталось 29 минут)" in lesson[0].text  # nominative after «осталось», as the plural forms are
    assert any(b.url == "https://meet.jit.si/ustaz-extra" for row in lesson[0].buttons for b in row)


async def test_a_big_wave_starts_early_enough_for_the_channel_rate(demo: Runtime, harness: Harness) -> None:
    from bot.services.messaging.reminders import ReminderSettings

    deadline = local(10, 15)
    a_id = await new_assignment(demo, "Волна", deadline)
    async with demo.sessions() as session, session.begin():
        from db.models import Organization

        org = await session.scalar(select(Organization))
        assert org is not None
        # 10 students at 0.1 a second: a minute is 6 messages, the wave needs 100 s before its moment.
        org.settings = {"reminders": {"deadline_minutes": [120], "rate_per_second": 0.1}}
    assert ReminderSettings.of({"reminders": {"rate_per_second": 0.1}}).rate_per_second == 0.1
    await plan(demo)
    async with demo.sessions() as session:
        due = sorted(
            (await session.scalars(select(Reminder.due_at).where(Reminder.assignment_id == a_id))).all()
        )
    assert due[-1] == deadline - dt.timedelta(hours=2)
    assert due[0] == deadline - dt.timedelta(hours=2, seconds=90)  # (10 - 1) / 0.1 seconds earlier


async def test_the_scheduler_runs_the_ticks(demo: Runtime) -> None:
    from bot.scheduler import make_scheduler

    jobs = {job.id for job in make_scheduler(demo).get_jobs()}
    assert {"reminders", "reminders-plan", "parents-missed", "parents-digest"} <= jobs


async def test_a_whatsapp_student_s_reminder_carries_template_variables(
    demo: Runtime, harness: Harness
) -> None:
    """Someone silent on WhatsApp for 24 hours gets the approved "reminder" template with these variables."""
    from db.models import Channel, MessengerAccount

    deadline = local(10, 15)
    await new_assignment(demo, "Реферат", deadline)
    async with demo.sessions() as session, session.begin():
        wa_id, other_id = (
            await session.scalars(
                select(Person.id)
                .where(Person.full_name.in_([RU_STUDENT, "Дмитрий Олегович Ли"]))
                .order_by(Person.full_name.desc())
            )
        ).all()
        session.add(MessengerAccount(channel=Channel.whatsapp, external_id="+77010000099", person_id=wa_id))
    await plan(demo)
    with time_machine.travel(deadline - dt.timedelta(hours=24) + dt.timedelta(minutes=1), tick=False):
        result = await reminders.tick(demo.sessions)
    assert result.messages >= 2
    async with demo.sessions() as session:
        rows = {
            m.person_id: m
            for m in (
                await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))
            ).all()
        }
        # Each row points at its message, stored once for everyone who gets the same one.
        assert rows[wa_id].payload is None and rows[wa_id].payload_id is not None
        shared = await session.get(OutboxPayload, rows[wa_id].payload_id)
        assert shared is not None
    vars_ = shared.template_vars
    assert vars_ is not None and vars_["template"] == "reminder"
    assert "«Реферат»" in vars_["1"] and "Веб-программирование" in vars_["1"]
    assert vars_["2"] and vars_["2"] in shared.payload["text"]  # the deadline as the message shows it
    # The compact payload still reads back as the whole reply.
    from bot.core.messages import Reply

    reply = Reply.from_json(shared.payload)
    assert "Реферат" in reply.text and reply.buttons[0][0].payload.startswith("sub:")
    # The sender hands the WhatsApp student's row the template and its variables.
    from bot.queues.outbox import Delivery, Sent

    sent: list[Delivery] = []

    class WhatsApp:
        channel = Channel.whatsapp

        async def deliver(self, delivery: Delivery) -> Sent:
            sent.append(delivery)
            return Sent()

    demo.channel_senders[Channel.whatsapp] = WhatsApp()
    with time_machine.travel(deadline - dt.timedelta(hours=24) + dt.timedelta(minutes=2), tick=False):
        await harness.settle()
    [got] = [d for d in sent if d.person_id == wa_id]
    assert got.template_vars == vars_ and got.reply.text == reply.text


async def test_reminders_of_a_deleted_student_assignment_or_lesson_are_skipped_then_cleaned(
    demo: Runtime, harness: Harness
) -> None:
    """Reminder has no foreign keys: the re-check at sending skips orphans, the plan tick deletes them."""
    from sqlalchemy import delete

    from db.models import PersonRole, Role

    deadline = local(10, 15)
    gone_id = await new_assignment(demo, "Удалённое задание", deadline)
    kept_id = await new_assignment(demo, "Оставленное задание", deadline + dt.timedelta(hours=1))
    ru = await harness.seat_for(RU_STUDENT)
    starts = local(3, 10)
    async with demo.sessions() as session, session.begin():
        course = await group_course(session)
        leaver = Person(organization_id=course.organization_id, full_name="Ушедший Студент")
        leaver.roles.append(PersonRole(role=Role.student, group_id=course.group_id))
        lesson = Lesson(
            course_id=course.id,
            starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=90),
            mode=LessonMode.online,
            link="https://meet.jit.si/ustaz-gone",
        )
        session.add_all([leaver, lesson])
    await plan(demo)
    async with demo.sessions() as session, session.begin():
        assert await session.scalar(select(func.count()).where(Reminder.person_id == leaver.id)) > 0
        await session.execute(delete(Assignment).where(Assignment.id == gone_id))
        await session.execute(delete(Lesson).where(Lesson.id == lesson.id))
        await session.execute(delete(Person).where(Person.id == leaver.id))

    await tick_at(demo, harness, starts - dt.timedelta(minutes=29))
    assert not [r for r in await harness.received(ru) if "ustaz-gone" in r.text]
    result = await tick_at(demo, harness, deadline - dt.timedelta(hours=2) + dt.timedelta(minutes=1))
    got = await reminder_texts(harness, ru)
    assert any("Оставленное задание" in t for t in got) and not any("Удалённое задание" in t for t in got)
    assert result.skipped > 0
    async with demo.sessions() as session:
        queued_orphans = await session.scalar(
            select(func.count()).where(
                Reminder.status == ReminderStatus.queued,
                (Reminder.person_id == leaver.id) | (Reminder.assignment_id == gone_id),
            )
        )
        to_leaver = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.person_id == leaver.id)
        )
    assert queued_orphans == 0 and to_leaver == 0

    await reminders.plan_tick(demo)
    async with demo.sessions() as session:
        orphans = await session.scalar(
            select(func.count()).where(
                (Reminder.person_id == leaver.id)
                | (Reminder.assignment_id == gone_id)
                | (Reminder.lesson_id == lesson.id)
            )
        )
        kept = await session.scalar(select(func.count()).where(Reminder.assignment_id == kept_id))
    assert orphans == 0 and kept and kept > 0


async def test_a_queued_reminder_of_a_person_deleted_before_sending_goes_nowhere(
    demo: Runtime, harness: Harness
) -> None:
    """The outbox has no foreign key to the person (a wave writes a million rows): a row whose person
    was deleted by hand after queuing finds no account, is recorded unreachable and sends nothing."""
    from sqlalchemy import delete

    from db.models import OutboxStatus, PersonRole, Role

    deadline = local(10, 15)
    await new_assignment(demo, "Последнее задание", deadline)
    async with demo.sessions() as session, session.begin():
        course = await group_course(session)
        leaver = Person(organization_id=course.organization_id, full_name="Ушедшая Студентка")
        leaver.roles.append(PersonRole(role=Role.student, group_id=course.group_id))
        session.add(leaver)
        await session.flush()
    seat = await harness.seat(leaver.id)
    await plan(demo)
    moment = deadline - dt.timedelta(hours=2) + dt.timedelta(minutes=1)
    with time_machine.travel(moment, tick=False):
        assert (await reminders.tick(demo.sessions)).messages > 0  # queued, not delivered yet
    async with demo.sessions() as session, session.begin():
        row_id = await session.scalar(select(OutboxMessage.id).where(OutboxMessage.person_id == leaver.id))
        assert row_id is not None
        await session.execute(delete(Person).where(Person.id == leaver.id))

    with time_machine.travel(moment, tick=False):
        await harness.settle()
    assert await harness.received(seat) == []
    async with demo.sessions() as session:
        row = await session.get(OutboxMessage, row_id)
    assert row is not None and row.status == OutboxStatus.unreachable


async def test_a_test_is_reminded_as_a_test_and_not_once_it_is_taken(demo: Runtime, harness: Harness) -> None:
    from db.models import QuizTest
    from db.models import TestAttempt as Attempt  # not a test class

    deadline = local(10, 15)
    a_id = await new_assignment(demo, "Тест по HTML", deadline)
    ru = await harness.seat_for(RU_STUDENT)
    other = await harness.seat_for("Дмитрий Олегович Ли")
    async with demo.sessions() as session, session.begin():
        course = await group_course(session)
        test = QuizTest(course_id=course.id, title="Тест по HTML")
        session.add(test)
        await session.flush()
        assignment = await session.get(Assignment, a_id)
        assert assignment is not None
        assignment.test_id = test.id
        anna = await session.scalar(select(Person.id).where(Person.full_name == RU_STUDENT))
        session.add(Attempt(test_id=test.id, student_id=anna, started_at=utcnow(), finished_at=utcnow()))
    await plan(demo)
    await tick_at(demo, harness, deadline - dt.timedelta(hours=2) + dt.timedelta(minutes=1))
    assert await reminder_texts(harness, ru) == []  # she has taken it: nothing to remind of
    got = await harness.received(other)
    assert "Напоминание: тест «Тест по HTML»" in texts(got) and "Вы его ещё не прошли" in texts(got)
    assert labels(got[-1]) == ["Пройти тест"]  # not «Сдать работу»
