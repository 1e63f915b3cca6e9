"""The parent's conversations: each child's timetable, assignments and grades; linking; acknowledging."""

from __future__ import annotations

from bot.core.context import Joined
from bot.core.menus import menus
from bot.core.messages import Button
from bot.core.router import Dialog, dialog_button
from bot.i18n import N_
from bot.labels import ROLE_NAMES
from bot.services.coursework import assignments, grades_view
from bot.services.people import parents
from bot.services.people.parents import Child, LinkOutcome, LinkResult
from db.base import utcnow
from db.models import Role
from handlers.common.menu import show_menu
from handlers.parent import router
from handlers.student.menu import timetable_buttons, timetable_text
from handlers.views import assignments_text, grades_text, menu_row

PARENT = [Role.parent]
link_dialog = router.add_dialog(Dialog("link_child", roles=PARENT))

menus.add(Role.parent, N_("My children"), "kids", order=10)
menus.add(Role.parent, N_("Link a child"), "klink", order=20)
menus.add(Role.parent, N_("Notifications"), "ntf", order=60)

LINKED = N_("{child} is linked to you. You will get their notices.")
ALREADY_LINKED = N_("{child} is already linked to you.")
SWITCH_TO_PARENT = N_(
    "You are acting as {role} now: to follow the child, switch to the parent role with /role."
)
CODE_UNKNOWN = N_("This invite code is not known. Check it and send it again.")
ORG_CODE_USED = N_("This invite code has already been used. Ask your organization for a new one.")
ORG_CODE_EXPIRED = N_("This invite code has expired. Ask your organization for a new one.")
CHILD_CODE_USED = N_(
    "This code has already been used. "
    "Ask your child for a new one: they make it in their menu, «Code for a parent»."
)
CHILD_CODE_EXPIRED = N_(
    "This code has expired. Ask your child for a new one: they make it in their menu, «Code for a parent»."
)
NOT_A_PARENT = N_(
    "This code links a parent to a child, and you have joined as a student. "
    "If you are also a parent, ask your organization to add you as a parent."
)
OWN_CODE = N_("This is your own code for a parent: give it to your parent, and they send it to Ustaz.")


def _child_buttons(ctx: Joined, child: Child) -> list[list[Button]]:
    return [
        [Button(ctx._("Timetable"), f"ktt:{child.id}:week")],
        [Button(ctx._("Assignments"), f"kasg:{child.id}"), Button(ctx._("Grades"), f"kgrd:{child.id}")],
        [Button(ctx._("My children"), "kids"), *menu_row(ctx)],
    ]


async def _child(ctx: Joined) -> Child | None:
    arg = ctx.args[0] if ctx.args else ""
    child = await parents.child_of(ctx.session, ctx.person.id, int(arg)) if arg.isdigit() else None
    if child is None:
        ctx.reply(ctx._("This button is no longer active."), buttons=[menu_row(ctx)])
    return child


@router.button("kids", roles=PARENT)
async def my_children(ctx: Joined) -> None:
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
async def child_card(ctx: Joined) -> None:
    child = await _child(ctx)
    if child is None:
        return
    title = child.name + (f", {child.group}" if child.group else "")
    ctx.reply(title, buttons=_child_buttons(ctx, child))


@router.button("ktt", roles=PARENT)
async def child_timetable(ctx: Joined) -> None:
    child = await _child(ctx)
    if child is None:
        return
    which = ctx.args[1] if len(ctx.args) > 1 else "week"
    text = await timetable_text(ctx, child.id, which, who=child.name)
    ctx.reply(text, buttons=timetable_buttons(ctx, f"ktt:{child.id}") + _child_buttons(ctx, child)[2:])


@router.button("kasg", roles=PARENT)
async def child_assignments(ctx: Joined) -> None:
    child = await _child(ctx)
    if child is None:
        return
    views = await assignments.open_list(ctx.session, child.id, utcnow())
    title = ctx._("Assignments of {child} by deadline:", child=child.name)
    ctx.reply(assignments_text(ctx.t, views, title), buttons=_child_buttons(ctx, child))


@router.button("kgrd", roles=PARENT)
async def child_grades(ctx: Joined) -> None:
    child = await _child(ctx)
    if child is None:
        return
    courses = await grades_view.course_grades(ctx.session, child.id, ctx.org.grading_scheme)
    title = ctx._("Grades of {child}", child=child.name)
    ctx.reply(grades_text(ctx.t, courses, title, detailed=True), buttons=_child_buttons(ctx, child))


@router.button("klink", roles=PARENT)
async def link_child(ctx: Joined) -> None:
    await ctx.start_dialog("link_child", "code")
    ctx.reply(
        ctx._("Send the link code you got from your child or from the organization (8 letters and digits)."),
        buttons=[[Button(ctx._("Cancel"), dialog_button("cancel"))]],
    )


@link_dialog.step("code")
async def link_code(ctx: Joined) -> None:
    if ctx.incoming.button:
        await ctx.end_dialog()
        ctx.reply(ctx._("Cancelled."), buttons=[menu_row(ctx)])
        return
    if not ctx.incoming.text:  # a photo, a file, a sticker: the code is still awaited
        ctx.reply(
            ctx._("Send the code as text: 8 letters and digits."),
            buttons=[[Button(ctx._("Cancel"), dialog_button("cancel"))]],
        )
        return
    result = await parents.link_with_code(ctx.session, ctx.person, ctx.incoming.text, ctx.account)
    if result.child is not None:
        await ctx.end_dialog()
        await answer_linked(ctx, result)
        return
    ctx.reply(code_problem(ctx, result.outcome, result.from_child))


def code_problem(ctx: Joined, outcome: LinkOutcome, from_child: bool) -> str:
    """Why a code linked no child, and what to do."""
    match outcome:
        case LinkOutcome.used:
            return ctx._(CHILD_CODE_USED if from_child else ORG_CODE_USED)
        case LinkOutcome.expired:
            return ctx._(CHILD_CODE_EXPIRED if from_child else ORG_CODE_EXPIRED)
        case LinkOutcome.not_parent:
            return ctx._(NOT_A_PARENT)
        case LinkOutcome.own_code:
            return ctx._(OWN_CODE)
        case _:
            return ctx._(CODE_UNKNOWN)


async def answer_linked(ctx: Joined, result: LinkResult, *, menu: bool = False) -> None:
    """The child is (or already was) linked: named, with their card, or the menu if asked.

    The active role is never switched here: someone acting in another role is told about /role.
    """
    child = result.child
    assert child is not None
    text = ctx._(LINKED if result.outcome is LinkOutcome.linked else ALREADY_LINKED, child=child.name)
    ctx.roles = ctx.roles | {Role.parent}  # a teacher linking their own child has just become a parent too
    if ctx.role is not Role.parent:
        role = ctx._(ROLE_NAMES[ctx.role]) if ctx.role is not None else ""
        await show_menu(ctx, text + "\n" + ctx._(SWITCH_TO_PARENT, role=role))
    elif menu:
        await show_menu(ctx, text)
    else:
        ctx.reply(text, buttons=_child_buttons(ctx, child))


@router.button("ack", roles=[Role.parent, Role.student])
async def acknowledge(ctx: Joined) -> None:
    arg = ctx.args[0] if ctx.args else ""
    if not arg.isdigit() or not await parents.acknowledge(ctx.session, int(arg), ctx.person.id):
        ctx.reply(ctx._("This button is no longer active."), buttons=[menu_row(ctx)])
        return
    ctx.reply(ctx._("Thank you: the teacher will see that you have read it."), buttons=[menu_row(ctx)])
