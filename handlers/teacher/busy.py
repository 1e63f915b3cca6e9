"""A busy teacher's shortcuts from the assignment's card: remind those who have not handed in (and
their parents), and post the same assignment to another group with its own deadline.

copy: the group → its deadline («The same deadline» or typed) → published; «Post to another group» again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.actions.teacher import CopyAssignment, MyAssignments, RemindMissing
from bot.core.context import Joined
from bot.core.messages import Button
from bot.core.router import Dialog, dialog_button
from bot.services.coursework import missing, posting
from bot.services.coursework.deadlines import DeadlineError
from bot.services.coursework.posting import Draft
from bot.services.messaging import notices, reach
from bot.services.people.teacher_scope import NotYours, courses_of, own_assignment
from db.models import AssignmentFile, Course, Role
from handlers.teacher import router
from handlers.ui import (
    choice,
    deadline_buttons,
    menu_row,
    not_yours,
    owned,
    reach_line,
    read_deadline,
    told_lines,
)

TEACHER = [Role.teacher]
copying = router.add_dialog(Dialog("copy", roles=TEACHER))
SAME = "same"


@router.action(RemindMissing, roles=TEACHER)
async def remind_missing(ctx: Joined, action: RemindMissing) -> None:
    try:
        students, with_parents = await missing.remind(
            ctx.session, ctx.person.id, action.assignment_id, bool(action.parents)
        )
    except (NotYours, ValueError):
        not_yours(ctx)
        return
    back = [[MyAssignments(action.assignment_id).button(ctx._("Open the assignment"))], menu_row(ctx)]
    if not students:
        ctx.reply(ctx._("Everyone has handed it in: nobody to remind."), buttons=back)
        return
    found = await reach.group_reach(
        ctx.session,
        students,
        missing.NUDGE,
        notices.PARENT_ASSIGNMENT,
        ctx.deps.settings.twilio_templates,
    )
    if not with_parents:
        found = reach.GroupReach(found.students, reach.Reach(0, 0))
    ctx.reply(
        "\n".join(
            [ctx._("Reminded those who have not handed in."), reach_line(ctx, found)]
            + [reach.not_reached_text(ctx.t, found.everyone)]
        ).strip(),
        buttons=back,
    )


@router.action(CopyAssignment, roles=TEACHER)
async def begin_copy(ctx: Joined, action: CopyAssignment) -> None:
    source = await owned(ctx, own_assignment, action.assignment_id)
    if source is None:
        return
    courses = [c for c in await courses_of(ctx.session, ctx.person.id) if c.id != source.course_id]
    if not courses:
        ctx.reply(ctx._("You have no other group to post it to."), buttons=[menu_row(ctx)])
        return
    await ctx.start_dialog("copy", "course", source=source.id, courses=[c.id for c in courses])
    ctx.reply(
        ctx._("«{title}»: to which group?", title=source.title),
        buttons=[[Button(c.label, dialog_button(c.id))] for c in courses],
    )


@copying.step("course")
async def copy_course(ctx: Joined) -> None:
    picked = choice(ctx)
    if not picked or not picked.isdigit() or int(picked) not in ctx.data["courses"]:
        ctx.ask_again(ctx._("Choose the course with a button."))
        return
    await ctx.goto("deadline", course=int(picked))
    ctx.reply(
        ctx._("Its deadline in this group?"),
        buttons=[[Button(ctx._("The same deadline"), dialog_button(SAME))]] + deadline_buttons(ctx),
    )


@copying.step("deadline")
async def copy_deadline(ctx: Joined) -> None:
    source = await own_assignment(ctx.session, ctx.person.id, ctx.data["source"])
    deadline: dt.datetime | None
    if choice(ctx) == SAME:
        deadline = source.deadline
    else:
        deadline = read_deadline(ctx)
        if deadline is None:
            return
    files = list(
        (
            await ctx.session.scalars(
                select(AssignmentFile.file_name_id)
                .where(AssignmentFile.assignment_id == source.id)
                .order_by(AssignmentFile.id)
            )
        ).all()
    )
    draft = Draft(
        course_id=ctx.data["course"],
        title=source.title,
        deadline=deadline,
        text=source.text,
        files=files,
        max_score=source.max_score,
        control_type=source.control_type,
        kind=source.kind,
        accepts_late=source.accepts_late,
    )
    try:
        line = await posting.publish(ctx.session, ctx.person.id, draft)
    except DeadlineError:
        ctx.reply(
            ctx._("This moment has already passed. Choose a later deadline."), buttons=deadline_buttons(ctx)
        )
        return
    await ctx.end_dialog()
    course = await ctx.session.get(Course, line.course_id)
    assert course is not None
    students = await notices.group_students(ctx.session, course.group_id)
    ctx.reply(
        "\n".join(
            [
                ctx._("Published: «{title}».", title=line.title),
                ctx._("Deadline: {deadline}", deadline=ctx.t.datetime(line.deadline)),
                await told_lines(ctx, students, notices.NEW_ASSIGNMENT, notices.PARENT_ASSIGNMENT),
            ]
        ),
        buttons=[
            [CopyAssignment(source.id).button(ctx._("Post to another group"))],
            [MyAssignments(line.id).button(ctx._("Open the assignment"))],
            menu_row(ctx),
        ],
    )
