"""Handing in work: files land in a draft as they arrive, the student confirms, a receipt is issued.

The draft is version 0 of the student's Submission: it is written in the same transaction
that takes the message from the inbox, so a restart between the upload and the
confirmation loses nothing. Confirming renumbers it to the next version (1, 2, ...) and
every earlier version stays. Late work is accepted and marked late unless the teacher
closed the assignment or chose, when posting it, not to accept late work; a replacement is
allowed before the deadline, or after the teacher returned the work. A written intermediate or
final attestation is accepted only from a student admitted to it (admission.check, 001 item 29).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.attestation import admission
from db.models import (
    Assignment,
    AssignmentStatus,
    ControlType,
    Extension,
    FileName,
    Grade,
    Submission,
    SubmissionFile,
    SubmissionStatus,
    SubmissionVersion,
)

DRAFT = 0  # the version number of the draft under construction


class Refusal(enum.StrEnum):
    closed = "closed"  # the teacher closed the assignment
    graded = "graded"  # graded: nothing to replace
    deadline_passed = "deadline_passed"  # already handed in, the deadline passed: no replacement
    not_published = "not_published"
    not_admitted = "not_admitted"  # a written attestation before all control measures (001 item 29)
    late_not_accepted = "late_not_accepted"  # past the student's deadline, the teacher accepts no late work


@dataclass(frozen=True, slots=True)
class DraftInfo:
    files: list[str]  # the files' names, in the order they came
    text: str | None


@dataclass(frozen=True, slots=True)
class Receipt:
    number: str  # e.g. 0012-00034/2: the submission and the version
    version: int
    submitted_at: dt.datetime
    late: bool
    files: list[str]
    text: str | None


ATTESTATION = (ControlType.intermediate, ControlType.final)


def written_attestation(assignment: Assignment) -> bool:
    """Handed in as work (not a test) and an attestation: the identity is checked (002 item 16)."""
    return assignment.test_id is None and assignment.control_type in ATTESTATION


def submission_held(submission: Submission, assignment: Assignment) -> bool:
    """A written attestation waits for grading until the teacher confirms the student's identity."""
    return written_attestation(assignment) and (
        submission.identity_checked_by_id is None or submission.identity_rejection is not None
    )


def held_submission() -> ColumnElement[bool]:
    """SQL of submission_held (Assignment joined)."""
    return and_(
        Assignment.test_id.is_(None),
        Assignment.control_type.in_(ATTESTATION),
        or_(Submission.identity_checked_by_id.is_(None), Submission.identity_rejection.is_not(None)),
    )


def submission_number(assignment_id: int, student_id: int) -> str:
    return f"{assignment_id:04d}-{student_id:05d}"


async def deadline_for(session: AsyncSession, assignment: Assignment, student_id: int) -> dt.datetime:
    """The student's own deadline: an extension if they have one (always the later), else the assignment's."""
    extended = await session.scalar(
        select(Extension.deadline).where(
            Extension.assignment_id == assignment.id, Extension.student_id == student_id
        )
    )
    return max(extended, assignment.deadline) if extended else assignment.deadline


async def _submission(session: AsyncSession, assignment_id: int, student_id: int) -> Submission | None:
    return await session.scalar(
        select(Submission).where(
            Submission.assignment_id == assignment_id, Submission.student_id == student_id
        )
    )


async def refusal(
    session: AsyncSession, assignment: Assignment, student_id: int, now: dt.datetime
) -> Refusal | None:
    """Why this student cannot hand in (or replace) work now, or None if they can."""
    if assignment.status == AssignmentStatus.draft:
        return Refusal.not_published
    if assignment.status == AssignmentStatus.closed:
        return Refusal.closed
    sub = await _submission(session, assignment.id, student_id)
    if sub is None or sub.status == SubmissionStatus.draft or sub.status == SubmissionStatus.returned:
        # Work the teacher returned for revision may come back after the deadline; first work may not.
        first = sub is None or sub.status == SubmissionStatus.draft
        if (
            first
            and not assignment.accepts_late
            and now > await deadline_for(session, assignment, student_id)
        ):
            return Refusal.late_not_accepted
        attestation = assignment.control_type in admission.ATTESTATION
        if attestation and not (await admission.check(session, student_id, assignment)).admitted:
            return Refusal.not_admitted
        return None
    grade = await session.scalar(
        select(Grade.id).where(
            Grade.assignment_id == assignment.id, Grade.student_id == student_id, Grade.released.is_(True)
        )
    )
    if sub.status == SubmissionStatus.graded or grade is not None:
        return Refusal.graded
    if now > await deadline_for(session, assignment, student_id):
        return Refusal.deadline_passed
    return None


async def _draft(
    session: AsyncSession, assignment_id: int, student_id: int, now: dt.datetime, create: bool
) -> SubmissionVersion | None:
    sub = await _submission(session, assignment_id, student_id)
    if sub is None:
        if not create:
            return None
        sub = Submission(
            number=submission_number(assignment_id, student_id),
            assignment_id=assignment_id,
            student_id=student_id,
            status=SubmissionStatus.draft,
        )
        session.add(sub)
        await session.flush()
    draft = await session.scalar(
        select(SubmissionVersion).where(
            SubmissionVersion.submission_id == sub.id, SubmissionVersion.number == DRAFT
        )
    )
    if draft is None and create:
        draft = SubmissionVersion(submission_id=sub.id, number=DRAFT, submitted_at=now)
        session.add(draft)
        await session.flush()
    return draft


async def add_to_draft(
    session: AsyncSession,
    assignment_id: int,
    student_id: int,
    now: dt.datetime,
    file_name_ids: Sequence[int] = (),
    text: str | None = None,
) -> DraftInfo:
    draft = await _draft(session, assignment_id, student_id, now, create=True)
    assert draft is not None
    for file_name_id in file_name_ids:
        session.add(SubmissionFile(version_id=draft.id, file_name_id=file_name_id))
    if text and text.strip():
        draft.text = f"{draft.text}\n\n{text.strip()}" if draft.text else text.strip()
    await session.flush()
    return await _info(session, draft)


async def draft_info(session: AsyncSession, assignment_id: int, student_id: int) -> DraftInfo | None:
    draft = await _draft(session, assignment_id, student_id, dt.datetime.now(dt.UTC), create=False)
    if draft is None:
        return None
    info = await _info(session, draft)
    return info if info.files or info.text else None


async def _info(session: AsyncSession, version: SubmissionVersion) -> DraftInfo:
    names = (
        await session.scalars(
            select(FileName.name)
            .join(SubmissionFile, SubmissionFile.file_name_id == FileName.id)
            .where(SubmissionFile.version_id == version.id)
            .order_by(SubmissionFile.id)
        )
    ).all()
    return DraftInfo(list(names), version.text)


async def discard_draft(session: AsyncSession, assignment_id: int, student_id: int) -> None:
    sub = await _submission(session, assignment_id, student_id)
    if sub is None:
        return
    await session.execute(
        delete(SubmissionVersion).where(
            SubmissionVersion.submission_id == sub.id, SubmissionVersion.number == DRAFT
        )
    )
    if sub.status == SubmissionStatus.draft:
        await session.delete(sub)
    await session.flush()


async def confirm(
    session: AsyncSession, assignment: Assignment, student_id: int, now: dt.datetime
) -> Receipt | Refusal | None:
    """Turns the draft into the next submitted version; None if the draft is empty."""
    why = await refusal(session, assignment, student_id, now)
    if why is not None:
        return why
    draft = await _draft(session, assignment.id, student_id, now, create=False)
    if draft is None:
        return None
    info = await _info(session, draft)
    if not info.files and not info.text:
        return None
    sub = await session.get(Submission, draft.submission_id)
    assert sub is not None
    latest = await session.scalar(
        select(func.max(SubmissionVersion.number)).where(SubmissionVersion.submission_id == sub.id)
    )
    late = now > await deadline_for(session, assignment, student_id)
    draft.number = (latest or 0) + 1
    draft.submitted_at = now
    draft.late = late
    sub.status = SubmissionStatus.submitted
    sub.submitted_at = now
    sub.late = late
    await session.flush()
    return Receipt(f"{sub.number}/{draft.number}", draft.number, now, late, info.files, info.text)


async def versions(session: AsyncSession, assignment_id: int, student_id: int) -> list[Receipt]:
    """Every submitted version, oldest first (the draft is not one)."""
    sub = await _submission(session, assignment_id, student_id)
    if sub is None:
        return []
    rows = (
        await session.scalars(
            select(SubmissionVersion)
            .where(SubmissionVersion.submission_id == sub.id, SubmissionVersion.number > DRAFT)
            .order_by(SubmissionVersion.number)
        )
    ).all()
    out = []
    for v in rows:
        info = await _info(session, v)
        out.append(Receipt(f"{sub.number}/{v.number}", v.number, v.submitted_at, v.late, info.files, v.text))
    return out


@dataclass(frozen=True, slots=True)
class Takes:
    """An assignment that takes work from this student now (not a test: a test is taken, not handed in)."""

    id: int
    title: str


async def taking_work(session: AsyncSession, student_id: int, now: dt.datetime) -> list[Takes]:
    """The student's assignments a file sent outside any dialog can be attached to, nearest deadline first."""
    from bot.services.coursework.assignments import State, views

    wanted = [v for v in await views(session, student_id, now) if v.state != State.graded and not v.closed]
    found: list[Takes] = []
    for v in sorted(wanted, key=lambda v: v.deadline):
        assignment = await session.get(Assignment, v.id)
        if assignment is None or assignment.test_id is not None:
            continue
        if await refusal(session, assignment, student_id, now) is None:
            found.append(Takes(v.id, v.title))
    return found


@dataclass(frozen=True, slots=True)
class HandedVersion:
    number: int
    submitted_at: dt.datetime
    text: str | None
    files: list[tuple[int, str]]  # (FileName id, name)


async def my_versions(session: AsyncSession, assignment_id: int, student_id: int) -> list[HandedVersion]:
    """Every version this student handed in (not the draft), the latest first, with its files."""
    sub = await _submission(session, assignment_id, student_id)
    if sub is None:
        return []
    versions = (
        await session.scalars(
            select(SubmissionVersion)
            .where(SubmissionVersion.submission_id == sub.id, SubmissionVersion.number != DRAFT)
            .order_by(SubmissionVersion.number.desc())
        )
    ).all()
    found = []
    for v in versions:
        files = (
            await session.execute(
                select(FileName.id, FileName.name)
                .join(SubmissionFile, SubmissionFile.file_name_id == FileName.id)
                .where(SubmissionFile.version_id == v.id)
                .order_by(SubmissionFile.id)
            )
        ).all()
        found.append(HandedVersion(v.number, v.submitted_at, v.text, [(i, n) for i, n in files]))
    return found
