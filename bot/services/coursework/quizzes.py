"""Tests with automatic grading: building one from text or a file, publishing it as an assignment,
attempts with a time limit and shuffled questions, identity first for attestation, admission.

Text format (in chat or a .txt file), a blank line between questions, the right options marked
with * or +:

    What does len([1, 2]) return?
    1
    *2
    3

CSV/XLSX: one question per row: question, option 1, option 2, ..., and the right options'
numbers in the last column ("2" or "1,3").
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import random
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.actions.student import StartTest
from bot.core.messages import Reply
from bot.i18n import N_, Translator
from bot.services.attestation import admission
from bot.services.attestation.admission import Admission
from bot.services.coursework import review, submissions
from bot.services.coursework.posting import AssignmentLine, Draft, publish
from bot.services.messaging import notices
from bot.services.messaging.notices import assignment_text, group_students, parents_of
from bot.services.messaging.notify import notify
from bot.services.people.teacher_scope import own_course
from db.base import utcnow
from db.models import (
    Assignment,
    AssignmentKind,
    AssignmentStatus,
    ControlType,
    Course,
    Extension,
    Grade,
    Person,
    PersonRole,
    QuizTest,
    Role,
    TestAnswer,
    TestAttempt,
    TestQuestion,
)
from db.session import rowcount

ATTESTATION = (ControlType.intermediate, ControlType.final)
MAX_OPTIONS = 10
OPTION_PREFIX = re.compile(r"^\s*(?:[-–•]|[a-zа-яәғқңөұүһі]\)|\d{1,2}[.)])\s+", re.IGNORECASE)
QUESTION_NUMBER = re.compile(r"^\s*\d{1,3}[.)]\s*")


class ParseReason(enum.StrEnum):
    """Why a test's questions cannot be read."""

    no_questions = "no_questions"
    no_options = "no_options"  # too few or too many options
    no_correct = "no_correct"  # no option marked right


class QuestionsError(ValueError):
    """The teacher's questions cannot be read; `number` the 1-based question, 0 if none."""

    def __init__(self, reason: ParseReason, number: int = 0) -> None:
        super().__init__(reason)
        self.reason, self.number = reason, number


class StartReason(enum.StrEnum):
    """Why a student may not start an attempt."""

    unknown = "unknown"  # no such test for this student
    closed = "closed"
    past = "past"  # the deadline has passed
    no_attempts = "no_attempts"  # all attempts used
    not_admitted = "not_admitted"  # admission.check said no (001 item 29): `admission` says why
    identity = "identity"  # the photo with an ID is missing


class QuizError(ValueError):
    """A student may not start an attempt; `missing` the control measures still to do."""

    def __init__(self, reason: StartReason, admission: Admission | None = None) -> None:
        super().__init__(reason)
        self.reason, self.admission = reason, admission
        self.missing = admission.missing if admission else []


@dataclass(frozen=True)
class QuestionDraft:
    text: str
    options: list[str]
    correct: list[int]


# -- building ---------------------------------------------------------------------------------


def parse_text(text: str) -> list[QuestionDraft]:
    blocks = [b for b in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()) if b.strip()]
    out = []
    for n, block in enumerate(blocks, start=1):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        question = QUESTION_NUMBER.sub("", lines[0]).strip()
        options: list[str] = []
        correct: list[int] = []
        for line in lines[1:]:
            right = line.startswith(("*", "+"))
            option = OPTION_PREFIX.sub("", line.lstrip("*+ ")).strip()
            if right:
                correct.append(len(options))
            options.append(option)
        out.append(_checked(n, question, options, correct))
    if not out:
        raise QuestionsError(ParseReason.no_questions)
    return out


def parse_rows(rows: list[list[str]]) -> list[QuestionDraft]:
    out = []
    for n, row in enumerate((r for r in rows if any(c.strip() for c in r)), start=1):
        cells = [c.strip() for c in row]
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) < 3:
            raise QuestionsError(ParseReason.no_options, n)
        marks = re.findall(r"\d+", cells[-1])
        options = [c for c in cells[1:-1] if c]
        correct = sorted({int(m) - 1 for m in marks})
        if any(i < 0 or i >= len(options) for i in correct):
            raise QuestionsError(ParseReason.no_correct, n)
        out.append(_checked(n, cells[0], options, correct))
    if not out:
        raise QuestionsError(ParseReason.no_questions)
    return out


def parse_file(data: bytes, name: str) -> list[QuestionDraft]:
    lower = name.lower()
    if lower.endswith(".xlsx"):
        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        rows = [["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)]
        return parse_rows(_drop_header(rows))
    text = data.decode("utf-8-sig", errors="replace")
    if lower.endswith(".csv"):
        dialect = ";" if text.count(";") >= text.count(",") else ","
        return parse_rows(_drop_header(list(csv.reader(io.StringIO(text), delimiter=dialect))))
    return parse_text(text)


def _drop_header(rows: list[list[str]]) -> list[list[str]]:
    """A header row has no number in its last cell."""
    if rows and not re.search(r"\d", rows[0][-1] if rows[0] else ""):
        return rows[1:]
    return rows


def _checked(n: int, question: str, options: list[str], correct: list[int]) -> QuestionDraft:
    if not question:
        raise QuestionsError(ParseReason.no_questions, n)
    if len(options) < 2 or len(options) > MAX_OPTIONS:
        raise QuestionsError(ParseReason.no_options, n)
    if not correct:
        raise QuestionsError(ParseReason.no_correct, n)
    return QuestionDraft(question, options, correct)


@dataclass
class TestSettings:
    title: str
    deadline: dt.datetime
    time_limit_minutes: int | None = None
    attempts: int = 1
    shuffle: bool = True
    control_type: ControlType = ControlType.current
    max_score: int = 100


async def create(
    session: AsyncSession,
    teacher_id: int,
    course_id: int,
    questions: list[QuestionDraft],
    settings: TestSettings,
) -> AssignmentLine:
    """The test and its assignment; the group is told with a «Start the test» button."""
    await own_course(session, teacher_id, course_id)
    test = QuizTest(
        course_id=course_id,
        title=settings.title,
        time_limit_minutes=settings.time_limit_minutes,
        attempts_allowed=settings.attempts,
        shuffle=settings.shuffle,
        requires_identity=settings.control_type in ATTESTATION,
        created_by_id=teacher_id,
    )
    test.questions = [
        TestQuestion(position=i, text=q.text, options=q.options, correct=q.correct, points=Decimal(1))
        for i, q in enumerate(questions)
    ]
    session.add(test)
    await session.flush()
    draft = Draft(
        course_id=course_id,
        title=settings.title,
        deadline=settings.deadline,
        max_score=settings.max_score,
        control_type=settings.control_type,
        kind=AssignmentKind.test,
        test_id=test.id,
        text="",
    )
    line = await publish(session, teacher_id, draft)
    assignment = await session.get(Assignment, line.id)  # the row just added: no query
    assert assignment is not None
    await announce(session, assignment)
    return line


async def announce(session: AsyncSession, assignment: Assignment) -> int:
    course = await session.get(Course, assignment.course_id)
    assert course is not None
    test = await session.get(QuizTest, assignment.test_id)
    assert test is not None
    count_questions = await session.scalar(select(func.count()).where(TestQuestion.test_id == test.id)) or 0
    students = await group_students(session, course.group_id)

    def for_student(t: Translator) -> Reply:
        text = assignment_text(t, assignment, course)
        text += "\n" + t.ngettext("{n} question", "{n} questions", count_questions).format(n=count_questions)
        if test.time_limit_minutes:
            text += "\n" + t.gettext("Time limit: {n} min").format(n=test.time_limit_minutes)
        if test.requires_identity:
            text += "\n" + t.gettext(
                "Before the test you will be asked for a photo of yourself with your ID."
            )
        return Reply(text, buttons=[[StartTest(assignment.id).button(t.gettext("Start the test"))]])

    count = await notify(
        session,
        await _wanted(session, students, notices.NEW_ASSIGNMENT),
        for_student,
        kind=notices.NEW_ASSIGNMENT,
        dedupe_prefix=f"pub:{assignment.id}",
    )
    links = await parents_of(session, students)
    names = dict(
        (await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(list(links)))))
        .tuples()
        .all()
    )

    def for_parent(t: Translator, child: str) -> Reply:
        return Reply(
            t.gettext("New assignment for {child}: «{title}» ({course}), deadline {deadline}.").format(
                child=child,
                title=assignment.title,
                course=course.discipline,
                deadline=t.datetime(assignment.deadline),
            )
        )

    for child_id, parent_ids in links.items():
        count += await notify(
            session,
            await _wanted(session, parent_ids, notices.PARENT_ASSIGNMENT),
            notices.for_child(for_parent, names[child_id]),
            kind=notices.PARENT_ASSIGNMENT,
            dedupe_prefix=f"pubp:{assignment.id}:{child_id}",
        )
    return count


async def _wanted(session: AsyncSession, ids: list[int], kind: str) -> list[int]:
    off = await notices.switched_off(session, ids, kind)
    return [i for i in ids if i not in off]


# -- taking ------------------------------------------------------------------------------------


async def open_tests(session: AsyncSession, student_id: int) -> list[AssignmentLine]:
    """The published tests of the student's group, nearest deadline first."""
    groups = select(PersonRole.group_id).where(
        PersonRole.person_id == student_id, PersonRole.role == Role.student
    )
    rows = await session.scalars(
        select(Assignment)
        .join(Course, Course.id == Assignment.course_id)
        .where(
            Course.group_id.in_(groups),
            Assignment.test_id.is_not(None),
            Assignment.status == AssignmentStatus.published,
        )
        .order_by(Assignment.deadline)
    )
    return [AssignmentLine.of(a) for a in rows.all()]


@dataclass(frozen=True, slots=True)
class AttemptRules:
    id: int
    time_limit_minutes: int | None
    attempts_allowed: int
    requires_identity: bool  # an attestation: a photo with an ID before the first question


async def check_start(
    session: AsyncSession, student_id: int, assignment_id: int
) -> tuple[AssignmentLine, AttemptRules]:
    """May this student start (another) attempt now? Raises QuizError with the reason."""
    assignment, test = await _check_start(session, student_id, assignment_id)
    rules = AttemptRules(test.id, test.time_limit_minutes, test.attempts_allowed, test.requires_identity)
    return AssignmentLine.of(assignment), rules


async def _check_start(
    session: AsyncSession, student_id: int, assignment_id: int
) -> tuple[Assignment, QuizTest]:
    assignment = await session.get(Assignment, assignment_id)
    if assignment is None or assignment.test_id is None:
        raise QuizError(StartReason.unknown)
    course = await session.get(Course, assignment.course_id)
    assert course is not None
    if student_id not in await group_students(session, course.group_id):
        raise QuizError(StartReason.unknown)
    test = await session.get(QuizTest, assignment.test_id)
    assert test is not None
    if assignment.status == AssignmentStatus.closed:
        raise QuizError(StartReason.closed)
    deadline = await submissions.deadline_for(session, assignment, student_id)
    if deadline <= utcnow():
        raise QuizError(StartReason.past)
    # An attempt whose identity the teacher rejected is not one of the attempts used (002 item 16).
    used = await session.scalar(
        select(func.count()).where(
            TestAttempt.test_id == test.id,
            TestAttempt.student_id == student_id,
            TestAttempt.identity_rejection.is_(None),
        )
    )
    if (used or 0) >= test.attempts_allowed:
        raise QuizError(StartReason.no_attempts)
    if assignment.control_type in ATTESTATION:
        admitted = await admission.check(session, student_id, assignment)
        if not admitted.admitted:
            raise QuizError(StartReason.not_admitted, admitted)
    return assignment, test


async def start(
    session: AsyncSession, student_id: int, assignment_id: int, identity_file_name_id: int | None = None
) -> TestAttempt:
    _, test = await _check_start(session, student_id, assignment_id)
    if test.requires_identity and identity_file_name_id is None:
        raise QuizError(StartReason.identity)
    questions = (
        await session.scalars(
            select(TestQuestion.id).where(TestQuestion.test_id == test.id).order_by(TestQuestion.position)
        )
    ).all()
    order = list(questions)
    if test.shuffle:
        random.SystemRandom().shuffle(order)
    number = (
        await session.scalar(
            select(func.coalesce(func.max(TestAttempt.number), 0)).where(
                TestAttempt.test_id == test.id, TestAttempt.student_id == student_id
            )
        )
        or 0
    ) + 1
    now = utcnow()
    attempt = TestAttempt(
        test_id=test.id,
        student_id=student_id,
        number=number,
        order=order,
        started_at=now,
        deadline_at=now + dt.timedelta(minutes=test.time_limit_minutes) if test.time_limit_minutes else None,
        identity_file_name_id=identity_file_name_id,
    )
    session.add(attempt)
    await session.flush()
    return attempt


@dataclass(frozen=True, slots=True)
class QuestionView:
    id: int
    text: str
    options: tuple[str, ...]  # in the order the teacher wrote them
    correct: tuple[int, ...]  # indexes of the right options


@dataclass(frozen=True, slots=True)
class Step:
    number: int  # 1-based
    total: int
    question: QuestionView
    shown: tuple[int, ...]  # the question's option indexes in the order this attempt shows them

    @property
    def options(self) -> list[str]:
        return [self.question.options[i] for i in self.shown]

    @property
    def correct_shown(self) -> list[int]:
        return sorted(self.shown.index(i) for i in self.question.correct)


async def option_order(
    session: AsyncSession, attempt: TestAttempt, question: TestQuestion
) -> tuple[int, ...]:
    """With shuffling on, each attempt sees the options in its own order. Seeded by the attempt and the
    question, so the order is the same every time it is asked and when the answer is read back."""
    order = list(range(len(question.options)))
    test = await session.get(QuizTest, attempt.test_id)
    if test is not None and test.shuffle:
        random.Random(f"{attempt.id}:{question.id}").shuffle(order)
    return tuple(order)


async def next_question(session: AsyncSession, attempt: TestAttempt) -> Step | None:
    answered = set(
        (
            await session.scalars(select(TestAnswer.question_id).where(TestAnswer.attempt_id == attempt.id))
        ).all()
    )
    for i, question_id in enumerate(attempt.order):
        if question_id not in answered:
            question = await session.get(TestQuestion, question_id)
            assert question is not None
            shown = await option_order(session, attempt, question)
            view = QuestionView(question.id, question.text, tuple(question.options), tuple(question.correct))
            return Step(i + 1, len(attempt.order), view, shown)
    return None


def out_of_time(attempt: TestAttempt) -> bool:
    return attempt.deadline_at is not None and utcnow() > attempt.deadline_at


async def answer(session: AsyncSession, attempt: TestAttempt, question_id: int, chosen: list[int]) -> bool:
    """Keeps one answer (the first one counts); False if it came too late or was already given.

    `chosen` are positions as this attempt showed the options; they are kept as the question's own
    option indexes."""
    if attempt.finished_at is not None or out_of_time(attempt) or question_id not in attempt.order:
        return False
    exists = await session.scalar(
        select(TestAnswer.id).where(
            TestAnswer.attempt_id == attempt.id, TestAnswer.question_id == question_id
        )
    )
    if exists:
        return False
    question = await session.get(TestQuestion, question_id)
    assert question is not None
    shown = await option_order(session, attempt, question)
    if not all(0 <= i < len(shown) for i in chosen):
        return False
    picked = sorted({shown[i] for i in chosen})
    session.add(
        TestAnswer(
            attempt_id=attempt.id,
            question_id=question_id,
            chosen=picked,
            correct=picked == sorted(question.correct),
        )
    )
    await session.flush()
    return True


async def claim(session: AsyncSession, attempt: TestAttempt) -> bool:
    """Marks the attempt finished unless someone (another process, the tick) already has: the guarded
    UPDATE lets exactly one of them score it and tell the student."""
    now = utcnow()
    result = await session.execute(
        update(TestAttempt)
        .where(TestAttempt.id == attempt.id, TestAttempt.finished_at.is_(None))
        .values(finished_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) == 1:
        set_committed_value(attempt, "finished_at", now)
        return True
    await session.refresh(attempt)
    return False


async def identity_pending(session: AsyncSession, attempt: TestAttempt) -> bool:
    """An attestation's attempt counts only once the teacher has confirmed the identity photo (002 item 16):
    until then (or if rejected) its score is held back from the gradebook."""
    test = await session.get(QuizTest, attempt.test_id)
    if test is None or not test.requires_identity:
        return False
    return attempt.identity_checked_by_id is None or attempt.identity_rejection is not None


async def finish(session: AsyncSession, attempt: TestAttempt) -> Grade | None:
    """Scores the attempt (unanswered questions count as wrong) and puts the best attempt in the gradebook;
    None while the attempt's identity waits for the teacher (the score is kept on the attempt)."""
    if attempt.finished_at is None and not await claim(session, attempt):
        # Finished and scored elsewhere meanwhile: its grade stands.
        done = await session.scalar(
            select(Grade)
            .join(Assignment, Assignment.id == Grade.assignment_id)
            .where(Assignment.test_id == attempt.test_id, Grade.student_id == attempt.student_id)
        )
        if done is not None:
            return done
    questions = (await session.scalars(select(TestQuestion).where(TestQuestion.id.in_(attempt.order)))).all()
    right = set(
        (
            await session.scalars(
                select(TestAnswer.question_id).where(
                    TestAnswer.attempt_id == attempt.id, TestAnswer.correct.is_(True)
                )
            )
        ).all()
    )
    total = sum((Decimal(q.points) for q in questions), Decimal(0))
    earned = sum((Decimal(q.points) for q in questions if q.id in right), Decimal(0))
    assignment = await session.scalar(select(Assignment).where(Assignment.test_id == attempt.test_id))
    assert assignment is not None
    score = (earned * assignment.max_score / total).quantize(Decimal("0.01")) if total else Decimal(0)
    attempt.score = score
    await session.flush()
    if await identity_pending(session, attempt):
        return None
    return await count(session, attempt, assignment)


async def count(session: AsyncSession, attempt: TestAttempt, assignment: Assignment) -> Grade:
    """Puts a scored attempt in the gradebook when it is the student's best."""
    score = Decimal(attempt.score or 0)
    grade = await session.scalar(
        select(Grade).where(Grade.assignment_id == assignment.id, Grade.student_id == attempt.student_id)
    )
    # The student learns the result from the test itself (its last message, or the «test ended»
    # notice); the grade notice goes to the parents only.
    if grade is None:
        return await review.put_grade(
            session, None, assignment, attempt.student_id, score, None, tell_student=False
        )
    if Decimal(grade.score) < score:
        reason = f"test attempt {attempt.number}"  # an automatic change: the better attempt counts
        return await review.change_grade(session, None, grade.id, score, reason, tell_student=False)
    return grade


async def own_attempt(session: AsyncSession, student_id: int, attempt_id: int) -> TestAttempt | None:
    attempt = await session.get(TestAttempt, attempt_id)
    return attempt if attempt is not None and attempt.student_id == student_id else None


# -- unfinished attempts: resumed, or finished when their time or the deadline is over ----------------


async def running_attempt(session: AsyncSession, student_id: int, assignment_id: int) -> TestAttempt | None:
    """The student's unfinished attempt at this assignment's test, if any."""
    return await session.scalar(
        select(TestAttempt)
        .join(Assignment, Assignment.test_id == TestAttempt.test_id)
        .where(
            Assignment.id == assignment_id,
            TestAttempt.student_id == student_id,
            TestAttempt.finished_at.is_(None),
        )
        .order_by(TestAttempt.number.desc())
        .limit(1)
    )


class Over(enum.StrEnum):
    """Why an unfinished attempt can go on no longer."""

    time = "time"  # its time limit
    deadline = "deadline"  # the student's deadline of the assignment
    closed = "closed"  # the teacher closed it


async def over(session: AsyncSession, attempt: TestAttempt) -> Over | None:
    """Why an unfinished attempt can go on no longer; None if it can."""
    if out_of_time(attempt):
        return Over.time
    assignment = await session.scalar(select(Assignment).where(Assignment.test_id == attempt.test_id))
    if assignment is None:
        return None
    if assignment.status == AssignmentStatus.closed:
        return Over.closed
    if await submissions.deadline_for(session, assignment, attempt.student_id) <= utcnow():
        return Over.deadline
    return None


@dataclass(frozen=True, slots=True)
class Ended:
    """An attempt finished because its time or the deadline was over."""

    attempt_id: int
    title: str
    reason: Over
    score: Decimal
    max_score: int
    held: bool = False  # the score waits for the teacher's identity check


ENDED = {
    Over.time: N_(
        "Your attempt at the test «{title}» is over: the time is up. Score: {score} of {max}; "
        "questions left unanswered count as wrong."
    ),
    Over.deadline: N_(
        "Your attempt at the test «{title}» is over: the deadline has passed. Score: {score} of {max}; "
        "questions left unanswered count as wrong."
    ),
    Over.closed: N_(
        "Your attempt at the test «{title}» is over: the teacher has closed the test. "
        "Score: {score} of {max}; questions left unanswered count as wrong."
    ),
}


HELD = N_(
    "Your attempt at the test «{title}» is over. Your result goes into the gradebook once your teacher "
    "has confirmed your identity; you will be told."
)


def ended_text(t: Translator, ended: Ended) -> str:
    if ended.held:
        return t.gettext(HELD).format(title=ended.title)
    return t.gettext(ENDED[ended.reason]).format(
        title=ended.title, score=t.number(ended.score), max=ended.max_score
    )


async def _end(session: AsyncSession, attempt: TestAttempt, reason: Over) -> Ended | None:
    """Finishes an attempt that is over; None if another process finished it first."""
    if not await claim(session, attempt):
        return None
    grade = await finish(session, attempt)
    assignment = await session.scalar(select(Assignment).where(Assignment.test_id == attempt.test_id))
    assert assignment is not None
    return Ended(
        attempt.id, assignment.title, reason, Decimal(attempt.score or 0), assignment.max_score, grade is None
    )


async def end_overdue(session: AsyncSession, student_id: int) -> list[Ended]:
    """Finishes and scores this student's unfinished attempts that are over (when the student comes
    back: the tests list, an assignment's card, starting the test again)."""
    attempts = (
        await session.scalars(
            select(TestAttempt).where(TestAttempt.student_id == student_id, TestAttempt.finished_at.is_(None))
        )
    ).all()
    out = []
    for attempt in attempts:
        reason = await over(session, attempt)
        if reason is not None and (ended := await _end(session, attempt, reason)) is not None:
            out.append(ended)
    return out


async def overdue_ids(session: AsyncSession, limit: int = 200) -> list[int]:
    """Unfinished attempts that may be over: past their time limit, or their assignment is past its
    deadline (an extension is checked per attempt) or closed."""
    now = utcnow()
    rows = await session.scalars(
        select(TestAttempt.id)
        .join(Assignment, Assignment.test_id == TestAttempt.test_id)
        .outerjoin(
            Extension,
            (Extension.assignment_id == Assignment.id) & (Extension.student_id == TestAttempt.student_id),
        )
        .where(
            TestAttempt.finished_at.is_(None),
            (TestAttempt.deadline_at <= now)
            | (Assignment.status == AssignmentStatus.closed)
            | ((Assignment.deadline <= now) & ((Extension.deadline.is_(None)) | (Extension.deadline <= now))),
        )
        .order_by(TestAttempt.id)
        .limit(limit)
    )
    return list(rows.all())


async def end_one(session: AsyncSession, attempt_id: int) -> bool:
    """Finishes one attempt if it is over, and tells the student the result; idempotent."""
    attempt = await session.get(TestAttempt, attempt_id)
    if attempt is None or attempt.finished_at is not None:
        return False
    reason = await over(session, attempt)
    if reason is None:
        return False
    ended = await _end(session, attempt, reason)
    if ended is None:
        return False
    await notify(
        session,
        [attempt.student_id],
        lambda t: Reply(ended_text(t, ended)),
        kind="test_ended",
        dedupe_prefix=f"testend:{attempt.id}",
    )
    return True


async def overdue_tick(runtime: Any) -> int:
    """Finishes and scores attempts whose time or deadline is over, so the grade reaches the gradebook
    even if the student never comes back. Each attempt in its own transaction; the guarded UPDATE in
    claim makes two processes (or the student's own message) finish it once."""
    async with runtime.sessions() as session:
        ids = await overdue_ids(session)
    done = 0
    for attempt_id in ids:
        async with runtime.sessions() as session, session.begin():
            done += await end_one(session, attempt_id)
    return done


async def start_action(session: AsyncSession, student_id: int, assignment_id: int) -> str | None:
    """What the test's button should offer this student: "continue" while an attempt runs, "start"
    when one may be started (or the refusal is something the student can act on: admission, identity),
    None when no attempt can be started any more."""
    running = await running_attempt(session, student_id, assignment_id)
    if running is not None and await over(session, running) is None:
        return "continue"
    try:
        await check_start(session, student_id, assignment_id)
    except QuizError as exc:
        if exc.reason in (StartReason.unknown, StartReason.closed, StartReason.past, StartReason.no_attempts):
            return None
    return "start"


async def answered(session: AsyncSession, attempt: TestAttempt) -> int:
    return (await session.scalar(select(func.count()).where(TestAnswer.attempt_id == attempt.id))) or 0


# -- results once the test is closed: which answers were wrong, never while classmates may still take it
@dataclass(frozen=True, slots=True)
class Wrong:
    number: int  # the question's place in the test, from 1
    question: str
    right: list[str]  # the right options' texts


async def wrong_answers(
    session: AsyncSession, student_id: int, assignment: Assignment, now: dt.datetime
) -> list[Wrong] | None:
    """The questions of the student's last finished attempt answered wrongly (or not at all); None while the
    test is still open or the student has not finished an attempt."""
    if assignment.test_id is None:
        return None
    if assignment.status != AssignmentStatus.closed and now <= assignment.deadline:
        return None
    attempt = await session.scalar(
        select(TestAttempt)
        .where(
            TestAttempt.test_id == assignment.test_id,
            TestAttempt.student_id == student_id,
            TestAttempt.finished_at.is_not(None),
        )
        .order_by(TestAttempt.number.desc())
        .limit(1)
    )
    if attempt is None:
        return None
    right = set(
        (
            await session.scalars(
                select(TestAnswer.question_id).where(TestAnswer.attempt_id == attempt.id, TestAnswer.correct)
            )
        ).all()
    )
    questions = (
        await session.scalars(
            select(TestQuestion)
            .where(TestQuestion.test_id == assignment.test_id)
            .order_by(TestQuestion.position)
        )
    ).all()
    return [
        Wrong(n, q.text, [q.options[i] for i in q.correct if 0 <= i < len(q.options)])
        for n, q in enumerate(questions, start=1)
        if q.id not in right
    ]
