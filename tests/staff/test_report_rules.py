"""The head's report counts fairly (issue 15, «Reports»): a deadline that passed before a student joined
is not theirs to miss; a course with nothing due is not «100 % on time»; the weekly summary covers the
week only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.i18n import Translator
from bot.runtime import Runtime
from bot.services.admin import reports
from db.base import utcnow
from db.models import Assignment, Attendance, Course, Group, Lesson, Organization, Person, PersonRole, Role
from tests.harness import Harness


async def _org(demo: Runtime) -> int:
    async with demo.sessions() as session:
        org_id = await session.scalar(select(Organization.id))
    assert org_id is not None
    return org_id


async def test_a_student_who_joined_after_the_deadline_is_not_blamed(demo: Runtime) -> None:
    org_id = await _org(demo)
    async with demo.sessions() as session:
        before = await reports.build(session, org_id)
    async with demo.sessions() as session, session.begin():
        group = await session.scalar(select(Group).where(Group.name == "ПО-21"))
        assert group is not None
        newcomer = Person(organization_id=org_id, full_name="Жаңа Келген Оқушы", locale="kk")
        newcomer.roles.append(PersonRole(role=Role.student, group_id=group.id))  # joins now
        session.add(newcomer)
    async with demo.sessions() as session:
        after = await reports.build(session, org_id)
    assert not any(m[0] == "Жаңа Келген Оқушы" for m in after.missed)
    assert [(c.expected, c.rate) for c in after.courses] == [(c.expected, c.rate) for c in before.courses]


async def test_a_course_with_nothing_due_is_not_100_percent_on_time(demo: Runtime) -> None:
    org_id = await _org(demo)
    async with demo.sessions() as session:
        report = await reports.build(session, org_id, since=utcnow())
    assert report.courses and all(c.assignments == 0 and c.rate is None for c in report.courses)
    text = reports.as_text(Translator("kk"), report)
    assert "100%" not in text and "мерзімі өткен тапсырма әлі жоқ" in text
    assert "заданий с истёкшим сроком пока нет" in reports.as_text(Translator("ru"), report)


async def test_the_weekly_summary_covers_the_week_only(demo: Runtime) -> None:
    org_id = await _org(demo)
    async with demo.sessions() as session, session.begin():
        course = await session.scalar(select(Course).where(Course.discipline == "Python негіздері"))
        assert course is not None
        session.add(
            Assignment(course_id=course.id, title="Ескі тапсырма", deadline=utcnow() - dt.timedelta(days=10))
        )
    async with demo.sessions() as session:
        full = await reports.build(session, org_id)
        week = await reports.build(session, org_id, since=utcnow() - dt.timedelta(days=7))
    assert any(m[3] == "Ескі тапсырма" for m in full.missed)
    assert not any(m[3] == "Ескі тапсырма" for m in week.missed)
    assert sum(c.assignments for c in week.courses) < sum(c.assignments for c in full.courses)
    assert "Кезең: " in reports.as_text(Translator("kk"), week, title=reports.WEEKLY_TITLE)


async def test_the_heads_report_has_charts_in_the_chat_and_the_xlsx_with_a_risk_list(
    demo: Runtime, harness: Harness
) -> None:
    """Issue 15 (002 item 26-1, duty 16): the head looks rather than reads: the on-time rate over the
    weeks, the grades, the absences and the students at risk (missed work with absences or FX) come as
    images in the chat and as a sheet of images in the XLSX; the risk list is in the text and a sheet."""
    import io

    from openpyxl import load_workbook
    from PIL import Image

    from tests.harness import texts
    from tests.staff.helpers import files_of

    org_id = await _org(demo)
    async with demo.sessions() as session:
        report = await reports.build(session, org_id)
    student, group, discipline, _title = report.missed[0]
    async with demo.sessions() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.full_name == student))
        course = await session.scalar(select(Course).where(Course.discipline == discipline))
        assert person is not None and course is not None
        lesson = Lesson(
            course_id=course.id,
            starts_at=utcnow() - dt.timedelta(days=2),
            ends_at=utcnow() - dt.timedelta(days=2) + dt.timedelta(minutes=90),
        )
        session.add(lesson)
        await session.flush()
        session.add(Attendance(lesson_id=lesson.id, student_id=person.id, present=False))
    head = await harness.seat_for("Ерлан Маратұлы Жұмабаев")
    replies = await harness.tap(head, "Есептер")
    text = texts(replies)
    assert (
        "Тәуекел тобында" in text and f"{student} ({group}): тапсырылмаған" in text and "босатқан 1" in text
    )
    files = await files_of(demo, replies)
    pngs = [data for name, data in files if name.endswith(".png")]
    assert len(pngs) == 4
    assert all(Image.open(io.BytesIO(p)).size[0] >= 600 for p in pngs)
    (book_data,) = [data for name, data in files if name.endswith(".xlsx")]
    book = load_workbook(io.BytesIO(book_data))
    assert len(book["Диаграммалар"]._images) == 4
    (sheet,) = [n for n in book.sheetnames if n.startswith("Тәуекел тобындағы")]
    risk = [[c.value for c in row] for row in book[sheet].iter_rows()]
    assert risk[0][:3] == ["Білім алушы", "Топ", "Тапсырылмаған жұмыстар"]
    assert any(r[:2] == [student, group] and r[3] == 1 for r in risk[1:])
