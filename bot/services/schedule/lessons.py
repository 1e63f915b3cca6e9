"""Lessons a teacher schedules (online with a link, or offline work) and attendance of online lessons.

Attendance: everyone is present unless the teacher marks them absent; on saving, the parents of
the absent are told at once, so the same day.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.actions import link_button
from bot.core.messages import Reply
from bot.i18n import Translator
from bot.services.coursework.deadlines import check_future
from bot.services.messaging import class_chats, notices
from bot.services.messaging.notices import group_students, to_parents
from bot.services.messaging.notify import notify
from bot.services.people.teacher_scope import NotYours, own_course
from bot.services.refs import CourseBrief
from db.base import utcnow
from db.models import Attendance, Course, Lesson, LessonMode, Person

LESSON_MINUTES = 90


@dataclass(frozen=True, slots=True)
class LessonRef:
    """A lesson as the screens show it (after a change: its new values)."""

    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    mode: LessonMode
    link: str | None
    room: str | None

    @classmethod
    def of(cls, lesson: Lesson) -> LessonRef:
        return cls(lesson.id, lesson.starts_at, lesson.ends_at, lesson.mode, lesson.link, lesson.room)


class LessonReason(enum.StrEnum):
    """Why a lesson's link or task is refused."""

    bad_link = "bad_link"
    empty_task = "empty_task"


class LessonError(ValueError):
    def __init__(self, reason: LessonReason) -> None:
        super().__init__(reason)
        self.reason = reason


def clean_link(text: str | None) -> str:
    link = (text or "").strip()
    if not link.startswith(("https://", "http://")) or " " in link or len(link) > 500:
        raise LessonError(LessonReason.bad_link)
    return link


async def schedule(
    session: AsyncSession,
    teacher_id: int,
    course_id: int,
    starts_at: dt.datetime,
    mode: LessonMode,
    *,
    link: str | None = None,
    task: str | None = None,
) -> LessonRef:
    course = await own_course(session, teacher_id, course_id)
    check_future(starts_at, utcnow())
    if mode == LessonMode.offline and not (task or "").strip():
        raise LessonError(LessonReason.empty_task)
    lesson = Lesson(
        course_id=course.id,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=LESSON_MINUTES),
        mode=mode,
        link=link if mode == LessonMode.online else None,
        topic=(task or "").strip()[:300] or None,
    )
    session.add(lesson)
    await session.flush()
    await announce(session, course, lesson, task)
    return LessonRef.of(lesson)


async def audience(session: AsyncSession, lesson_id: int) -> list[int]:
    """The students a lesson's notices go to: its one student (an individual lesson), else the group.
    Screens count from it who will really be told (reach.py)."""
    row = (
        await session.execute(
            select(Lesson.student_id, Course.group_id)
            .join(Course, Course.id == Lesson.course_id)
            .where(Lesson.id == lesson_id)
        )
    ).first()
    if row is None:
        return []
    student_id, group_id = row
    return [student_id] if student_id is not None else await group_students(session, group_id)


async def announce(session: AsyncSession, course: Course, lesson: Lesson, task: str | None = None) -> None:
    """The group's students and their parents are told of a new lesson (002 item 26-1)."""
    students = await group_students(session, course.group_id)
    starts_at, link, room, mode = lesson.starts_at, lesson.link, lesson.room, lesson.mode

    def build(t: Translator) -> Reply:
        when = t.datetime(starts_at)
        if mode == LessonMode.online:
            text = t.gettext("Online lesson: {course}, {when}.").format(course=course.discipline, when=when)
            return Reply(text, buttons=[[link_button(t.gettext("Join the lesson"), link)]] if link else [])
        if room:
            return Reply(
                t.gettext("Lesson in class: {course}, {when}, room {room}.").format(
                    course=course.discipline, when=when, room=room
                )
            )
        text = t.gettext("Offline work: {course}, {when}.").format(course=course.discipline, when=when)
        return Reply(text + "\n\n" + (task or "").strip())

    def for_parent(t: Translator, child: str) -> Reply:
        """The parent's notice names the child (the link is the student's to use)."""
        when = t.datetime(starts_at)
        if mode == LessonMode.online:
            text = t.gettext("{child}: online lesson: {course}, {when}.")
        elif room:
            text = t.gettext("{child}: lesson in class: {course}, {when}, room {room}.")
        else:
            text = t.gettext("{child}: offline work: {course}, {when}.")
        return Reply(text.format(child=child, course=course.discipline, when=when, room=room))

    await notify(session, students, build, kind="lesson", dedupe_prefix=f"lesson:{lesson.id}")
    await to_parents(session, students, "lesson", for_parent, dedupe=f"lessonp:{lesson.id}")
    if lesson.student_id is None:
        await class_chats.post(session, course.group_id, build, f"lesson:{lesson.id}")


async def recent_online(session: AsyncSession, teacher_id: int, days: int = 7) -> list[tuple[LessonRef, str]]:
    now = utcnow()
    rows = (
        await session.execute(
            select(Lesson, Course.discipline)
            .join(Course, Course.id == Lesson.course_id)
            .where(
                Course.teacher_id == teacher_id,
                Lesson.mode == LessonMode.online,
                Lesson.cancelled.is_(False),
                Lesson.student_id.is_(None),
                Lesson.starts_at <= now,
                Lesson.starts_at >= now - dt.timedelta(days=days),
            )
            .order_by(Lesson.starts_at.desc())
        )
    ).all()
    return [(LessonRef.of(lesson), name) for lesson, name in rows]


async def own_lesson(session: AsyncSession, teacher_id: int, lesson_id: int) -> tuple[LessonRef, CourseBrief]:
    """The teacher's own lesson and its course; NotYours otherwise."""
    lesson, course = await _own_lesson(session, teacher_id, lesson_id)
    return LessonRef.of(lesson), CourseBrief.of(course)


async def _own_lesson(session: AsyncSession, teacher_id: int, lesson_id: int) -> tuple[Lesson, Course]:
    lesson = await session.get(Lesson, lesson_id)
    if lesson is None:
        raise NotYours
    return lesson, await own_course(session, teacher_id, lesson.course_id)


async def roll(session: AsyncSession, teacher_id: int, lesson_id: int) -> list[tuple[int, str, bool]]:
    """(student id, name, present) for the lesson's group; present unless marked absent."""
    lesson, course = await _own_lesson(session, teacher_id, lesson_id)
    ids = await group_students(session, course.group_id)
    names = dict(
        (await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(ids)))).tuples().all()
    )
    marks = dict(
        (
            await session.execute(
                select(Attendance.student_id, Attendance.present).where(Attendance.lesson_id == lesson.id)
            )
        )
        .tuples()
        .all()
    )
    return sorted(((i, names.get(i, ""), marks.get(i, True)) for i in ids), key=lambda r: r[1])


async def toggle(session: AsyncSession, teacher_id: int, lesson_id: int, student_id: int) -> None:
    lesson, course = await _own_lesson(session, teacher_id, lesson_id)
    if student_id not in await group_students(session, course.group_id):
        raise NotYours
    mark = await session.scalar(
        select(Attendance).where(Attendance.lesson_id == lesson.id, Attendance.student_id == student_id)
    )
    if mark is None:
        session.add(
            Attendance(lesson_id=lesson.id, student_id=student_id, present=False, marked_by_id=teacher_id)
        )
    else:
        mark.present = not mark.present
        mark.marked_by_id = teacher_id
    await session.flush()


async def save(session: AsyncSession, teacher_id: int, lesson_id: int) -> list[str]:
    """Records everyone (present by default) and tells the parents of the absent; returns the absent."""
    lesson, course = await _own_lesson(session, teacher_id, lesson_id)
    absent = []
    for student_id, name, present in await roll(session, teacher_id, lesson_id):
        mark = await session.scalar(
            select(Attendance).where(Attendance.lesson_id == lesson.id, Attendance.student_id == student_id)
        )
        if mark is None:
            session.add(
                Attendance(lesson_id=lesson.id, student_id=student_id, present=True, marked_by_id=teacher_id)
            )
        if not present:
            absent.append((student_id, name))
    await session.flush()

    def build(t: Translator, child: str) -> Reply:
        return Reply(
            t.gettext("{child} was absent from the online lesson «{course}» on {when}.").format(
                child=child, course=course.discipline, when=t.datetime(lesson.starts_at)
            )
        )

    def for_student(t: Translator) -> Reply:
        return Reply(
            t.gettext(
                "You were marked absent from the online lesson «{course}» on {when}. If this is a mistake, "
                "tell your teacher."
            ).format(course=course.discipline, when=t.datetime(lesson.starts_at))
        )

    # The student hears it first-hand, not only through their parents.
    await notify(
        session, [s for s, _ in absent], for_student, kind="absent", dedupe_prefix=f"absent:{lesson.id}"
    )
    # Parents who switched absences off are not told (notices.to_parents checks it).
    await notices.to_parents(
        session, [s for s, _ in absent], notices.PARENT_ABSENCE, build, f"absent:{lesson.id}"
    )
    return [name for _, name in absent]
