"""Admission to attestation (Order 169 item 29): one rule, used everywhere «admitted» is said.

A student is admitted to a discipline's intermediate or final attestation once every control
measure of the discipline is handed in: each published current and boundary assignment has a
submission handed in, a grade, or (a test) a finished attempt, which leaves a grade. The
organization may add a rating threshold on top (`grading.admission_threshold`, percent; default
none). The test gate, the written attestation, the gradebook's «admitted» column, its exports
and the reports all ask `decide` (through `check` or `missing_by_student`).

The admission rating (рейтинг допуска) lives here too, since the threshold needs it: the mean of
the boundary controls once they count (graded, or due: a miss is 0), otherwise the current
rating over all graded work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.coursework import grading_scale as scale
from db.base import utcnow
from db.models import (
    Assignment,
    AssignmentStatus,
    ControlType,
    Course,
    Grade,
    Organization,
    Submission,
    SubmissionStatus,
)

MEASURES = (ControlType.current, ControlType.boundary)
ATTESTATION = (ControlType.intermediate, ControlType.final)


@dataclass(frozen=True, slots=True)
class Column:
    assignment_id: int
    title: str
    control_type: ControlType
    max_score: int
    due: bool = True  # its deadline has passed: work not graded by now counts as 0
    deadline: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Admission:
    admitted: bool
    missing: list[str]  # the control measures still to hand in, by deadline
    rating: Decimal | None
    threshold: Decimal | None  # the organization's, or None


def decide(missing: Iterable[str], rating: Decimal | None, settings: scale.GradingSettings) -> bool:
    """The rule: every control measure handed in, and the organization's threshold if it set one."""
    if any(True for _ in missing):
        return False
    if settings.admission_threshold is None:
        return True
    return rating is not None and rating >= settings.admission_threshold


def rating(scores: Mapping[int, Decimal], columns: Iterable[Column]) -> Decimal | None:
    """The admission rating of one student's released scores (assignment id -> score)."""
    columns = list(columns)
    boundary = [
        c for c in columns if c.control_type == ControlType.boundary and (c.due or c.assignment_id in scores)
    ]
    if boundary:
        return scale.mean(scale.percent(scores.get(c.assignment_id, 0), c.max_score) for c in boundary)
    return scale.current_rating(
        (scores[c.assignment_id], c.max_score)
        for c in columns
        if c.control_type not in ATTESTATION and c.assignment_id in scores
    )


async def columns(session: AsyncSession, course_id: int, now: dt.datetime | None = None) -> list[Column]:
    """The course's published assignments, by deadline: the gradebook's columns."""
    now = now or utcnow()
    assignments = (
        await session.scalars(
            select(Assignment)
            .where(Assignment.course_id == course_id, Assignment.status != AssignmentStatus.draft)
            .order_by(Assignment.deadline, Assignment.id)
        )
    ).all()
    return [
        Column(a.id, a.title, a.control_type, a.max_score, a.deadline <= now, a.deadline) for a in assignments
    ]


async def missing_by_student(
    session: AsyncSession, cols: list[Column], student_ids: Iterable[int], exclude_id: int | None = None
) -> dict[int, list[str]]:
    """Each student's control measures not handed in (titles by deadline), in two queries."""
    students = list(student_ids)
    measures = [c for c in cols if c.control_type in MEASURES and c.assignment_id != exclude_id]
    ids = [c.assignment_id for c in measures]
    done: set[tuple[int, int]] = set()
    if ids and students:
        handed = await session.execute(
            select(Submission.student_id, Submission.assignment_id).where(
                Submission.assignment_id.in_(ids),
                Submission.student_id.in_(students),
                Submission.status.in_([SubmissionStatus.submitted, SubmissionStatus.graded]),
            )
        )
        graded = await session.execute(
            select(Grade.student_id, Grade.assignment_id).where(
                Grade.assignment_id.in_(ids), Grade.student_id.in_(students)
            )
        )
        done = {(s, a) for s, a in handed.tuples()} | {(s, a) for s, a in graded.tuples()}
    return {s: [c.title for c in measures if (s, c.assignment_id) not in done] for s in students}


async def settings_of(session: AsyncSession, course_id: int) -> scale.GradingSettings:
    course = await session.get(Course, course_id)
    assert course is not None
    org = await session.get(Organization, course.organization_id)
    return scale.GradingSettings.of(org.settings if org else None)


async def check(session: AsyncSession, student_id: int, assignment: Assignment) -> Admission:
    """Is this student admitted to this attestation (or any assignment: measures other than it)?"""
    settings = await settings_of(session, assignment.course_id)
    cols = await columns(session, assignment.course_id)
    missing = (await missing_by_student(session, cols, [student_id], exclude_id=assignment.id))[student_id]
    own: Decimal | None = None
    if settings.admission_threshold is not None:
        released = await session.execute(
            select(Grade.assignment_id, Grade.score).where(
                Grade.student_id == student_id,
                Grade.released.is_(True),
                Grade.assignment_id.in_([c.assignment_id for c in cols]),
            )
        )
        own = rating({a: Decimal(s) for a, s in released.tuples()}, cols)
    return Admission(decide(missing, own, settings), missing, own, settings.admission_threshold)


async def last_measure_deadline(session: AsyncSession, course_id: int) -> dt.datetime | None:
    """The latest deadline among the course's published control measures (the teacher's warning)."""
    cols = await columns(session, course_id)
    deadlines = [c.deadline for c in cols if c.control_type in MEASURES and c.deadline is not None]
    return max(deadlines) if deadlines else None
