"""The parent's conversations: each child's timetable, assignments and grades; linking; acknowledging."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.menus import menus
from bot.core.messages import Button
from bot.core.router import Dialog, Router, dialog_button
from bot.i18n import N_
from bot.services import assignments, grades_view, parents
from bot.services.parents import Child, LinkOutcome
from db.base import utcnow
from db.models import Role
from handlers.student import timetable_buttons, timetable_text
from handlers.student_views import assignments_text, grades_text, menu_row

router = Router()
PARENT = [Role.parent]
link_dialog = router.add_dialog(Dialog("link_child", roles=PARENT))

menus.add(Role.parent, N_("My children"), "kids", order=10)
menus.add(Role.parent, N_("Link a child"), "klink", order=20)
menus.add(Role.parent, N_("Notifications"), "ntf", order=60)


def _child_buttons(ctx: Context, child: Child) -> list[list[Button]]:
    return [
        [Button(ctx._("Timetable"), f"ktt:{child.id}:week")],
        [Button(ctx._("Assignments"), f"kasg:{child.id}"), Button(ctx._("Grades"), f"kgrd:{child.id}")],
        [Button(ctx._("My children"), "kids"), *menu_row(ctx)],
    ]


async def _child(ctx: Context) -> Child | None:
    assert ctx.person is not None
    arg = ctx.args[0] if ctx.args else ""
    child = await parents.child_of(ctx.session, ctx.person.id, int(arg)) if arg.isdigit() else None
    if child is None:
        ctx.reply(ctx._("This button is no longer active."), buttons=[menu_row(ctx)])
    return child


@router.button("kids", roles=PARENT)
async def my_children(ctx: Context) -> None:
    assert ctx.person is not None
    kids = await parents.children(ctx.session, ctx.person.id)
    if not kids:
        ctx.reply(
            ctx._("No child is linked yet. Ask your child or the organization for a link code."),
            buttons=[[Button(ctx._("Link a child"), "klink")], menu_row(ctx)],
        )
        return
    if len(kids) == 1 and not ctx.args:
        ctx.args = [str(kids[0].id)]
        await child_card(ctx)
        return
    rows = [[Button(f"{k.name}" + (f" ({k.group})" if k.group else ""), f"kid:{k.id}")] for k in kids]
    ctx.reply(ctx._("Choose the child:"), buttons=rows + [menu_row(ctx)])


@router.button("kid", roles=PARENT)
async def child_card(ctx: Context) -> None:
    child = await _child(ctx)
    if child is None:
        return
    title = child.name + (f", {child.group}" if child.group else "")
    ctx.reply(title, buttons=_child_buttons(ctx, child))


@router.button("ktt", roles=PARENT)
async def child_timetable(ctx: Context) -> None:
    child = await _child(ctx)
    if child is None:
        return
    which = ctx.args[1] if len(ctx.args) > 1 else "week"
    text = await timetable_text(ctx, child.id, which, who=child.name)
    ctx.reply(text, buttons=timetable_buttons(ctx, f"ktt:{child.id}") + _child_buttons(ctx, child)[2:])


@router.button("kasg", roles=PARENT)
async def child_assignments(ctx: Context) -> None:
    child = await _child(ctx)
    if child is None:
        return
    views = await assignments.open_list(ctx.session, child.id, utcnow())
    title = ctx._("Assignments of {child} by deadline:", child=child.name)
    ctx.reply(assignments_text(ctx.t, views, title), buttons=_child_buttons(ctx, child))


@router.button("kgrd", roles=PARENT)
async def child_grades(ctx: Context) -> None:
    child = await _child(ctx)
    if child is None:
        return
    assert ctx.org is not None
    courses = await grades_view.course_grades(ctx.session, child.id, ctx.org.grading_scheme)
    title = ctx._("Grades of {child}", child=child.name)
    ctx.reply(grades_text(ctx.t, courses, title, detailed=True), buttons=_child_buttons(ctx, child))


@router.button("klink", roles=PARENT)
async def link_child(ctx: Context) -> None:
    await ctx.start_dialog("link_child", "code")
    ctx.reply(
        ctx._("Send the link code you got from your child or from the organization (8 letters and digits)."),
        buttons=[[Button(ctx._("Cancel"), dialog_button("cancel"))]],
    )


@link_dialog.step("code")
async def link_code(ctx: Context) -> None:
    assert ctx.person is not None
    if ctx.incoming.button or not ctx.incoming.text:
        await ctx.end_dialog()
        ctx.reply(ctx._("Cancelled."), buttons=[menu_row(ctx)])
        return
    result = await parents.link_with_code(ctx.session, ctx.person, ctx.incoming.text)
    match result.outcome:
        case LinkOutcome.linked | LinkOutcome.already:
            await ctx.end_dialog()
            assert result.child is not None
            ctx.reply(
                ctx._("{child} is linked to you. You will get their notices.", child=result.child.name),
                buttons=_child_buttons(ctx, result.child),
            )
        case LinkOutcome.used:
            ctx.reply(ctx._("This invite code has already been used. Ask your organization for a new one."))
        case LinkOutcome.expired:
            ctx.reply(ctx._("This invite code has expired. Ask your organization for a new one."))
        case _:
            ctx.reply(ctx._("This invite code is not known. Check it and send it again."))


@router.button("ack", roles=[Role.parent, Role.student])
async def acknowledge(ctx: Context) -> None:
    assert ctx.person is not None
    arg = ctx.args[0] if ctx.args else ""
    if not arg.isdigit() or not await parents.acknowledge(ctx.session, int(arg), ctx.person.id):
        ctx.reply(ctx._("This button is no longer active."), buttons=[menu_row(ctx)])
        return
    ctx.reply(ctx._("Thank you: the teacher will see that you have read it."), buttons=[menu_row(ctx)])
