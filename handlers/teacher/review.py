"""Reviewing: the queue, opening a submission, grading or returning it, drafts, changes, extensions, ZIP."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bot.actions.teacher import (
    Extension,
    FilesZip,
    GradeQueue,
    GradeSubmission,
    MyAssignments,
    OpenSubmission,
    ReleaseGrades,
    ReturnSubmission,
)
from bot.core.context import Joined
from bot.core.menus import menus
from bot.core.messages import Button, OutFile
from bot.core.router import Dialog, dialog_button
from bot.i18n import N_
from bot.language.names import surname_initials
from bot.services.coursework import review
from bot.services.coursework.deadlines import DeadlineError
from bot.services.coursework.review import ReviewError, ReviewReason
from bot.services.messaging.notices import group_students
from bot.services.people.teacher_scope import NotYours, own_assignment, own_submission
from db.models import Assignment, AssignmentStatus, Course, Person, Role
from handlers.teacher import router
from handlers.ui import choice, deadline_buttons, menu_row, not_yours, owned, read_deadline

TEACHER = [Role.teacher]
grading = router.add_dialog(Dialog("grade", roles=TEACHER))
returning = router.add_dialog(Dialog("return", roles=TEACHER))
extending = router.add_dialog(Dialog("extend", roles=TEACHER))

menus.add(Role.teacher, N_("Submissions to review"), GradeQueue(), order=30)

REVIEW_ERRORS = {
    ReviewReason.score_not_number: N_("The score must be a number, for example 85 or 7.5."),
    ReviewReason.score_range: N_("The score must be from 0 to {max}."),
    ReviewReason.needs_reason: N_("A grade can be changed only with a reason. Write the reason."),
    ReviewReason.empty_comment: N_("Write a comment: what should the student fix?"),
    ReviewReason.identity: N_(
        "This written attestation can be graded once you confirm the student's identity: "
        "open «Identity checks»."
    ),
}


def review_error(ctx: Joined, exc: ReviewError, max_score: int = 0) -> None:
    ctx.reply(
        ctx._(REVIEW_ERRORS[exc.reason], max=max_score)
        if exc.reason == ReviewReason.score_range
        else ctx._(REVIEW_ERRORS[exc.reason])
    )


@router.action(GradeQueue, roles=TEACHER)
async def review_queue(ctx: Joined, action: GradeQueue) -> None:
    assignment_id = action.assignment_id
    if assignment_id is not None:
        try:
            await own_assignment(ctx.session, ctx.person.id, assignment_id)
        except NotYours:
            not_yours(ctx)
            return
    items = await review.queue(ctx.session, ctx.person.id, assignment_id)
    if not items:
        ctx.reply(ctx._("Nothing is waiting for a grade."), buttons=[menu_row(ctx)])
        return
    rows = []
    for item in items[:30]:
        when = ctx.t.datetime(item.submitted_at, "d.MM HH:mm")
        late = " · " + ctx._("late") if item.late else ""
        rows.append(
            # Surname and initials: a button wider than a phone's screen is cut with «…».
            [
                OpenSubmission(item.submission_id).button(
                    f"{surname_initials(item.student)} · {item.title} · {when}{late}"
                )
            ]
        )
    text = ctx.n_(
        "{n} submission waits for a grade, the oldest first:",
        "{n} submissions wait for a grade, the oldest first:",
        len(items),
    )
    ctx.reply(text, buttons=rows + [menu_row(ctx)])


@router.action(OpenSubmission, roles=TEACHER)
async def open_submission(ctx: Joined, action: OpenSubmission) -> None:
    opened = await owned(ctx, review.open_submission, action.submission_id)
    if opened is None:
        return
    _show(ctx, opened)


def _show(ctx: Joined, opened: review.Opened, prompt: str | None = None) -> None:
    """A submission's card; with `prompt` (a grading run), the card asks for the score at once."""
    sub, assignment = opened.submission, opened.assignment
    lines = [
        ctx._("Work «{title}» by {student}", title=assignment.title, student=opened.student),
        ctx._("Receipt № {number}", number=sub.number),
    ]
    if sub.submitted_at:
        lines.append(ctx._("Handed in: {when}", when=ctx.t.datetime(sub.submitted_at)))
    if sub.late:
        lines.append(ctx._("Handed in after the deadline."))
    if opened.version is not None:
        lines.append(ctx._("Version {n}", n=opened.version.number))
        if opened.version.text:
            lines += ["", opened.version.text]
    if opened.grade is not None:
        state = ctx._("released") if opened.grade.released else ctx._("draft")
        lines += [
            "",
            ctx._(
                "Grade: {score} of {max} ({state})",
                score=ctx.t.number(opened.grade.score),
                max=assignment.max_score,
                state=state,
            ),
        ]
    grade_label = ctx._("Change the grade") if opened.grade else ctx._("Grade the work")
    if prompt:
        lines += ["", prompt]
    ctx.reply(
        "\n".join(lines),
        files=[OutFile(f) for f in opened.files],
        buttons=[
            [
                GradeSubmission(sub.id).button(grade_label),
                ReturnSubmission(sub.id).button(ctx._("Return for revision")),
            ],
            [GradeQueue().button(ctx._("Submissions to review"))],
            menu_row(ctx),
        ],
    )


@router.action(GradeSubmission, roles=TEACHER)
async def begin_grading(ctx: Joined, action: GradeSubmission) -> None:
    opened = await owned(ctx, review.open_submission, action.submission_id)
    if opened is None:
        return
    await ctx.start_dialog(
        "grade",
        "score",
        submission_id=opened.submission.id,
        max=opened.assignment.max_score,
        change=opened.grade is not None,
    )
    ctx.reply(_score_prompt(ctx, opened))


def _score_prompt(ctx: Joined, opened: review.Opened) -> str:
    return ctx._(
        "The score for «{student}», from 0 to {max}? A score and a comment may come in one message: "
        "«87 good».",
        student=opened.student,
        max=opened.assignment.max_score,
    )


async def _next_in_run(ctx: Joined, assignment_id: int) -> bool:
    """After a grade, the next ungraded work opens asking for its score (the same assignment's first)."""
    items = await review.queue(ctx.session, ctx.person.id, assignment_id) or await review.queue(
        ctx.session, ctx.person.id
    )
    if not items:
        return False
    opened = await review.open_submission(ctx.session, ctx.person.id, items[0].submission_id)
    await ctx.start_dialog(
        "grade", "score", submission_id=opened.submission.id, max=opened.assignment.max_score, change=False
    )
    _show(ctx, opened, _score_prompt(ctx, opened))
    return True


@grading.step("score")
async def score_step(ctx: Joined) -> None:
    text = (ctx.incoming.text or "").strip()
    typed, _, comment = text.partition(" ")
    max_score = ctx.data["max"]
    try:
        score = review.parse_score(typed, max_score)
    except ReviewError as exc:
        review_error(ctx, exc, max_score)
        return
    if comment.strip() and not ctx.data["change"]:
        # «87 хорошо»: a score and a comment in one message, released at once; the next work opens.
        grade = await review.grade(
            ctx.session, ctx.person.id, ctx.data["submission_id"], score, comment.strip(), release=True
        )
        await ctx.end_dialog()
        ctx.reply(
            ctx._(
                "Graded: {score} of {max}. The student and their parents have been told.",
                score=ctx.t.number(grade.score),
                max=max_score,
            )
        )
        if not await _next_in_run(ctx, grade.assignment_id):
            ctx.reply(
                ctx._("Nothing is waiting for a grade."),
                buttons=[
                    [MyAssignments(grade.assignment_id).button(ctx._("Open the assignment"))],
                    menu_row(ctx),
                ],
            )
        return
    if ctx.data["change"]:
        await ctx.goto("reason", score=str(score))
        ctx.reply(
            ctx._("The work already has a grade. Why are you changing it? The reason is kept in the record.")
        )
        return
    await ctx.goto("comment", score=str(score))
    ctx.reply(
        ctx._("A comment for the student?"),
        buttons=[[Button(ctx._("No comment"), dialog_button("none"))]],
    )


@grading.step("reason")
async def reason_step(ctx: Joined) -> None:
    try:
        grade = await review.grade(
            ctx.session,
            ctx.person.id,
            ctx.data["submission_id"],
            Decimal(ctx.data["score"]),
            None,
            reason=ctx.incoming.text or "",
        )
    except ReviewError as exc:
        review_error(ctx, exc)
        return
    await ctx.end_dialog()
    ctx.reply(
        ctx._("The grade is changed to {score}. The change is recorded.", score=ctx.t.number(grade.score)),
        buttons=[[GradeQueue().button(ctx._("Submissions to review"))], menu_row(ctx)],
    )


@grading.step("comment")
async def comment_step(ctx: Joined) -> None:
    comment = "" if choice(ctx) == "none" else (ctx.incoming.text or "")
    await ctx.goto("release", comment=comment)
    ctx.reply(
        ctx._("Release the grade now, or keep it as a draft to release with the others later?"),
        buttons=[
            [Button(ctx._("Release now"), dialog_button("now"))],
            [Button(ctx._("Keep as a draft"), dialog_button("draft"))],
        ],
    )


@grading.step("release")
async def release_step(ctx: Joined) -> None:
    picked = choice(ctx)
    if picked not in ("now", "draft"):
        ctx.ask_again(ctx._("Choose with a button."))
        return
    max_score = ctx.data["max"]
    grade = await review.grade(
        ctx.session,
        ctx.person.id,
        ctx.data["submission_id"],
        Decimal(ctx.data["score"]),
        ctx.data["comment"],
        release=picked == "now",
    )
    await ctx.end_dialog()
    score = ctx.t.number(grade.score)
    if picked == "now":
        text = ctx._(
            "Graded: {score} of {max}. The student and their parents have been told.",
            score=score,
            max=max_score,
        )
    else:
        text = ctx._("Saved as a draft: {score}. Release the drafts from the assignment's page.", score=score)
    ctx.reply(
        text,
        buttons=[
            [GradeQueue().button(ctx._("Next submission"))],
            [MyAssignments(grade.assignment_id).button(ctx._("Open the assignment"))],
            menu_row(ctx),
        ],
    )


@router.action(ReturnSubmission, roles=TEACHER)
async def begin_return(ctx: Joined, action: ReturnSubmission) -> None:
    submission = await owned(ctx, own_submission, action.submission_id)
    if submission is None:
        return
    await ctx.start_dialog("return", "comment", submission_id=submission.id)
    ctx.reply(ctx._("What should the student fix? Your comment goes to them with the work."))


@returning.step("comment")
async def return_comment(ctx: Joined) -> None:
    try:
        await review.return_for_revision(
            ctx.session, ctx.person.id, ctx.data["submission_id"], ctx.incoming.text or ""
        )
    except ReviewError as exc:
        review_error(ctx, exc)
        return
    await ctx.end_dialog()
    ctx.reply(
        ctx._("The work is returned for revision; the student has been told."),
        buttons=[[GradeQueue().button(ctx._("Next submission"))], menu_row(ctx)],
    )


@router.action(ReleaseGrades, roles=TEACHER)
async def release_drafts(ctx: Joined, action: ReleaseGrades) -> None:
    count = await owned(ctx, review.release_drafts, action.assignment_id)
    if count is None:
        return
    ctx.reply(
        ctx.n_("{n} grade is released.", "{n} grades are released.", count)
        if count
        else ctx._("There are no draft grades."),
        buttons=[menu_row(ctx)],
    )


@router.action(FilesZip, roles=TEACHER)
async def all_files(ctx: Joined, action: FilesZip) -> None:
    try:
        archive = await review.zip_submissions(
            ctx.session, ctx.deps.files, ctx.person.id, action.assignment_id
        )
    except (NotYours, ValueError):
        not_yours(ctx)
        return
    if archive is None:
        ctx.reply(ctx._("No work has been handed in yet."), buttons=[menu_row(ctx)])
        return
    ctx.reply(
        ctx._("All the handed-in work, a folder per student:"),
        files=[OutFile(archive.id)],
        buttons=[[MyAssignments(action.assignment_id).button(ctx._("Open the assignment"))], menu_row(ctx)],
    )


@router.action(Extension, roles=TEACHER)
async def begin_extension(ctx: Joined, action: Extension) -> None:
    assignment = await owned(ctx, own_assignment, action.assignment_id)
    if assignment is None:
        return
    if assignment.status == AssignmentStatus.closed:
        _closed(ctx, assignment)
        return
    course = await ctx.session.get(Course, assignment.course_id)
    assert course is not None
    ids = await group_students(ctx.session, course.group_id)
    people = (await ctx.session.execute(select(Person.id, Person.full_name).where(Person.id.in_(ids)))).all()
    await ctx.start_dialog("extend", "student", assignment_id=assignment.id, students=ids)
    ctx.reply(
        ctx._("Whose deadline do you extend?"),
        buttons=[[Button(name, dialog_button(pid))] for pid, name in sorted(people, key=lambda p: p[1])],
    )


@extending.step("student")
async def extension_student(ctx: Joined) -> None:
    picked = choice(ctx)
    if not picked or not picked.isdigit() or int(picked) not in ctx.data["students"]:
        ctx.ask_again(ctx._("Choose the student with a button."))
        return
    await ctx.goto("deadline", student_id=int(picked))
    ctx.reply(ctx._("The student's new deadline?"), buttons=deadline_buttons(ctx))


@extending.step("deadline")
async def extension_deadline(ctx: Joined) -> None:
    deadline = read_deadline(ctx)
    if deadline is None:
        return
    try:
        await review.extend(
            ctx.session, ctx.person.id, ctx.data["assignment_id"], ctx.data["student_id"], deadline
        )
    except DeadlineError:
        ctx.reply(
            ctx._("This moment has already passed. Choose a later deadline."), buttons=deadline_buttons(ctx)
        )
        return
    except ReviewError as exc:
        assignment = await ctx.session.get(Assignment, ctx.data["assignment_id"])
        assert assignment is not None
        if exc.reason == ReviewReason.not_later:
            ctx.reply(
                ctx._(
                    "An extension must be later than the assignment's deadline, {when}.",
                    when=ctx.t.datetime(assignment.deadline),
                ),
                buttons=deadline_buttons(ctx),
            )
            return
        await ctx.end_dialog()
        _closed(ctx, assignment)
        return
    await ctx.end_dialog()
    ctx.reply(
        ctx._("Extended to {when}; the student has been told.", when=ctx.t.datetime(deadline)),
        buttons=[menu_row(ctx)],
    )


def _closed(ctx: Joined, assignment: Assignment) -> None:
    """A closed assignment takes no extension."""
    ctx.reply(ctx._("«{title}» is already closed.", title=assignment.title), buttons=[menu_row(ctx)])
