"""Tests: a teacher builds one in chat or from a file; a student takes it.

On Telegram each question is a quiz poll (Reply.quiz, its answer comes back as
Incoming.quiz_answer with our ref); elsewhere it is a numbered question with buttons,
and a typed "1,3" answers a question with several right options.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core.context import Context
from bot.core.menus import menus
from bot.core.messages import Button, OutFile, Quiz
from bot.core.router import Dialog, Router, dialog_button
from bot.i18n import N_
from bot.labels import CONTROL_TYPE_NAMES
from bot.services import quizzes
from bot.services.deadlines import DeadlineError
from bot.services.quizzes import QuestionDraft, QuizError, TestSettings
from db.base import utcnow
from db.models import Assignment, Channel, ControlType, Role, TestAttempt
from handlers.teaching_ui import (
    choice,
    confirmed,
    deadline_buttons,
    go_on_with_course,
    menu_row,
    not_yours,
    pick_course,
    publish_buttons,
    read_deadline,
    stamp,
    unstamp,
)

router = Router()
TEACHER, STUDENT = [Role.teacher], [Role.student]
building = router.add_dialog(Dialog("quizbuild", roles=TEACHER))
taking = router.add_dialog(Dialog("quiz", roles=STUDENT))

menus.add(Role.teacher, N_("New test"), "tquiz", order=40)
menus.add(Role.teacher, N_("Identity checks"), "tid", order=45)
menus.add(Role.student, N_("Tests"), "quizzes", order=35)

QUIZ_ERRORS = {
    "no_questions": N_(
        "I found no questions. Separate questions with an empty line; mark the right options with *."
    ),
    "no_options": N_("Question {n} needs from 2 to 10 options, one per line."),
    "no_correct": N_("Question {n} has no right option: mark it with * at the start of the line."),
}
START_ERRORS = {
    "unknown": N_("This test is not available to you."),
    "closed": N_("This test is closed."),
    "past": N_("The deadline of this test has passed."),
    "no_attempts": N_("You have used all your attempts at this test."),
    "identity": N_("Send a photo of yourself holding your ID first."),
}
FORMAT_HELP = N_(
    "Send the questions as text or as a file (TXT, CSV, XLSX). In text: the question on the first line, "
    "the options below it, one per line, the right ones marked with *; an empty line between questions. "
    "In CSV/XLSX: a row per question — question, options, and the numbers of the right options "
    "in the last column."
)


# -- building ----------------------------------------------------------------------------------


@router.button("tquiz", roles=TEACHER)
async def begin(ctx: Context) -> None:
    await pick_course(ctx, "quizbuild", "course", ctx._("New test. Choose the course and group:"))


@building.step("course")
async def course_step(ctx: Context) -> None:
    if not await go_on_with_course(ctx, "title"):
        return
    ctx.reply(ctx._("The title of the test?"))


@building.step("title")
async def title_step(ctx: Context) -> None:
    title = " ".join((ctx.incoming.text or "").split())
    if not title:
        ctx.reply(ctx._("The title is empty. Send the test's title."))
        return
    await ctx.goto("questions", title=title[:300])
    ctx.reply(ctx._(FORMAT_HELP))


@building.step("questions")
async def questions_step(ctx: Context) -> None:
    try:
        if ctx.incoming.attachments:
            stored = await ctx.runtime.files.load(ctx.session, ctx.incoming.attachments[0].file_name_id or 0)
            questions = quizzes.parse_file(stored.data, stored.name)
        else:
            questions = quizzes.parse_text(ctx.incoming.text or "")
    except QuizError as exc:
        ctx.reply(ctx._(QUIZ_ERRORS[exc.reason], n=exc.number))
        return
    except Exception:  # a damaged spreadsheet: say so rather than fail the whole message
        ctx.reply(ctx._("I could not read this file. Send TXT, CSV or XLSX."))
        return
    await ctx.goto("limit", questions=[[q.text, q.options, q.correct] for q in questions])
    ctx.reply(
        ctx.n_("Read {n} question.", "Read {n} questions.", len(questions))
        + " "
        + ctx._("The time limit in minutes? Type a number or press a button."),
        buttons=[
            [Button(str(n), dialog_button(n)) for n in (10, 20, 30, 45)],
            [Button(ctx._("No limit"), dialog_button(0))],
        ],
    )


def _whole(ctx: Context, low: int, high: int) -> int | None:
    raw = (choice(ctx) or ctx.incoming.text or "").strip()
    if raw.isdigit() and low <= int(raw) <= high:
        return int(raw)
    ctx.reply(ctx._("Type a whole number from {low} to {high}.", low=low, high=high))
    return None


@building.step("limit")
async def limit_step(ctx: Context) -> None:
    minutes = _whole(ctx, 0, 600)
    if minutes is None:
        return
    await ctx.goto("attempts", limit=minutes or None)
    ctx.reply(ctx._("How many attempts?"), buttons=[[Button(str(n), dialog_button(n)) for n in (1, 2, 3)]])


@building.step("attempts")
async def attempts_step(ctx: Context) -> None:
    attempts = _whole(ctx, 1, 10)
    if attempts is None:
        return
    await ctx.goto("shuffle", attempts=attempts)
    ctx.reply(
        ctx._("Shuffle the questions and their options for each student?"),
        buttons=[[Button(ctx._("yes"), dialog_button("yes")), Button(ctx._("no"), dialog_button("no"))]],
    )


@building.step("shuffle")
async def shuffle_step(ctx: Context) -> None:
    if choice(ctx) not in ("yes", "no"):
        ctx.reply(ctx._("Choose with a button."))
        return
    await ctx.goto("control", shuffle=choice(ctx) == "yes")
    ctx.reply(
        ctx._("The form of control?"),
        buttons=[[Button(ctx._(CONTROL_TYPE_NAMES[c]), dialog_button(c.value))] for c in ControlType],
    )


@building.step("control")
async def control_step(ctx: Context) -> None:
    if choice(ctx) not in {c.value for c in ControlType}:
        ctx.reply(ctx._("Choose with a button."))
        return
    await ctx.goto("deadline", control=choice(ctx))
    ctx.reply(ctx._("Open until? Write the deadline or press a button."), buttons=deadline_buttons(ctx))


@building.step("deadline")
async def deadline_step(ctx: Context) -> None:
    deadline = read_deadline(ctx)
    if deadline is None:
        return
    await ctx.goto("preview", deadline=stamp(deadline))
    data = ctx.data
    control = ControlType(data["control"])
    lines = [
        ctx._("Test «{title}»", title=data["title"]),
        ctx.n_("{n} question", "{n} questions", len(data["questions"])),
        ctx._("Time limit: {n} min", n=data["limit"]) if data["limit"] else ctx._("No time limit"),
        ctx._("Attempts: {n}", n=data["attempts"]),
        ctx._("Deadline: {deadline}", deadline=ctx.t.datetime(deadline)),
        ctx._("Control: {control}", control=ctx._(CONTROL_TYPE_NAMES[control])),
    ]
    if control in quizzes.ATTESTATION:
        lines.append(
            ctx._(
                "Attestation: students send a photo with their ID first, and only those who have done "
                "every control measure of the discipline are admitted."
            )
        )
    ctx.reply(
        "\n".join(lines),
        buttons=publish_buttons(ctx),
    )


@building.step("preview")
async def preview_step(ctx: Context) -> None:
    assert ctx.person is not None
    if not await confirmed(ctx):
        return
    data = ctx.data
    questions = [QuestionDraft(text, options, correct) for text, options, correct in data["questions"]]
    settings = TestSettings(
        title=data["title"],
        deadline=unstamp(data["deadline"]),
        time_limit_minutes=data["limit"],
        attempts=data["attempts"],
        shuffle=data["shuffle"],
        control_type=ControlType(data["control"]),
    )
    try:
        assignment = await quizzes.create(ctx.session, ctx.person.id, data["course_id"], questions, settings)
    except DeadlineError:
        await ctx.goto("deadline")
        ctx.reply(
            ctx._("The deadline has passed while we talked. Choose a later one."),
            buttons=deadline_buttons(ctx),
        )
        return
    await ctx.end_dialog()
    ctx.reply(
        ctx._(
            "The test «{title}» is published; the students and their parents have been told.",
            title=assignment.title,
        ),
        buttons=[[Button(ctx._("Open the assignment"), f"tasg:{assignment.id}")], menu_row(ctx)],
    )


# -- identity photos for the teacher to check ------------------------------------------------


@router.button("tid", roles=TEACHER)
async def identity_checks(ctx: Context) -> None:
    assert ctx.person is not None
    if ctx.args and ctx.args[0].isdigit():
        confirmed = await quizzes.confirm_identity(ctx.session, ctx.person.id, int(ctx.args[0]))
        if confirmed is None:
            not_yours(ctx)
            return
    queue = await quizzes.identity_queue(ctx.session, ctx.person.id)
    if not queue:
        ctx.reply(ctx._("No identity photos wait for a check."), buttons=[menu_row(ctx)])
        return
    attempt, student, title = queue[0]
    ctx.reply(
        ctx._(
            "Identity check: {student}, test «{title}», started {when}.",
            student=student,
            title=title,
            when=ctx.t.datetime(attempt.started_at),
        ),
        files=[OutFile(attempt.identity_file_name_id or 0)],
        buttons=[[Button(ctx._("The identity is confirmed"), f"tid:{attempt.id}")], menu_row(ctx)],
    )


# -- taking --------------------------------------------------------------------------------------


OVER = {
    "time": N_("The time is up."),
    "deadline": N_("The deadline of this test has passed."),
    "closed": N_("This test is closed."),
}


def _ended_lines(ctx: Context, ended: list[quizzes.Ended]) -> list[str]:
    return [quizzes.ended_text(ctx.t, e) for e in ended]


@router.button("quizzes", roles=STUDENT)
async def student_tests(ctx: Context) -> None:
    assert ctx.person is not None
    notes = _ended_lines(ctx, await quizzes.end_overdue(ctx.session, ctx.person.id))
    tests = await quizzes.open_tests(ctx.session, ctx.person.id)
    if not tests:
        ctx.reply(
            "\n\n".join(notes + [ctx._("There are no open tests for you now.")]), buttons=[menu_row(ctx)]
        )
        return
    rows = []
    for a in tests:
        label = f"{a.title} · {ctx.t.datetime(a.deadline, 'd.MM HH:mm')}"
        if await quizzes.start_action(ctx.session, ctx.person.id, a.id) == "continue":
            label = ctx._("Continue: {title}", title=a.title)
        rows.append([Button(label, f"quiz:{a.id}")])
    ctx.reply("\n\n".join(notes + [ctx._("Open tests:")]), buttons=rows + [menu_row(ctx)])


def start_refused(ctx: Context, exc: QuizError, notes: list[str] | None = None) -> None:
    if exc.reason == "not_admitted":
        text = ctx._(
            "You are not admitted to this attestation yet: first do every control measure of the discipline. "
            "Still to do: {missing}.",
            missing="; ".join(f"«{m}»" for m in exc.missing),
        )
    else:
        text = ctx._(START_ERRORS[exc.reason])
    ctx.reply("\n\n".join((notes or []) + [text]), buttons=[menu_row(ctx)])


@router.button("quiz", roles=STUDENT)
async def start_test(ctx: Context) -> None:
    assert ctx.person is not None
    arg = ctx.args[0] if ctx.args else ""
    if not arg.isdigit():
        start_refused(ctx, QuizError("unknown"))
        return
    # An attempt left over its time or past the deadline is scored now; one still running goes on.
    notes = _ended_lines(ctx, await quizzes.end_overdue(ctx.session, ctx.person.id))
    running = await quizzes.running_attempt(ctx.session, ctx.person.id, int(arg))
    if running is not None:
        await _resume(ctx, running)
        return
    try:
        assignment, test = await quizzes.check_start(ctx.session, ctx.person.id, int(arg))
    except QuizError as exc:
        if notes and exc.reason in ("no_attempts", "past", "closed"):
            ctx.reply("\n\n".join(notes), buttons=[menu_row(ctx)])  # the result says it all
        else:
            start_refused(ctx, exc, notes)
        return
    if notes:
        ctx.reply("\n\n".join(notes))
    if test.requires_identity:
        await ctx.start_dialog("quiz", "identity", assignment_id=assignment.id)
        ctx.reply(
            ctx._(
                "This is an attestation: send a photo of yourself holding your ID (online proctoring). "
                "Your teacher will check it."
            )
        )
        return
    await _begin_attempt(ctx, assignment.id, None)


async def _resume(ctx: Context, attempt: TestAttempt) -> None:
    """Back to an unfinished attempt (the student left the dialog): on at the next unanswered question."""
    await ctx.start_dialog("quiz", "answer", attempt_id=attempt.id)
    text = ctx._(
        "You continue the test where you stopped: {done} of {total} questions answered.",
        done=await quizzes.answered(ctx.session, attempt),
        total=len(attempt.order),
    )
    if attempt.deadline_at:
        text += " " + ctx._("Finish by {time}.", time=ctx.t.time(attempt.deadline_at))
    ctx.reply(text)
    await _ask(ctx, attempt)


@taking.step("identity")
async def identity_step(ctx: Context) -> None:
    photos = [a for a in ctx.incoming.attachments if a.kind == "photo" and a.file_name_id]
    if not photos:
        ctx.reply(ctx._("Send a photo of yourself holding your ID first."))
        return
    await _begin_attempt(ctx, ctx.data["assignment_id"], photos[0].file_name_id)


async def _begin_attempt(ctx: Context, assignment_id: int, identity: int | None) -> None:
    assert ctx.person is not None
    try:
        attempt = await quizzes.start(ctx.session, ctx.person.id, assignment_id, identity)
    except QuizError as exc:
        await ctx.end_dialog()
        start_refused(ctx, exc)
        return
    await ctx.start_dialog("quiz", "answer", attempt_id=attempt.id)
    text = ctx.n_("The test has {n} question.", "The test has {n} questions.", len(attempt.order))
    if attempt.deadline_at:
        text += " " + ctx._("Finish by {time}.", time=ctx.t.time(attempt.deadline_at))
    ctx.reply(text)
    await _ask(ctx, attempt)


async def _ask(ctx: Context, attempt: TestAttempt) -> None:
    reason = await quizzes.over(ctx.session, attempt)
    step = await quizzes.next_question(ctx.session, attempt)
    if step is None or reason is not None:
        await _finish(ctx, attempt, reason)
        return
    q = step.question
    head = ctx._("Question {n} of {total}", n=step.number, total=step.total)
    many = len(q.correct) > 1
    # A Telegram quiz poll holds 300 characters of question and 100 per option; a longer question is
    # asked as numbered text rather than cut.
    fits_poll = len(f"{head}. {q.text}") <= 300 and all(len(o) <= 100 for o in step.options)
    if ctx.incoming.channel == Channel.telegram and not many and fits_poll:
        # The poll's countdown shows the time this attempt has left, not the whole limit.
        seconds = int((attempt.deadline_at - utcnow()).total_seconds()) if attempt.deadline_at else None
        ctx.reply(
            quiz=Quiz(
                question=f"{head}. {q.text}",
                options=tuple(step.options),
                correct_option=step.correct_shown[0],
                ref=f"qz:{attempt.id}:{q.id}",
                open_seconds=min(max(seconds, 5), 600) if seconds else None,
            )
        )
        return
    answer = [f"qa:{attempt.id}:{q.id}:{i}" for i in range(1, len(q.options) + 1)]
    if ctx.incoming.channel == Channel.whatsapp and not many:
        # WhatsApp numbers the buttons itself: the options are the buttons, listed once.
        buttons = [[Button(option, payload)] for option, payload in zip(step.options, answer, strict=True)]
        ctx.reply(f"{head}.\n{q.text}", buttons=buttons)
        return
    lines = [f"{head}.", q.text, ""] + [f"{i}. {option}" for i, option in enumerate(step.options, start=1)]
    if many:
        lines += ["", ctx._("Several options are right: type their numbers, for example 1,3.")]
    # Each button names its attempt and question, so a press on an old message (or a double tap)
    # cannot answer the question that came after it.
    ctx.reply(
        "\n".join(lines),
        buttons=[] if many else [[Button(str(i), payload) for i, payload in enumerate(answer, start=1)]],
    )


def _chosen(text: str, count: int) -> list[int] | None:
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    if not parts or not all(p.isdigit() and 1 <= int(p) <= count for p in parts):
        return None
    return sorted({int(p) - 1 for p in parts})


async def _current(ctx: Context, attempt: TestAttempt | None) -> quizzes.Step | None:
    """The question the attempt waits for; None (with the student told why) if it waits for none."""
    if attempt is None:
        await ctx.end_dialog()
        ctx.reply(ctx._("This button is no longer active."), buttons=[menu_row(ctx)])
        return None
    if attempt.finished_at is not None:
        await ctx.end_dialog()
        ctx.reply(ctx._("This attempt at the test is already finished."), buttons=[menu_row(ctx)])
        return None
    reason = await quizzes.over(ctx.session, attempt)
    step = await quizzes.next_question(ctx.session, attempt)
    if step is None or reason is not None:
        await _finish(ctx, attempt, reason)
        return None
    return step


async def _take(ctx: Context, attempt: TestAttempt, step: quizzes.Step, raw: str) -> None:
    chosen = _chosen(raw, len(step.question.options))
    if chosen is None:
        ctx.reply(ctx._("Answer with the option's number, from 1 to {n}.", n=len(step.question.options)))
        return
    await quizzes.answer(ctx.session, attempt, step.question.id, chosen)
    await _ask(ctx, attempt)


@taking.step("answer")
async def answer_step(ctx: Context) -> None:
    assert ctx.person is not None
    attempt = await quizzes.own_attempt(ctx.session, ctx.person.id, ctx.data["attempt_id"])
    step = await _current(ctx, attempt)
    if attempt is None or step is None:
        return
    if ctx.incoming.button:  # a dialog button of an older version, which did not say its question
        ctx.reply(ctx._("This question is already answered. Here is the current one."))
        await _ask(ctx, attempt)
        return
    await _take(ctx, attempt, step, ctx.incoming.text or "")


@router.button("qa", roles=STUDENT)
async def answer_button(ctx: Context) -> None:
    """qa:<attempt>:<question>:<option number>. Counts only for the question the attempt waits for;
    it also brings the student back into the test if they had left it."""
    assert ctx.person is not None
    args = ctx.args
    if len(args) != 3 or not all(a.isdigit() for a in args):
        ctx.reply(ctx._("This button is no longer active."), buttons=[menu_row(ctx)])
        return
    attempt = await quizzes.own_attempt(ctx.session, ctx.person.id, int(args[0]))
    step = await _current(ctx, attempt)
    if attempt is None or step is None:
        return
    await ctx.start_dialog("quiz", "answer", attempt_id=attempt.id)
    if step.question.id != int(args[1]):
        ctx.reply(ctx._("This question is already answered. Here is the current one."))
        await _ask(ctx, attempt)
        return
    await _take(ctx, attempt, step, args[2])


async def quiz_answer(ctx: Context) -> None:
    """A Telegram quiz poll's answer: the ref says which attempt and question."""
    answer = ctx.incoming.quiz_answer
    assert answer is not None
    parts = answer.quiz_id.split(":")
    if (
        ctx.person is None
        or len(parts) != 3
        or parts[0] != "qz"
        or not (parts[1].isdigit() and parts[2].isdigit())
    ):
        return  # a poll that is not one of our tests' questions
    attempt = await quizzes.own_attempt(ctx.session, ctx.person.id, int(parts[1]))
    if attempt is None or attempt.finished_at is not None:
        return
    reason = await quizzes.over(ctx.session, attempt)
    if reason is not None:
        await _finish(ctx, attempt, reason)
        return
    await quizzes.answer(ctx.session, attempt, int(parts[2]), list(answer.option_ids))
    await _ask(ctx, attempt)


router.quiz_handler = quiz_answer


async def _finish(ctx: Context, attempt: TestAttempt, reason: str | None = None) -> None:
    grade = await quizzes.finish(ctx.session, attempt)
    if ctx.dialog is not None:
        await ctx.end_dialog()
    text = ctx._(OVER[reason]) + " " if reason else ""
    text += ctx._(
        "The test is finished: {score} of {max}. It is in the gradebook.",
        score=ctx.t.number(attempt.score or 0),
        max=await _max(ctx, attempt),
    )
    if grade.score != attempt.score:
        text += " " + ctx._("Your best attempt counts: {score}.", score=ctx.t.number(grade.score))
    ctx.reply(text, buttons=[menu_row(ctx)])


async def _max(ctx: Context, attempt: TestAttempt) -> int:
    return (
        await ctx.session.scalar(select(Assignment.max_score).where(Assignment.test_id == attempt.test_id))
    ) or 0
