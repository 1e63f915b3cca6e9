"""Changing a course after set-up, in chat: group → course → another teacher or other credits
(bot/services/course_changes.py tells those concerned and keeps the audit trail)."""

from __future__ import annotations

from bot.actions.staff import ChangeCourse
from bot.core.context import Joined
from bot.core.messages import Button
from bot.core.router import Dialog, dialog_button
from bot.services.admin import course_changes
from bot.services.admin.course_changes import CourseChangeError, CourseChangeReason
from bot.services.people.permissions import Action, roles_for
from db.models import Person, Role
from handlers.staff import router
from handlers.staff.widgets import ask_course_of, chosen_group, pick_person, picked_course, start_with_group
from handlers.ui import choice, menu_row

SETUP = roles_for(Action.setup)
course_edit = router.add_dialog(Dialog("edit_course", roles=SETUP))


@router.action(ChangeCourse, roles=SETUP)
async def course_edit_start(ctx: Joined, _: ChangeCourse) -> None:
    await start_with_group(ctx, "edit_course", ctx._("Change a course: which group?"))


@course_edit.step("group")
async def course_edit_group(ctx: Joined) -> None:
    group = await chosen_group(ctx)
    if group is not None:
        await ask_course_of(ctx, group)


@course_edit.step("course")
async def course_edit_course(ctx: Joined) -> None:
    course = await picked_course(ctx)
    if course is None:
        return
    teacher = await ctx.session.get(Person, course.teacher_id) if course.teacher_id else None
    await ctx.goto("what", course_id=course.id)
    ctx.reply(
        ctx.n_(
            "«{course}»: {n} credit, teacher {teacher}. What changes?",
            "«{course}»: {n} credits, teacher {teacher}. What changes?",
            course.credits,
            course=course.discipline,
            teacher=teacher.full_name if teacher else "—",
        ),
        buttons=[
            [Button(ctx._("Another teacher"), dialog_button("teacher"))],
            [Button(ctx._("Credits"), dialog_button("credits"))],
        ],
    )


@course_edit.step("what")
async def course_edit_what(ctx: Joined) -> None:
    what = choice(ctx)
    if what == "teacher":
        await ctx.goto("teacher")
        ctx.reply(ctx._("The teacher's full name (or a part of it)?"))
    elif what == "credits":
        await ctx.goto("credits")
        ctx.reply(ctx._("How many credits? A whole number, e.g. 5."))
    else:
        ctx.ask_again(ctx._("Choose with a button."))


@course_edit.step("teacher")
async def course_edit_teacher(ctx: Joined) -> None:
    person = await pick_person(ctx, "teacher", Role.teacher)
    if person is None:
        return
    try:
        course, teacher, _ = await course_changes.change_teacher(
            ctx.session, ctx.org.id, ctx.person.id, ctx.data["course_id"], person.id
        )
    except CourseChangeError as exc:
        if exc.reason == CourseChangeReason.same:
            ctx.reply(
                ctx._("{teacher} already teaches this course. Write another name.", teacher=person.full_name)
            )
        else:
            ctx.reply(ctx._("Nobody found by «{text}». Write the name again.", text=person.full_name))
        return
    await ctx.end_dialog()
    ctx.reply(
        ctx._(
            "«{course}» is now taught by {teacher}. The teachers and the group's students have been told.",
            course=course.discipline,
            teacher=teacher.full_name,
        ),
        buttons=[[ChangeCourse().button(ctx._("Change a course"))], menu_row(ctx)],
    )


@course_edit.step("credits")
async def course_edit_credits(ctx: Joined) -> None:
    text = (ctx.incoming.text or "").strip()
    try:
        if not text.isdigit():
            raise CourseChangeError(CourseChangeReason.credits)
        course = await course_changes.change_credits(
            ctx.session, ctx.org.id, ctx.person.id, ctx.data["course_id"], int(text)
        )
    except CourseChangeError as exc:
        if exc.reason == CourseChangeReason.same:
            ctx.reply(ctx._("The course already has that many credits. Write another number."))
        else:
            ctx.reply(ctx._("Write the credits as a whole number, e.g. 5."))
        return
    await ctx.end_dialog()
    ctx.reply(
        ctx.n_(
            "«{course}» now has {n} credit.",
            "«{course}» now has {n} credits.",
            course.credits,
            course=course.discipline,
        ),
        buttons=[[ChangeCourse().button(ctx._("Change a course"))], menu_row(ctx)],
    )
