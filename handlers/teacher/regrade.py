"""Graded work found again (from the assignment's card or a student's name in the gradebook) and its
grade changed with a reason: score → reason."""

from __future__ import annotations

from decimal import Decimal

from bot.actions.teacher import ChangeGrade, Gradebook, GradedWork, MyAssignments, OpenGrade
from bot.core.context import Joined
from bot.core.router import Dialog
from bot.services.coursework import graded, review
from bot.services.coursework.graded import GradedLine
from bot.services.coursework.review import ReviewError
from bot.services.people.teacher_scope import NotYours
from db.models import Role
from handlers.teacher import router
from handlers.teacher.review import review_error
from handlers.ui import menu_row, not_yours

TEACHER = [Role.teacher]
regrading = router.add_dialog(Dialog("regrade", roles=TEACHER))


def _line(ctx: Joined, line: GradedLine) -> str:
    return ctx._(
        "{student} · {title} · {score} of {max}",
        student=line.student,
        title=line.title,
        score=ctx.t.number(line.score),
        max=line.max_score,
    )


@router.action(GradedWork, roles=TEACHER)
async def graded_list(ctx: Joined, action: GradedWork) -> None:
    lines = await graded.graded_work(
        ctx.session,
        ctx.person.id,
        assignment_id=action.assignment_id,
        course_id=action.course_id,
        student_id=action.student_id,
    )
    back = (
        [MyAssignments(action.assignment_id).button(ctx._("Open the assignment"))]
        if action.assignment_id is not None
        else [Gradebook(action.course_id).button(ctx._("Gradebook"))]
    )
    if not lines:
        ctx.reply(ctx._("No graded work here yet."), buttons=[back, menu_row(ctx)])
        return
    ctx.reply(
        ctx._("Graded work: choose one to see or change its grade."),
        buttons=[[OpenGrade(line.grade_id).button(_line(ctx, line))] for line in lines]
        + [back, menu_row(ctx)],
    )


async def _own(ctx: Joined, grade_id: int) -> GradedLine | None:
    try:
        return await graded.one(ctx.session, ctx.person.id, grade_id)
    except NotYours:
        not_yours(ctx)
        return None


@router.action(OpenGrade, roles=TEACHER)
async def open_grade(ctx: Joined, action: OpenGrade) -> None:
    line = await _own(ctx, action.grade_id)
    if line is None:
        return
    state = ctx._("released") if line.released else ctx._("draft")
    lines = [
        ctx._("Work «{title}» by {student}", title=line.title, student=line.student),
        ctx._(
            "Grade: {score} of {max} ({state})",
            score=ctx.t.number(line.score),
            max=line.max_score,
            state=state,
        ),
    ]
    if line.comment:
        lines.append(line.comment)
    ctx.reply(
        "\n".join(lines),
        buttons=[[ChangeGrade(line.grade_id).button(ctx._("Change the grade"))], menu_row(ctx)],
    )


@router.action(ChangeGrade, roles=TEACHER)
async def begin_change(ctx: Joined, action: ChangeGrade) -> None:
    line = await _own(ctx, action.grade_id)
    if line is None:
        return
    await ctx.start_dialog("regrade", "score", grade_id=line.grade_id, max=line.max_score)
    ctx.reply(
        ctx._(
            "The score for «{student}», from 0 to {max}?",
            student=line.student,
            max=line.max_score,
        )
    )


@regrading.step("score")
async def score_step(ctx: Joined) -> None:
    try:
        score = review.parse_score(ctx.incoming.text, ctx.data["max"])
    except ReviewError as exc:
        review_error(ctx, exc, ctx.data["max"])
        return
    await ctx.goto("reason", score=str(score))
    ctx.reply(
        ctx._("The work already has a grade. Why are you changing it? The reason is kept in the record.")
    )


@regrading.step("reason")
async def reason_step(ctx: Joined) -> None:
    try:
        line = await graded.change(
            ctx.session,
            ctx.person.id,
            ctx.data["grade_id"],
            Decimal(ctx.data["score"]),
            ctx.incoming.text or "",
        )
    except ReviewError as exc:
        review_error(ctx, exc)
        return
    except NotYours:
        await ctx.end_dialog()
        not_yours(ctx)
        return
    await ctx.end_dialog()
    ctx.reply(
        ctx._("The grade is changed to {score}. The change is recorded.", score=ctx.t.number(line.score)),
        buttons=[
            [GradedWork(assignment_id=line.assignment_id).button(ctx._("Graded work"))],
            menu_row(ctx),
        ],
    )
