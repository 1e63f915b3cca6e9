"""The student's side of assignments: what is open, by deadline, and where each one stands."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.people import student_scope
from db.models import (
    Assignment,
    AssignmentStatus,
    Course,
    Extension,
    Grade,
    Submission,
    SubmissionStatus,
)

# Graded work older than this leaves the list of open assignments (it stays under grades).
KEEP_GRADED = dt.timedelta(days=14)


class State(enum.StrEnum):
    open = "open"  # nothing handed in, deadline ahead
    overdue = "overdue"  # nothing handed in, deadline passed
    submitted = "submitted"
    late = "late"  # handed in after the deadline
    returned = "returned"  # sent back for revision
    graded = "graded"


@dataclass(frozen=True, slots=True)
class AssignmentView:
    id: int
    title: str
    text: str
    discipline: str
    course_id: int
    deadline: dt.datetime  # the student's own, if they have an extension
    max_score: int
    closed: bool
    state: State
    receipt: str | None
    submitted_at: dt.datetime | None
    score: Decimal | None
    comment: str | None
    graded_at: dt.datetime | None = None  # when the released grade was given (the weekly digest)


def state_of(
    submission: Submission | None, grade: Grade | None, deadline: dt.datetime, now: dt.datetime
) -> State:
    if grade is not None and grade.released:
        return State.graded
    if submission is None or submission.status == SubmissionStatus.draft:
        return State.overdue if now > deadline else State.open
    if submission.status == SubmissionStatus.returned:
        return State.returned
    return State.late if submission.late else State.submitted


async def views(
    session: AsyncSession,
    student_id: int,
    now: dt.datetime,
    assignment_ids: list[int] | None = None,
    course_id: int | None = None,
) -> list[AssignmentView]:
    """The student's published (and closed) assignments with their state, by deadline."""
    groups = await student_scope.group_ids(session, student_id)
    if not groups:
        return []
    query = (
        select(Assignment, Course.discipline, Extension.deadline, Submission, Grade)
        .join(Course, Course.id == Assignment.course_id)
        .outerjoin(
            Extension, (Extension.assignment_id == Assignment.id) & (Extension.student_id == student_id)
        )
        .outerjoin(
            Submission,
            (Submission.assignment_id == Assignment.id) & (Submission.student_id == student_id),
        )
        .outerjoin(Grade, (Grade.assignment_id == Assignment.id) & (Grade.student_id == student_id))
        .where(
            Course.group_id.in_(groups),
            Assignment.status.in_([AssignmentStatus.published, AssignmentStatus.closed]),
        )
    )
    if assignment_ids is not None:
        query = query.where(Assignment.id.in_(assignment_ids))
    if course_id is not None:
        query = query.where(Assignment.course_id == course_id)
    out = []
    for a, discipline, own_deadline, sub, grade in (await session.execute(query)).all():
        deadline = own_deadline or a.deadline
        released = grade is not None and grade.released
        out.append(
            AssignmentView(
                id=a.id,
                title=a.title,
                text=a.text,
                discipline=discipline,
                course_id=a.course_id,
                deadline=deadline,
                max_score=a.max_score,
                closed=a.status == AssignmentStatus.closed,
                state=state_of(sub, grade, deadline, now),
                receipt=sub.number if sub is not None and sub.status != SubmissionStatus.draft else None,
                submitted_at=sub.submitted_at if sub is not None else None,
                score=grade.score if released else None,
                comment=grade.comment if released else None,
                graded_at=grade.graded_at if released else None,
            )
        )
    out.sort(key=lambda v: (v.deadline, v.id))
    return out


async def view(
    session: AsyncSession, student_id: int, assignment_id: int, now: dt.datetime
) -> AssignmentView | None:
    found = await views(session, student_id, now, assignment_ids=[assignment_id])
    return found[0] if found else None


async def open_list(session: AsyncSession, student_id: int, now: dt.datetime) -> list[AssignmentView]:
    """What a student should look at: everything not graded, and graded work of the last two weeks."""
    return [
        v
        for v in await views(session, student_id, now)
        if v.state != State.graded or v.deadline > now - KEEP_GRADED
    ]
