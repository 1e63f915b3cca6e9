"""Reviewing submissions: the queue, one submission's files, grading, returning, drafts, changes, extensions.

A grade, once given, changes only with a reason; each change is a GradeChange row and an
audit record (who, when, old and new), written in the same transaction as the change.
"""

from __future__ import annotations

import datetime as dt
import enum
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Reply
from bot.files.store import FileStore
from bot.i18n import Translator
from bot.services.admin import audit
from bot.services.coursework.deadlines import check_future
from bot.services.coursework.submissions import held_submission, submission_held
from bot.services.messaging import notices, reminders
from bot.services.messaging.notify import notify
from bot.services.people.teacher_scope import own_assignment, own_submission
from db.base import utcnow
from db.models import (
    Assignment,
    AssignmentStatus,
    Course,
    Extension,
    FileName,
    Grade,
    GradeChange,
    Person,
    Submission,
    SubmissionFile,
    SubmissionStatus,
    SubmissionVersion,
)

ZIP_MIME = "application/zip"


class ReviewReason(enum.StrEnum):
    """Why a grade, a return or an extension is refused."""

    score_not_number = "score_not_number"
    score_range = "score_range"
    needs_reason = "needs_reason"  # a grade changes only with a reason
    empty_comment = "empty_comment"
    closed = "closed"  # no extension on a closed assignment
    not_later = "not_later"  # an extension before the deadline
    identity = "identity"  # a written attestation whose identity the teacher has not confirmed (002 item 16)


class ReviewError(ValueError):
    def __init__(self, reason: ReviewReason) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class QueueItem:
    submission_id: int
    student: str
    title: str
    submitted_at: dt.datetime
    late: bool


@dataclass(frozen=True, slots=True)
class SubmissionRef:
    id: int
    number: str  # the receipt number
    student_id: int
    submitted_at: dt.datetime | None
    late: bool


@dataclass(frozen=True, slots=True)
class AssignmentRef:
    id: int
    title: str
    max_score: int


@dataclass(frozen=True, slots=True)
class VersionRef:
    number: int
    text: str | None


@dataclass(frozen=True, slots=True)
class GradeRef:
    id: int
    assignment_id: int
    score: Decimal
    released: bool


@dataclass(frozen=True, slots=True)
class Opened:
    """A submission as the teacher opens it: plain values, read after the session is gone."""

    submission: SubmissionRef
    assignment: AssignmentRef
    student: str
    version: VersionRef | None
    files: tuple[int, ...]  # the latest version's files
    grade: GradeRef | None


def parse_score(text: str | None, max_score: int) -> Decimal:
    raw = (text or "").strip().replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ReviewError(ReviewReason.score_not_number) from exc
    if not value.is_finite():
        raise ReviewError(ReviewReason.score_not_number)
    if value < 0 or value > max_score:
        raise ReviewError(ReviewReason.score_range)
    return value.quantize(Decimal("0.01"))


def score_text(value: Decimal | int | str) -> str:
    """A score as people write it: 90, 88.5 (never 9E+1 or 90.00)."""
    return format(Decimal(value).normalize(), "f")


async def queue(session: AsyncSession, teacher_id: int, assignment_id: int | None = None) -> list[QueueItem]:
    """Submissions waiting for a grade on the teacher's courses, oldest first."""
    query = (
        select(Submission.id, Person.full_name, Assignment.title, Submission.submitted_at, Submission.late)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .join(Course, Course.id == Assignment.course_id)
        .join(Person, Person.id == Submission.student_id)
        .where(
            Course.teacher_id == teacher_id,
            Submission.status == SubmissionStatus.submitted,
            ~held_submission(),  # a written attestation waits for the identity check first
        )
        .order_by(Submission.submitted_at, Submission.id)
    )
    if assignment_id is not None:
        query = query.where(Submission.assignment_id == assignment_id)
    return [QueueItem(*row) for row in (await session.execute(query)).all()]


async def _latest(session: AsyncSession, submission_id: int) -> tuple[SubmissionVersion | None, list[int]]:
    version = await session.scalar(
        select(SubmissionVersion)
        .where(SubmissionVersion.submission_id == submission_id)
        .order_by(SubmissionVersion.number.desc())
        .limit(1)
    )
    if version is None:
        return None, []
    files = await session.scalars(
        select(SubmissionFile.file_name_id)
        .where(SubmissionFile.version_id == version.id)
        .order_by(SubmissionFile.id)
    )
    return version, list(files.all())


async def _rows(
    session: AsyncSession, teacher_id: int, submission_id: int | str
) -> tuple[Submission, Assignment, Grade | None]:
    submission = await own_submission(session, teacher_id, submission_id)
    assignment = await session.get(Assignment, submission.assignment_id)
    assert assignment is not None
    grade = await session.scalar(
        select(Grade).where(Grade.assignment_id == assignment.id, Grade.student_id == submission.student_id)
    )
    return submission, assignment, grade


async def open_submission(session: AsyncSession, teacher_id: int, submission_id: int | str) -> Opened:
    submission, assignment, grade = await _rows(session, teacher_id, submission_id)
    student = await session.scalar(select(Person.full_name).where(Person.id == submission.student_id))
    version, files = await _latest(session, submission.id)
    return Opened(
        SubmissionRef(
            submission.id, submission.number, submission.student_id, submission.submitted_at, submission.late
        ),
        AssignmentRef(assignment.id, assignment.title, assignment.max_score),
        student or "",
        VersionRef(version.number, version.text) if version is not None else None,
        tuple(files),
        GradeRef(grade.id, grade.assignment_id, grade.score, grade.released) if grade is not None else None,
    )


async def grade(
    session: AsyncSession,
    teacher_id: int,
    submission_id: int | str,
    score: Decimal,
    comment: str | None,
    *,
    release: bool = True,
    reason: str | None = None,
) -> GradeRef:
    """Grades a submission; a submission graded before needs a `reason` (see change_grade)."""
    submission, assignment, graded = await _rows(session, teacher_id, submission_id)
    if submission_held(submission, assignment):
        raise ReviewError(ReviewReason.identity)
    if graded is not None:
        done = await change_grade(
            session,
            teacher_id,
            graded.id,
            score,
            reason or "",
            comment=comment,
            submission=submission,
        )
    else:
        done = await put_grade(
            session,
            teacher_id,
            assignment,
            submission.student_id,
            score,
            comment,
            release=release,
            submission=submission,
        )
    return GradeRef(done.id, done.assignment_id, done.score, done.released)


async def put_grade(
    session: AsyncSession,
    actor_id: int | None,
    assignment: Assignment,
    student_id: int,
    score: Decimal,
    comment: str | None,
    *,
    release: bool = True,
    submission: Submission | None = None,
    tell_student: bool = True,
) -> Grade:
    """A first grade for a student's work (a teacher's, or a test's automatic one: the test tells the
    student its result itself, so `tell_student` is False there)."""
    new = Grade(
        assignment_id=assignment.id,
        student_id=student_id,
        submission_id=submission.id if submission else None,
        score=score,
        comment=(comment or "").strip() or None,
        released=release,
        graded_by_id=actor_id,
        graded_at=utcnow(),
    )
    session.add(new)
    if submission is not None:
        submission.status = SubmissionStatus.graded
    await session.flush()
    await audit.record(
        session,
        actor_id,
        "grade",
        new.id,
        "create",
        None,
        {
            "assignment_id": assignment.id,
            "student_id": student_id,
            "score": score_text(score),
            "released": release,
        },
        organization_id=await _org_of(session, assignment),
    )
    if release:
        await notices.grade_released(session, new.id, tell_student)
    return new


async def change_grade(
    session: AsyncSession,
    actor_id: int | None,
    grade_id: int,
    score: Decimal,
    reason: str,
    *,
    comment: str | None = None,
    submission: Submission | None = None,
    tell_student: bool = True,
) -> Grade:
    """Changes a grade: only with a reason, kept as a GradeChange and in the audit trail.

    With `submission` (a new version graded again), the grade now stands for it and it leaves the queue."""
    reason = " ".join(reason.split())
    if not reason:
        raise ReviewError(ReviewReason.needs_reason)
    current = await session.get(Grade, grade_id)
    assert current is not None
    assignment = await session.get(Assignment, current.assignment_id)
    assert assignment is not None
    old = Decimal(current.score)
    session.add(
        GradeChange(
            grade_id=current.id, changed_by_id=actor_id, old_score=old, new_score=score, reason=reason
        )
    )
    current.score = score
    if comment is not None and comment.strip():
        current.comment = comment.strip()
    current.graded_by_id = actor_id
    current.graded_at = utcnow()
    if submission is not None:
        current.submission_id = submission.id
        submission.status = SubmissionStatus.graded
    await session.flush()
    await audit.record(
        session,
        actor_id,
        "grade",
        current.id,
        "update",
        {"score": score_text(old)},
        {"score": score_text(score), "reason": reason},
        organization_id=await _org_of(session, assignment),
    )
    if current.released:
        await notices.grade_released(session, current.id, tell_student)
    return current


async def release_drafts(session: AsyncSession, teacher_id: int, assignment_id: int | str) -> int:
    """Releases every draft grade of an assignment together; each student and parent is told."""
    assignment = await own_assignment(session, teacher_id, assignment_id)
    drafts = (
        await session.scalars(
            select(Grade)
            .where(Grade.assignment_id == assignment.id, Grade.released.is_(False))
            .order_by(Grade.id)
        )
    ).all()
    for draft in drafts:
        draft.released = True
        draft.graded_at = utcnow()
    await session.flush()
    for draft in drafts:
        await audit.record(
            session,
            teacher_id,
            "grade",
            draft.id,
            "release",
            {"released": False},
            {"released": True},
            organization_id=await _org_of(session, assignment),
        )
        await notices.grade_released(session, draft.id)
    return len(drafts)


async def return_for_revision(
    session: AsyncSession, teacher_id: int, submission_id: int | str, comment: str
) -> None:
    comment = comment.strip()
    if not comment:
        raise ReviewError(ReviewReason.empty_comment)
    submission = await own_submission(session, teacher_id, submission_id)
    submission.status = SubmissionStatus.returned
    await session.flush()
    await notices.submission_returned(session, submission.id, comment)


async def extend(
    session: AsyncSession, teacher_id: int, assignment_id: int | str, student_id: int, deadline: dt.datetime
) -> None:
    """An individual later deadline for one student; the student is told."""
    assignment = await own_assignment(session, teacher_id, assignment_id)
    if assignment.status == AssignmentStatus.closed:
        raise ReviewError(ReviewReason.closed)
    check_future(deadline, utcnow())
    if deadline <= assignment.deadline:
        raise ReviewError(ReviewReason.not_later)
    extension = await session.scalar(
        select(Extension).where(Extension.assignment_id == assignment.id, Extension.student_id == student_id)
    )
    if extension is None:
        extension = Extension(assignment_id=assignment.id, student_id=student_id, deadline=deadline)
        session.add(extension)
    extension.deadline = deadline
    extension.granted_by_id = teacher_id
    await session.flush()
    await reminders.plan_assignment(session, assignment.id)

    def build(t: Translator) -> Reply:
        return Reply(
            t.gettext("Your deadline for «{title}» is extended to {when}.").format(
                title=assignment.title, when=t.datetime(deadline)
            )
        )

    await notify(session, [student_id], build, kind="extension")


async def zip_submissions(
    session: AsyncSession, store: FileStore, teacher_id: int, assignment_id: int | str
) -> FileName | None:
    """All the latest versions' files of an assignment in one ZIP, a folder per student; None if none."""
    assignment = await own_assignment(session, teacher_id, assignment_id)
    rows = (
        await session.execute(
            select(Submission.id, Person.full_name)
            .join(Person, Person.id == Submission.student_id)
            .where(Submission.assignment_id == assignment.id, Submission.status != SubmissionStatus.draft)
            .order_by(Person.full_name)
        )
    ).all()
    buffer = io.BytesIO()
    count = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for submission_id, student in rows:
            version, files = await _latest(session, submission_id)
            seen: set[str] = set()
            if version is not None and version.text:
                archive.writestr(f"{student}/text.txt", version.text)
                count += 1
            for file_name_id in files:
                data = await store.load(session, file_name_id)
                name = _unique(data.name, seen)
                archive.writestr(f"{student}/{name}", data.data)
                count += 1
    if not count:
        return None
    return await store.save(
        session,
        buffer.getvalue(),
        f"{assignment.title[:80]}.zip",
        uploaded_by_id=teacher_id,
        trusted_mime=ZIP_MIME,
    )


def _unique(name: str, seen: set[str]) -> str:
    base, dot, ext = name.rpartition(".")
    candidate, n = name, 1
    while candidate in seen:
        n += 1
        candidate = f"{base} ({n}).{ext}" if dot else f"{name} ({n})"
    seen.add(candidate)
    return candidate


async def _org_of(session: AsyncSession, assignment: Assignment) -> int | None:
    return await session.scalar(select(Course.organization_id).where(Course.id == assignment.course_id))
