"""The parent's conversations: each child's timetable, assignments and grades; linking; acknowledging."""

from __future__ import annotations

from bot.actions.common import Acknowledge, Notifications
from bot.actions.parent import ChildAssignments, ChildCard, ChildGrades, Children, ChildTimetable, LinkChild
from bot.actions.student import Span, Topics
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

menus.add(Role.parent, N_("My children"), Children(), order=10)
menus.add(Role.parent, N_("Link a child"), LinkChild(), order=20)
menus.add(Role.parent, N_("Notifications"), Notifications(), order=60)

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
        [ChildTimetable(child.id, Span.week).button(ctx._("Timetable"))],
        [
            ChildAssignments(child.id).button(ctx._("Assignments")),
            ChildGrades(child.id).button(ctx._("Grades")),
        ],
        [Children().button(ctx._("My children")), *menu_row(ctx)],
    ]


async def _child(ctx: Joined, child_id: int) -> Child | None:
    child = await parents.child_of(ctx.session, ctx.person.id, child_id)
    if child is None:
        ctx.reply(ctx._("This button is no longer active."), buttons=[menu_row(ctx)])
    return child


@router.action(Children, roles=PARENT)
async def my_children(ctx: Joined, _: Children) -> None:
    kids = await parents.children(ctx.session, ctx.person.id)
    if not kids:
        ctx.reply(
            ctx._("No child is linked yet. Ask your child or the organization for a link code."),
            buttons=[[LinkChild().button(ctx._("Link a child"))], menu_row(ctx)],
        )
        return
    if len(kids) == 1:
        await child_card(ctx, ChildCard(kids[0].id))
        return
    rows = [[ChildCard(k.id).button(f"{k.name}" + (f" ({k.group})" if k.group else ""))] for k in kids]
    ctx.reply(ctx._("Choose the child:"), buttons=rows + [menu_row(ctx)])


@router.action(ChildCard, roles=PARENT)
async def child_card(ctx: Joined, action: ChildCard) -> None:
    child = await _child(ctx, action.child_id)
    if child is None:
        return
    title = child.name + (f", {child.group}" if child.group else "")
    ctx.reply(title, buttons=_child_buttons(ctx, child))


@router.action(ChildTimetable, roles=PARENT)
async def child_timetable(ctx: Joined, action: ChildTimetable) -> None:
    child = await _child(ctx, action.child_id)
    if child is None:
        return
    text = await timetable_text(ctx, child.id, action.span or Span.week, who=child.name)
    buttons = timetable_buttons(ctx, lambda span: ChildTimetable(child.id, span), Topics(child.id))
    ctx.reply(text, buttons=buttons + _child_buttons(ctx, child)[2:])


@router.action(ChildAssignments, roles=PARENT)
async def child_assignments(ctx: Joined, action: ChildAssignments) -> None:
    child = await _child(ctx, action.child_id)
    if child is None:
        return
    views = await assignments.open_list(ctx.session, child.id, utcnow())
    title = ctx._("Assignments of {child} by deadline:", child=child.name)
    ctx.reply(assignments_text(ctx.t, views, title), buttons=_child_buttons(ctx, child))


@router.action(ChildGrades, roles=PARENT)
async def child_grades(ctx: Joined, action: ChildGrades) -> None:
    child = await _child(ctx, action.child_id)
    if child is None:
        return
    courses = await grades_view.course_grades(ctx.session, child.id, ctx.org.grading_scheme)
    title = ctx._("Grades of {child}", child=child.name)
    ctx.reply(grades_text(ctx.t, courses, title, detailed=True), buttons=_child_buttons(ctx, child))


@router.action(LinkChild, roles=PARENT)
async def link_child(ctx: Joined, _: LinkChild) -> None:
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


@router.action(Acknowledge, roles=[Role.parent, Role.student])
async def acknowledge(ctx: Joined, action: Acknowledge) -> None:
    if not await parents.acknowledge(ctx.session, action.announcement_id, ctx.person.id):
        ctx.reply(ctx._("This button is no longer active."), buttons=[menu_row(ctx)])
        return
    ctx.reply(ctx._("Thank you: the teacher will see that you have read it."), buttons=[menu_row(ctx)])
