"""The gradebook of a course: released grades per assignment, the admission rating, the exam,
the final grade by the organization's formula, each on the organization's scale.

Admission rating (рейтинг допуска) and «admitted»: admission.py (001 item 29).
Exam: intermediate and final attestation. The weights and thresholds
are the organization's settings (grading_scale.GradingSettings).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.attestation import admission as admit
from bot.services.attestation.admission import Column
from bot.services.coursework import grading_scale as scale
from bot.services.messaging.notices import group_students
from bot.services.people.teacher_scope import CourseLine, own_course
from db.base import utcnow
from db.models import (
    ControlType,
    Course,
    Grade,
    GradingScheme,
    Group,
    Organization,
    Person,
)

EXAM_TYPES = (ControlType.intermediate, ControlType.final)


@dataclass(frozen=True, slots=True)
class Row:
    student_id: int
    name: str
    scores: dict[int, Decimal] = field(default_factory=dict)  # assignment id -> released score
    admission: Decimal | None = None
    exam: Decimal | None = None
    final: Decimal | None = None
    mark: scale.Mark | None = None  # of the final grade, or of the admission rating before the exam
    admitted: bool = False  # admission.decide: every control measure handed in (+ the org's threshold)
    missing: tuple[str, ...] = ()  # the control measures not handed in


@dataclass(frozen=True, slots=True)
class Book:
    course: CourseLine
    group: str
    scheme: GradingScheme
    settings: scale.GradingSettings
    columns: list[Column]
    rows: list[Row]


async def build(session: AsyncSession, teacher_id: int | None, course_id: int) -> Book:
    """The teacher's own course's gradebook (teacher_id None: staff, no ownership check)."""
    course = (
        await own_course(session, teacher_id, course_id)
        if teacher_id
        else await session.get(Course, course_id)
    )
    assert course is not None
    org = await session.get(Organization, course.organization_id)
    group = await session.get(Group, course.group_id)
    assert org is not None and group is not None
    settings = scale.GradingSettings.of(org.settings)
    columns = await admit.columns(session, course.id, utcnow())
    student_ids = await group_students(session, course.group_id)
    names = dict(
        (await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(student_ids))))
        .tuples()
        .all()
    )
    rows = {sid: Row(sid, names.get(sid, "")) for sid in student_ids}
    grades = (
        await session.execute(
            select(Grade.student_id, Grade.assignment_id, Grade.score).where(
                Grade.assignment_id.in_([c.assignment_id for c in columns]), Grade.released.is_(True)
            )
        )
    ).all()
    for student_id, assignment_id, score in grades:
        if student_id in rows:
            rows[student_id].scores[assignment_id] = Decimal(score)
    missing = await admit.missing_by_student(session, columns, rows)
    rated = [_rate(row, columns, settings, org.grading_scheme, missing[sid]) for sid, row in rows.items()]
    return Book(
        CourseLine(course.id, course.discipline, group.id, group.name),
        group.name,
        org.grading_scheme,
        settings,
        columns,
        sorted(rated, key=lambda r: r.name),
    )


def _rate(
    row: Row,
    columns: list[Column],
    settings: scale.GradingSettings,
    scheme: GradingScheme,
    missing: list[str],
) -> Row:
    """The row with its admission, exam, final grade and mark worked out from its scores."""
    admission = admit.rating(row.scores, columns)
    exams = [c for c in columns if c.control_type in EXAM_TYPES]
    exam: Decimal | None = None
    final: Decimal | None = None
    taken = [c for c in exams if c.assignment_id in row.scores]
    if taken:
        exam = scale.mean(scale.percent(row.scores[c.assignment_id], c.max_score) for c in taken)
        final = scale.final_rating(admission or 0, exam, settings)
    shown = final if final is not None else admission
    return dataclasses.replace(
        row,
        admission=admission,
        exam=exam,
        final=final,
        mark=scale.mark(shown, scheme) if shown is not None else None,
        admitted=admit.decide(missing, admission, settings),
        missing=tuple(missing),
    )
