"""Posting an assignment: the rules a draft must pass, publishing, a new deadline, closing."""

from __future__ import annotations

import datetime as dt
import enum
import math
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.coursework.deadlines import check_future
from bot.services.messaging import notices, reminders
from bot.services.people.teacher_scope import own_assignment, own_course
from db.base import utcnow
from db.models import (
    Assignment,
    AssignmentFile,
    AssignmentKind,
    AssignmentStatus,
    ControlType,
    Course,
    Extension,
)

MAX_TITLE = 300
MAX_SCORE = 1000


class DraftReason(enum.StrEnum):
    """Why an assignment's draft or edit is refused."""

    empty_title = "empty_title"
    long_title = "long_title"
    score_not_number = "score_not_number"
    score_range = "score_range"
    closed = "closed"


class DraftError(ValueError):
    def __init__(self, reason: DraftReason) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class AssignmentLine:
    """An assignment as a list shows it."""

    id: int
    course_id: int
    title: str
    deadline: dt.datetime

    @classmethod
    def of(cls, assignment: Assignment) -> AssignmentLine:
        return cls(assignment.id, assignment.course_id, assignment.title, assignment.deadline)


@dataclass
class Draft:
    course_id: int
    title: str
    deadline: dt.datetime
    text: str = ""
    files: list[int] = field(default_factory=list)  # FileName ids
    max_score: int = 100
    control_type: ControlType = ControlType.current
    kind: AssignmentKind = AssignmentKind.written
    test_id: int | None = None
    accepts_late: bool = True  # after the deadline: accepted and marked late, or refused


def clean_title(text: str | None) -> str:
    title = " ".join((text or "").split())
    if not title:
        raise DraftError(DraftReason.empty_title)
    if len(title) > MAX_TITLE:
        raise DraftError(DraftReason.long_title)
    return title


def parse_score(text: str | None) -> int:
    raw = (text or "").strip().replace(",", ".")
    try:
        value = float(raw)
    except ValueError as exc:
        raise DraftError(DraftReason.score_not_number) from exc
    if not math.isfinite(value):  # "nan", "inf": float() takes them, int() does not
        raise DraftError(DraftReason.score_not_number)
    if value != int(value) or not 1 <= value <= MAX_SCORE:
        raise DraftError(DraftReason.score_range)
    return int(value)


async def publish(session: AsyncSession, teacher_id: int, draft: Draft) -> AssignmentLine:
    """Checks the draft again (time has passed since the teacher typed it), saves it and tells the group."""
    await own_course(session, teacher_id, draft.course_id)
    now = utcnow()
    check_future(draft.deadline, now)
    assignment = Assignment(
        course_id=draft.course_id,
        created_by_id=teacher_id,
        title=clean_title(draft.title),
        text=draft.text.strip(),
        deadline=draft.deadline,
        max_score=draft.max_score,
        control_type=draft.control_type,
        kind=draft.kind,
        status=AssignmentStatus.published,
        published_at=now,
        test_id=draft.test_id,
        accepts_late=draft.accepts_late,
    )
    assignment.files = [AssignmentFile(file_name_id=f) for f in draft.files]
    session.add(assignment)
    await session.flush()
    await reminders.plan_assignment(session, assignment.id, now)
    if draft.test_id is None:  # a test's notice carries its own "start" button (quizzes.publish_test)
        await notices.assignment_published(session, assignment.id)
    return AssignmentLine.of(assignment)


async def change_deadline(
    session: AsyncSession, teacher_id: int, assignment_id: int, deadline: dt.datetime
) -> AssignmentLine:
    assignment = await own_assignment(session, teacher_id, assignment_id)
    if assignment.status == AssignmentStatus.closed:
        raise DraftError(DraftReason.closed)
    check_future(deadline, utcnow())
    old = assignment.deadline
    assignment.deadline = deadline
    # An extension is a later deadline for one student: one the new deadline reaches means nothing
    # any more, and would otherwise leave that student with less time than the group.
    await session.execute(
        delete(Extension).where(Extension.assignment_id == assignment.id, Extension.deadline <= deadline)
    )
    await session.flush()
    await reminders.plan_assignment(session, assignment.id)
    await notices.deadline_changed(session, assignment.id, old)
    return AssignmentLine.of(assignment)


async def close(session: AsyncSession, teacher_id: int, assignment_id: int) -> AssignmentLine:
    assignment = await own_assignment(session, teacher_id, assignment_id)
    assignment.status = AssignmentStatus.closed
    assignment.closed_at = utcnow()
    await session.flush()
    return AssignmentLine.of(assignment)


OPEN_SHOWN = 20


async def open_assignments(
    session: AsyncSession, teacher_id: int, now: dt.datetime | None = None
) -> tuple[list[AssignmentLine], int]:
    """The teacher's open assignments to show (the coming deadlines, nearest first, then the ones
    past their deadline, latest first) and how many there are in all."""
    now = now or utcnow()
    rows = (
        await session.scalars(
            select(Assignment)
            .join(Course, Course.id == Assignment.course_id)
            .where(Course.teacher_id == teacher_id, Assignment.status == AssignmentStatus.published)
        )
    ).all()
    coming = sorted((a for a in rows if a.deadline >= now), key=lambda a: a.deadline)
    past = sorted((a for a in rows if a.deadline < now), key=lambda a: a.deadline, reverse=True)
    return [AssignmentLine.of(a) for a in (coming + past)[:OPEN_SHOWN]], len(rows)
