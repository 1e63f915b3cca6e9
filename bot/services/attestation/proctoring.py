"""Online proctoring for attestation (002 item 16; 000 item 16): who sits it is checked before it counts.

A test of intermediate or final attestation asks for a photo of the student holding their ID before the
first question; its score is kept on the attempt and reaches the gradebook only when the teacher confirms
the photo. A written attestation is handed in with such a photo too, and waits for the check before the
teacher can grade it. The teacher may reject a photo with a reason: the student is told (in their own
language), a rejected attempt never counts and is not one of the attempts used, and a rejected written
attestation goes back to the student to hand in again with a new photo.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Reply
from bot.i18n import N_, Translator
from bot.services.coursework import quizzes
from bot.services.messaging.notify import notify
from db.models import (
    Assignment,
    Course,
    Person,
    QuizTest,
    Submission,
    SubmissionStatus,
    TestAttempt,
)

ATTESTATION = quizzes.ATTESTATION


class Kind(enum.StrEnum):
    attempt = "a"  # a test's attempt
    submission = "s"  # a written attestation handed in


REJECTED = {
    Kind.attempt: N_(
        "Your teacher did not confirm your identity for the test «{title}»: {reason}. This attempt does "
        "not count; you may start the test again with a clear photo of yourself holding your ID."
    ),
    Kind.submission: N_(
        "Your teacher did not confirm your identity for «{title}»: {reason}. Your work was not accepted "
        "for grading; hand it in again with a clear photo of yourself holding your ID."
    ),
}


@dataclass(frozen=True, slots=True)
class Check:
    """An identity photo waiting for the teacher: a test's attempt or a written attestation."""

    kind: Kind
    id: int  # the attempt's or the submission's
    student: str
    title: str
    at: dt.datetime  # when the attempt started or the work was handed in
    photo: int | None  # file_name id


async def attach_photo(session: AsyncSession, assignment: Assignment, student_id: int, photo: int) -> None:
    """The photo with the ID sent with a written attestation: a new check, whatever came before."""
    submission = await session.scalar(
        select(Submission).where(
            Submission.assignment_id == assignment.id, Submission.student_id == student_id
        )
    )
    if submission is None:
        return
    submission.identity_file_name_id = photo
    submission.identity_checked_by_id = None
    submission.identity_rejection = None
    await session.flush()


async def queue(session: AsyncSession, teacher_id: int) -> list[Check]:
    """Identity photos waiting on the teacher's courses, oldest first: tests' attempts and written work."""
    attempts = (
        await session.execute(
            select(TestAttempt, Person.full_name, QuizTest.title)
            .join(QuizTest, QuizTest.id == TestAttempt.test_id)
            .join(Course, Course.id == QuizTest.course_id)
            .join(Person, Person.id == TestAttempt.student_id)
            .where(
                Course.teacher_id == teacher_id,
                TestAttempt.identity_file_name_id.is_not(None),
                TestAttempt.identity_checked_by_id.is_(None),
            )
        )
    ).all()
    written = (
        await session.execute(
            select(Submission, Person.full_name, Assignment.title)
            .join(Assignment, Assignment.id == Submission.assignment_id)
            .join(Course, Course.id == Assignment.course_id)
            .join(Person, Person.id == Submission.student_id)
            .where(
                Course.teacher_id == teacher_id,
                Submission.status == SubmissionStatus.submitted,
                Assignment.test_id.is_(None),
                Assignment.control_type.in_(ATTESTATION),
                Submission.identity_checked_by_id.is_(None),
            )
        )
    ).all()
    out = [Check(Kind.attempt, a.id, n, t, a.started_at, a.identity_file_name_id) for a, n, t in attempts]
    out += [
        Check(Kind.submission, s.id, n, t, s.submitted_at or s.created_at, s.identity_file_name_id)
        for s, n, t in written
    ]
    return sorted(out, key=lambda c: (c.at, c.kind, c.id))


async def _waiting(session: AsyncSession, teacher_id: int, kind: Kind, item_id: int) -> Check | None:
    return next((c for c in await queue(session, teacher_id) if c.kind == kind and c.id == item_id), None)


async def confirm(session: AsyncSession, teacher_id: int, kind: Kind, item_id: int) -> Check | None:
    """The teacher confirms the photo; None if it is not one waiting on this teacher's courses.

    A finished attempt's held score goes into the gradebook now and the student is told; a written
    attestation enters the grading queue."""
    check = await _waiting(session, teacher_id, kind, item_id)
    if check is None:
        return None
    if kind == Kind.submission:
        submission = await session.get(Submission, item_id)
        assert submission is not None
        submission.identity_checked_by_id = teacher_id
        await session.flush()
        return check
    attempt = await session.get(TestAttempt, item_id)
    assert attempt is not None
    attempt.identity_checked_by_id = teacher_id
    await session.flush()
    if attempt.finished_at is not None and attempt.score is not None:
        assignment = await session.scalar(select(Assignment).where(Assignment.test_id == attempt.test_id))
        assert assignment is not None
        grade = await quizzes.count(session, attempt, assignment)
        score, best, top = Decimal(attempt.score), Decimal(grade.score), assignment.max_score

        def told(t: Translator) -> Reply:
            text = t.gettext(
                "Your teacher has confirmed your identity: the test «{title}» counts, {score} of {max}."
            ).format(title=assignment.title, score=t.number(score), max=top)
            if best != score:
                text += " " + t.gettext("Your best attempt counts: {score}.").format(score=t.number(best))
            return Reply(text)

        await notify(session, [attempt.student_id], told, kind="identity", dedupe_prefix=f"idok:{attempt.id}")
    return check


async def reject(
    session: AsyncSession, teacher_id: int, kind: Kind, item_id: int, reason: str
) -> Check | None:
    """The teacher rejects the photo with a reason; None if it is not one waiting on this teacher.

    A rejected attempt is closed unscored for the gradebook and does not use up an attempt; a rejected
    written attestation is returned, so the student hands it in again with a new photo."""
    check = await _waiting(session, teacher_id, kind, item_id)
    if check is None:
        return None
    if kind == Kind.submission:
        submission = await session.get(Submission, item_id)
        assert submission is not None
        submission.identity_checked_by_id = teacher_id
        submission.identity_rejection = reason
        submission.status = SubmissionStatus.returned
        student_id = submission.student_id
    else:
        attempt = await session.get(TestAttempt, item_id)
        assert attempt is not None
        attempt.identity_checked_by_id = teacher_id
        attempt.identity_rejection = reason
        if attempt.finished_at is None:
            await quizzes.claim(session, attempt)
        student_id = attempt.student_id
    await session.flush()

    def told(t: Translator) -> Reply:
        return Reply(t.gettext(REJECTED[kind]).format(title=check.title, reason=reason))

    await notify(session, [student_id], told, kind="identity")
    return check
