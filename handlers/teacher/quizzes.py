"""Tests, the teacher's side: building one in chat or from a file, and checking the identity photos."""

from __future__ import annotations

from bot.actions.teacher import IdentityChecks, MyAssignments, NewTest, RejectIdentity
from bot.core.context import Joined
from bot.core.menus import menus
from bot.core.messages import Button, OutFile
from bot.core.router import Dialog, dialog_button
from bot.i18n import N_
from bot.labels import CONTROL_TYPE_NAMES
from bot.services.attestation import proctoring
from bot.services.attestation.proctoring import Kind
from bot.services.coursework import quizzes
from bot.services.coursework.deadlines import DeadlineError
from bot.services.coursework.quizzes import ParseReason, QuestionDraft, QuestionsError, TestSettings
from bot.services.messaging import notices
from db.models import ControlType, Course, Role
from handlers.teacher import router
from handlers.ui import (
    choice,
    confirmed,
    deadline_buttons,
    early_attestation_warning,
    go_on_with_course,
    menu_row,
    not_yours,
    pick_course,
    publish_buttons,
    read_deadline,
    stamp,
    told_lines,
    unstamp,
)

TEACHER = [Role.teacher]
building = router.add_dialog(Dialog("quizbuild", roles=TEACHER))
rejecting = router.add_dialog(Dialog("idreject", roles=TEACHER))

menus.add(Role.teacher, N_("New test"), NewTest(), order=40)
menus.add(Role.teacher, N_("Identity checks"), IdentityChecks(), order=45)

QUIZ_ERRORS = {
    ParseReason.no_questions: N_(
        "I found no questions. Separate questions with an empty line; mark the right options with *."
    ),
    ParseReason.no_options: N_("Question {n} needs from 2 to 10 options, one per line."),
    ParseReason.no_correct: N_("Question {n} has no right option: mark it with * at the start of the line."),
}
FORMAT_HELP = N_(
    "Send the questions as text or as a file (TXT, CSV, XLSX). In text: the question on the first line, "
    "the options below it, one per line, the right ones marked with *; an empty line between questions. "
    "In CSV/XLSX: a row per question — question, options, and the numbers of the right options "
    "in the last column."
)


# -- building ----------------------------------------------------------------------------------


@router.action(NewTest, roles=TEACHER)
async def begin(ctx: Joined, _: NewTest) -> None:
    await pick_course(ctx, "quizbuild", "course", ctx._("New test. Choose the course and group:"))


@building.step("course")
async def course_step(ctx: Joined) -> None:
    if not await go_on_with_course(ctx, "title"):
        return
    ctx.reply(ctx._("The title of the test?"))


@building.step("title")
async def title_step(ctx: Joined) -> None:
    title = " ".join((ctx.incoming.text or "").split())
    if not title:
        ctx.reply(ctx._("The title is empty. Send the test's title."))
        return
    await ctx.goto("questions", title=title[:300])
    ctx.reply(ctx._(FORMAT_HELP))


@building.step("questions")
async def questions_step(ctx: Joined) -> None:
    try:
        if ctx.incoming.attachments:
            stored = await ctx.deps.files.load(ctx.session, ctx.incoming.attachments[0].file_name_id or 0)
            questions = quizzes.parse_file(stored.data, stored.name)
        else:
            questions = quizzes.parse_text(ctx.incoming.text or "")
    except QuestionsError as exc:
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


def _whole(ctx: Joined, low: int, high: int) -> int | None:
    raw = (choice(ctx) or ctx.incoming.text or "").strip()
    if raw.isdigit() and low <= int(raw) <= high:
        return int(raw)
    ctx.reply(ctx._("Type a whole number from {low} to {high}.", low=low, high=high))
    return None


@building.step("limit")
async def limit_step(ctx: Joined) -> None:
    minutes = _whole(ctx, 0, 600)
    if minutes is None:
        return
    await ctx.goto("attempts", limit=minutes or None)
    ctx.reply(ctx._("How many attempts?"), buttons=[[Button(str(n), dialog_button(n)) for n in (1, 2, 3)]])


@building.step("attempts")
async def attempts_step(ctx: Joined) -> None:
    attempts = _whole(ctx, 1, 10)
    if attempts is None:
        return
    await ctx.goto("shuffle", attempts=attempts)
    ctx.reply(
        ctx._("Shuffle the questions and their options for each student?"),
        buttons=[[Button(ctx._("yes"), dialog_button("yes")), Button(ctx._("no"), dialog_button("no"))]],
    )


@building.step("shuffle")
async def shuffle_step(ctx: Joined) -> None:
    if choice(ctx) not in ("yes", "no"):
        ctx.ask_again(ctx._("Choose with a button."))
        return
    await ctx.goto("control", shuffle=choice(ctx) == "yes")
    ctx.reply(
        ctx._("The form of control?"),
        buttons=[[Button(ctx._(CONTROL_TYPE_NAMES[c]), dialog_button(c.value))] for c in ControlType],
    )


@building.step("control")
async def control_step(ctx: Joined) -> None:
    if choice(ctx) not in {c.value for c in ControlType}:
        ctx.ask_again(ctx._("Choose with a button."))
        return
    await ctx.goto("deadline", control=choice(ctx))
    ctx.reply(ctx._("Open until? Write the deadline or press a button."), buttons=deadline_buttons(ctx))


@building.step("deadline")
async def deadline_step(ctx: Joined) -> None:
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
    warning = await early_attestation_warning(ctx, data["course_id"], control, deadline)
    if warning:
        lines += ["", warning]
    ctx.reply(
        "\n".join(lines),
        buttons=publish_buttons(ctx),
    )


@building.step("preview")
async def preview_step(ctx: Joined) -> None:
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
    course = await ctx.session.get(Course, data["course_id"])
    assert course is not None
    students = await notices.group_students(ctx.session, course.group_id)
    ctx.reply(
        ctx._("The test «{title}» is published.", title=assignment.title)
        + "\n"
        + await told_lines(ctx, students, notices.NEW_ASSIGNMENT, notices.PARENT_ASSIGNMENT),
        buttons=[[MyAssignments(assignment.id).button(ctx._("Open the assignment"))], menu_row(ctx)],
    )


# -- identity photos for the teacher to check ------------------------------------------------


def _which(action: IdentityChecks | RejectIdentity) -> tuple[Kind, int] | None:
    if action.submission_id is not None:
        return Kind.submission, action.submission_id
    if action.attempt_id is not None:
        return Kind.attempt, action.attempt_id
    return None


@router.action(IdentityChecks, roles=TEACHER)
async def identity_checks(ctx: Joined, action: IdentityChecks) -> None:
    """The photos of students holding their ID, one at a time: confirm (the result counts) or reject."""
    which = _which(action)
    if which is not None and await proctoring.confirm(ctx.session, ctx.person.id, *which) is None:
        not_yours(ctx)
        return
    await _next_check(ctx)


async def _next_check(ctx: Joined, notes: list[str] | None = None) -> None:
    queue = await proctoring.queue(ctx.session, ctx.person.id)
    if not queue:
        ctx.reply(
            "\n\n".join([*(notes or []), ctx._("No identity photos wait for a check.")]),
            buttons=[menu_row(ctx)],
        )
        return
    check = queue[0]
    if check.kind == Kind.attempt:
        text = ctx._(
            "Identity check: {student}, test «{title}», started {when}.",
            student=check.student,
            title=check.title,
            when=ctx.t.datetime(check.at),
        )
        ok, no = IdentityChecks(attempt_id=check.id), RejectIdentity(attempt_id=check.id)
    else:
        text = ctx._(
            "Identity check: {student}, written attestation «{title}», handed in {when}. "
            "It can be graded once you confirm the identity.",
            student=check.student,
            title=check.title,
            when=ctx.t.datetime(check.at),
        )
        ok, no = IdentityChecks(submission_id=check.id), RejectIdentity(submission_id=check.id)
    if check.photo is None:
        text += "\n" + ctx._("No photo was sent.")
    ctx.reply(
        "\n\n".join([*(notes or []), text]),
        files=[OutFile(check.photo)] if check.photo is not None else [],
        buttons=[
            [ok.button(ctx._("The identity is confirmed"))],
            [no.button(ctx._("Reject the identity"))],
            menu_row(ctx),
        ],
    )


@router.action(RejectIdentity, roles=TEACHER)
async def begin_reject(ctx: Joined, action: RejectIdentity) -> None:
    which = _which(action)
    waiting = await proctoring.queue(ctx.session, ctx.person.id)
    if which is None or not any((c.kind, c.id) == which for c in waiting):
        not_yours(ctx)
        return
    await ctx.start_dialog("idreject", "reason", kind=which[0].value, id=which[1])
    ctx.reply(
        ctx._(
            "Why is the identity rejected? The student gets your reason, for example: the face is not seen."
        ),
        buttons=[[Button(ctx._("Cancel"), dialog_button("cancel"))]],
    )


@rejecting.step("reason")
async def reject_reason(ctx: Joined) -> None:
    if ctx.incoming.button:
        await ctx.end_dialog()
        await _next_check(ctx, [ctx._("Cancelled.")])
        return
    reason = (ctx.incoming.text or "").strip()
    if not reason:
        ctx.reply(ctx._("Write the reason in words."))
        return
    kind, item_id = Kind(ctx.data["kind"]), int(ctx.data["id"])
    await ctx.end_dialog()
    if await proctoring.reject(ctx.session, ctx.person.id, kind, item_id, reason[:500]) is None:
        not_yours(ctx)
        return
    await _next_check(ctx, [ctx._("The identity is rejected; the student has been told why.")])
