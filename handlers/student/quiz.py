"""Tests, the student's side: taking one.

On Telegram each question is a quiz poll (Reply.quiz, its answer comes back as
Incoming.quiz_answer with our ref); elsewhere it is a numbered question with buttons,
and a typed "1,3" answers a question with several right options.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.actions.student import AnswerOption, StartTest, Tests
from bot.core.context import Joined
from bot.core.menus import menus
from bot.core.messages import Quiz
from bot.core.router import Dialog
from bot.i18n import N_
from bot.services.coursework import quizzes
from bot.services.coursework.quizzes import Over, QuizError, StartReason
from db.base import utcnow
from db.models import Assignment, Channel, Role, TestAttempt
from handlers.student import router
from handlers.ui import (
    menu_row,
)
from handlers.views import not_admitted_text

STUDENT = [Role.student]
taking = router.add_dialog(Dialog("quiz", roles=STUDENT))

menus.add(Role.student, N_("Tests"), Tests(), order=35)

START_ERRORS = {
    StartReason.unknown: N_("This test is not available to you."),
    StartReason.closed: N_("This test is closed."),
    StartReason.past: N_("The deadline of this test has passed."),
    StartReason.no_attempts: N_("You have used all your attempts at this test."),
    StartReason.identity: N_("Send a photo of yourself holding your ID first."),
}


# -- taking --------------------------------------------------------------------------------------


OVER = {
    Over.time: N_("The time is up."),
    Over.deadline: N_("The deadline of this test has passed."),
    Over.closed: N_("This test is closed."),
}


def _ended_lines(ctx: Joined, ended: list[quizzes.Ended]) -> list[str]:
    return [quizzes.ended_text(ctx.t, e) for e in ended]


@router.action(Tests, roles=STUDENT)
async def student_tests(ctx: Joined, _: Tests) -> None:
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
        rows.append([StartTest(a.id).button(label)])
    ctx.reply("\n\n".join(notes + [ctx._("Open tests:")]), buttons=rows + [menu_row(ctx)])


def start_refused(ctx: Joined, exc: QuizError, notes: list[str] | None = None) -> None:
    if exc.reason == StartReason.not_admitted and exc.admission is not None:
        text = not_admitted_text(ctx.t, exc.admission)
    else:
        text = ctx._(START_ERRORS[exc.reason])
    ctx.reply("\n\n".join((notes or []) + [text]), buttons=[menu_row(ctx)])


@router.action(StartTest, roles=STUDENT)
async def start_test(ctx: Joined, action: StartTest) -> None:
    # An attempt left over its time or past the deadline is scored now; one still running goes on.
    notes = _ended_lines(ctx, await quizzes.end_overdue(ctx.session, ctx.person.id))
    running = await quizzes.running_attempt(ctx.session, ctx.person.id, action.assignment_id)
    if running is not None:
        await _resume(ctx, running)
        return
    try:
        assignment, test = await quizzes.check_start(ctx.session, ctx.person.id, action.assignment_id)
    except QuizError as exc:
        if notes and exc.reason in (StartReason.no_attempts, StartReason.past, StartReason.closed):
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


async def _resume(ctx: Joined, attempt: TestAttempt) -> None:
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
async def identity_step(ctx: Joined) -> None:
    photos = [a for a in ctx.incoming.attachments if a.kind == "photo" and a.file_name_id]
    if not photos:
        ctx.reply(ctx._("Send a photo of yourself holding your ID first."))
        return
    await _begin_attempt(ctx, ctx.data["assignment_id"], photos[0].file_name_id)


async def _begin_attempt(ctx: Joined, assignment_id: int, identity: int | None) -> None:
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


async def _ask(ctx: Joined, attempt: TestAttempt) -> None:
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
    answer = [AnswerOption(attempt.id, q.id, i) for i in range(1, len(q.options) + 1)]
    if ctx.incoming.channel == Channel.whatsapp and not many:
        # WhatsApp numbers the buttons itself: the options are the buttons, listed once.
        buttons = [[action.button(option)] for option, action in zip(step.options, answer, strict=True)]
        ctx.reply(f"{head}.\n{q.text}", buttons=buttons)
        return
    lines = [f"{head}.", q.text, ""] + [f"{i}. {option}" for i, option in enumerate(step.options, start=1)]
    if many:
        lines += ["", ctx._("Several options are right: type their numbers, for example 1,3.")]
    # Each button names its attempt and question, so a press on an old message (or a double tap)
    # cannot answer the question that came after it.
    ctx.reply(
        "\n".join(lines),
        buttons=[] if many else [[action.button(str(action.option)) for action in answer]],
    )


def _chosen(text: str, count: int) -> list[int] | None:
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    if not parts or not all(p.isdigit() and 1 <= int(p) <= count for p in parts):
        return None
    return sorted({int(p) - 1 for p in parts})


async def _current(ctx: Joined, attempt: TestAttempt | None) -> quizzes.Step | None:
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


async def _take(ctx: Joined, attempt: TestAttempt, step: quizzes.Step, raw: str) -> None:
    chosen = _chosen(raw, len(step.question.options))
    if chosen is None:
        ctx.reply(ctx._("Answer with the option's number, from 1 to {n}.", n=len(step.question.options)))
        return
    await quizzes.answer(ctx.session, attempt, step.question.id, chosen)
    await _ask(ctx, attempt)


@taking.step("answer")
async def answer_step(ctx: Joined) -> None:
    attempt = await quizzes.own_attempt(ctx.session, ctx.person.id, ctx.data["attempt_id"])
    step = await _current(ctx, attempt)
    if attempt is None or step is None:
        return
    if ctx.incoming.button:  # a dialog button of an older version, which did not say its question
        ctx.reply(ctx._("This question is already answered. Here is the current one."))
        await _ask(ctx, attempt)
        return
    await _take(ctx, attempt, step, ctx.incoming.text or "")


@router.action(AnswerOption, roles=STUDENT)
async def answer_button(ctx: Joined, action: AnswerOption) -> None:
    """Counts only for the question the attempt waits for; it also brings the student back into the
    test if they had left it."""
    attempt = await quizzes.own_attempt(ctx.session, ctx.person.id, action.attempt_id)
    step = await _current(ctx, attempt)
    if attempt is None or step is None:
        return
    await ctx.start_dialog("quiz", "answer", attempt_id=attempt.id)
    if step.question.id != action.question_id:
        ctx.reply(ctx._("This question is already answered. Here is the current one."))
        await _ask(ctx, attempt)
        return
    await _take(ctx, attempt, step, str(action.option))


async def quiz_answer(ctx: Joined) -> None:
    """A Telegram quiz poll's answer: the ref says which attempt and question."""
    answer = ctx.incoming.quiz_answer
    assert answer is not None
    parts = answer.quiz_id.split(":")
    if len(parts) != 3 or parts[0] != "qz" or not (parts[1].isdigit() and parts[2].isdigit()):
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


async def _finish(ctx: Joined, attempt: TestAttempt, reason: Over | None = None) -> None:
    grade = await quizzes.finish(ctx.session, attempt)
    if ctx.dialog is not None:
        await ctx.end_dialog()
    text = ctx._(OVER[reason]) + " " if reason else ""
    if grade is None:  # an attestation: the score waits for the teacher's identity check (002 item 16)
        text += ctx._(
            "The test is finished. Your result goes into the gradebook once your teacher has confirmed "
            "your identity; you will be told."
        )
        ctx.reply(text, buttons=[menu_row(ctx)])
        return
    text += ctx._(
        "The test is finished: {score} of {max}. It is in the gradebook.",
        score=ctx.t.number(attempt.score or 0),
        max=await _max(ctx, attempt),
    )
    if grade.score != attempt.score:
        text += " " + ctx._("Your best attempt counts: {score}.", score=ctx.t.number(grade.score))
    ctx.reply(text, buttons=[menu_row(ctx)])


async def _max(ctx: Joined, attempt: TestAttempt) -> int:
    return (
        await ctx.session.scalar(select(Assignment.max_score).where(Assignment.test_id == attempt.test_id))
    ) or 0
