"""Joining, the main menu, help, language and role switching, and the polite refusals."""

from __future__ import annotations

from bot.actions.common import Cancel, Help, Language, Menu, SwitchRole
from bot.core.context import Context, Joined, fresh_context
from bot.core.messages import Button
from bot.files.store import MB, FileReason, FileRejected
from bot.i18n import LOCALES, N_
from bot.labels import ROLE_NAMES
from bot.services.people import invites, linking, parents
from bot.services.people.invites import RedeemOutcome
from bot.services.people.parents import LinkOutcome, LinkResult
from db.models import Role
from handlers.common import router
from handlers.common.menu import language_buttons, no_access, show_menu, welcome
from handlers.common.messengers import redeem_link_code
from handlers.parent.menu import (
    CHILD_CODE_EXPIRED,
    CHILD_CODE_USED,
    LINKED,
    NOT_A_PARENT,
    answer_linked,
    code_problem,
)
from handlers.student import stray

HELP_BY_ROLE = {
    Role.student: N_(
        "You are a student. From the menu you can see your timetable and assignments, "
        "submit work as files or photos, see your grades and ask your teacher a question."
    ),
    Role.parent: N_(
        "You are a parent. From the menu you can follow your children's timetable, "
        "assignments and grades, and you receive the organization's notices."
    ),
    Role.teacher: N_(
        "You are a teacher. From the menu you can post assignments, review and grade submissions, "
        "run tests, send announcements and export the gradebook."
    ),
    Role.tutor: N_("You are a tutor. From the menu you can follow your groups and answer students."),
    Role.head: N_(
        "You are the head of the organization. From the menu you can review applications, "
        "sign orders and read reports."
    ),
    Role.deputy: N_("You are a deputy head. From the menu you can manage the organization and read reports."),
    Role.methodist: N_("You are a methodist. From the menu you can manage the timetable and read reports."),
    Role.admin: N_("You are an administrator. From the menu you can manage people, groups and invites."),
}

COMMANDS_HELP = N_(
    "Commands: /menu — main menu, /help — this help, /lang — language, /role — switch role, "
    "/cancel — stop the current step."
)


def cancel_row(ctx: Joined) -> list[Button]:
    """A «Cancel» button for any dialog: the same as typing /cancel."""
    return [Cancel().button(ctx._("Cancel"))]


async def _redeem(ctx: Context, code: str) -> None:
    if linking.looks_like_link_code(code):  # a code from «My messengers» of another account
        await redeem_link_code(ctx, code)
        return
    joined_before = ctx.person is not None
    result = await invites.redeem(ctx.session, code, ctx.account)
    match result.outcome:
        case RedeemOutcome.joined | RedeemOutcome.already if joined_before and result.child_id:
            # A joined person linked a child (or had them already): named, the active role kept.
            assert isinstance(ctx, Joined) and result.child_id is not None
            # Only a staff code made for this very parent switches them to parent, as it always did.
            if ctx.person.active_role in ctx.roles | {Role.parent}:
                ctx.role = ctx.person.active_role
            child = await parents.child_of(ctx.session, ctx.person.id, result.child_id)
            assert child is not None
            outcome = LinkOutcome.linked if result.outcome is RedeemOutcome.joined else LinkOutcome.already
            await answer_linked(ctx, LinkResult(outcome, child, result.from_child), menu=True)
        case RedeemOutcome.joined:
            fresh = await fresh_context(ctx)
            if fresh.role is not None and result.role is not None:
                fresh.role = result.role
            greeting = fresh._("You have joined. Welcome!")
            if result.child_id is not None and fresh.person is not None:
                child = await parents.child_of(ctx.session, fresh.person.id, result.child_id)
                if child is not None:
                    greeting += "\n" + fresh._(LINKED, child=child.name)
            await show_menu(fresh, greeting)
        case RedeemOutcome.unknown | RedeemOutcome.already:
            ctx.reply(ctx._("This invite code is not known. Check it and send it again."))
        case RedeemOutcome.used:
            ctx.reply(
                ctx._(CHILD_CODE_USED)
                if result.from_child
                else ctx._("This invite code has already been used. Ask your organization for a new one.")
            )
        case RedeemOutcome.expired:
            ctx.reply(
                ctx._(CHILD_CODE_EXPIRED)
                if result.from_child
                else ctx._("This invite code has expired. Ask your organization for a new one.")
            )
        case RedeemOutcome.not_parent:
            ctx.reply(ctx._(NOT_A_PARENT), buttons=[[Menu().button(ctx._("Main menu"))]])
        case RedeemOutcome.other_person:
            ctx.reply(ctx._("This chat is already joined as another person. Ask your organization for help."))


async def unjoined(ctx: Context) -> None:
    """Someone we do not know yet: everything they do leads to joining."""
    msg = ctx.incoming
    if msg.command == "start" and msg.command_args:
        await _redeem(ctx, msg.command_args)
    elif msg.button and msg.button.startswith("lang:"):
        code = msg.button.split(":", 1)[1]
        if code in LOCALES:
            ctx.account.language_code = code
            fresh = await fresh_context(ctx)
            await welcome(fresh)
    elif (
        msg.text
        and not msg.command
        and (invites.looks_like_code(msg.text) or linking.looks_like_link_code(msg.text))
    ):
        await _redeem(ctx, msg.text)
    elif msg.text and not msg.command and len(msg.text.strip()) <= 16 and any(c.isdigit() for c in msg.text):
        ctx.reply(ctx._("This invite code is not known. Check it and send it again."))
    else:
        await welcome(ctx)


router.unjoined = unjoined


@router.command("start")
async def start(ctx: Joined) -> None:
    if ctx.incoming.command_args:
        # A joined person opening another invite (a parent's second child, a new role).
        await _redeem(ctx, ctx.incoming.command_args)
        return
    await show_menu(ctx)


@router.command("menu")
async def menu(ctx: Joined) -> None:
    await show_menu(ctx)


@router.action(Menu)
async def menu_button(ctx: Joined, _: Menu) -> None:
    await show_menu(ctx)


@router.action(Help)
async def help_button(ctx: Joined, _: Help) -> None:
    await help_(ctx)


@router.command("help")
async def help_(ctx: Joined) -> None:
    if ctx.role is None:
        no_access(ctx)
        return
    text = ctx._(HELP_BY_ROLE[ctx.role]) + "\n\n" + ctx._(COMMANDS_HELP)
    if ctx.dialog is not None:  # typed /help in the middle of a step: that step still waits
        text += "\n\n" + ctx._(
            "You are still in the middle of a step: go on where you were, or send /cancel."
        )
    ctx.reply(text, buttons=[[Menu().button(ctx._("Main menu"))]])


@router.action(Cancel)  # the «Cancel» button a dialog can show (cancel_row)
async def cancel_button(ctx: Joined, _: Cancel) -> None:
    await cancel(ctx)


@router.command("cancel")
async def cancel(ctx: Joined) -> None:
    had_dialog = ctx.dialog is not None
    await ctx.end_dialog()
    await show_menu(ctx, ctx._("Cancelled.") if had_dialog else None)


@router.command("lang")
async def language_command(ctx: Joined) -> None:
    await language(ctx, Language())


@router.action(Language)
async def language(ctx: Joined, action: Language) -> None:
    if action.code in LOCALES:
        ctx.person.locale = action.code
        fresh = await fresh_context(ctx)
        await show_menu(fresh, fresh._("The language is now English."))
        return
    ctx.reply(ctx._("Choose the language:"), buttons=language_buttons())


@router.command("role")
async def role_command(ctx: Joined) -> None:
    await switch_role(ctx, SwitchRole())


@router.action(SwitchRole)
async def switch_role(ctx: Joined, action: SwitchRole) -> None:
    if action.role is not None:
        wanted = action.role
        if wanted not in ctx.roles:
            await refused(ctx)
            return
        ctx.person.active_role = wanted
        ctx.role = wanted
        await show_menu(ctx)
        return
    if len(ctx.roles) < 2:
        ctx.reply(ctx._("You have only one role."), buttons=[[Menu().button(ctx._("Main menu"))]])
        return
    rows = [[SwitchRole(r).button(ctx._(ROLE_NAMES[r]))] for r in sorted(ctx.roles)]
    ctx.reply(ctx._("Choose the role to act in:"), buttons=rows)


async def unknown_command(ctx: Joined) -> None:
    ctx.reply(
        ctx._("I do not know this command.") + "\n" + ctx._(COMMANDS_HELP),
        buttons=[[Menu().button(ctx._("Main menu"))]],
    )


async def fallback(ctx: Joined) -> None:
    """Free text or a file with no dialog waiting for it."""
    if ctx.role is None:
        # Someone left without a role: a new invite code brings them back, anything else is explained.
        if ctx.incoming.text and not ctx.incoming.attachments and invites.looks_like_code(ctx.incoming.text):
            await _redeem(ctx, ctx.incoming.text)
        else:
            no_access(ctx)
        return
    if ctx.incoming.text and not ctx.incoming.attachments and linking.has_link_code_shape(ctx.incoming.text):
        await redeem_link_code(ctx, ctx.incoming.text)
        return
    if await _child_code(ctx):
        return
    if ctx.incoming.attachments and ctx.role == Role.student:
        await stray.offer(ctx)  # kept, and offered to their open assignments or a teacher
        return
    if ctx.incoming.attachments:
        text = ctx._("To hand in work, open the menu and choose the assignment first; then send the files.")
    else:
        text = ctx._("I did not understand. Choose from the menu, or send /help.")
    ctx.reply(text, buttons=[[Menu().button(ctx._("Main menu"))]])


async def _child_code(ctx: Joined) -> bool:
    """A parent pasting a link code outside «Link a child» (the student's message says they can).

    A student who is not a parent is told why a classmate's code does not work for them;
    any other text goes on to the usual answer, unless it is exactly a code that is not valid.
    """
    text = ctx.incoming.text
    if (
        ctx.incoming.attachments
        or not text
        or not invites.looks_like_code(text)
        or not ctx.has_role(Role.parent, Role.student)
    ):
        return False
    result = await parents.link_with_code(ctx.session, ctx.person, text, ctx.account)
    if result.child is not None:
        await answer_linked(ctx, result)
        return True
    if Role.parent in ctx.roles:
        answer = result.outcome is not LinkOutcome.unknown or invites.has_code_shape(text)
    else:
        answer = result.outcome in (LinkOutcome.not_parent, LinkOutcome.own_code)
    if answer:
        ctx.reply(
            code_problem(ctx, result.outcome, result.from_child),
            buttons=[[Menu().button(ctx._("Main menu"))]],
        )
    return answer


async def refused(ctx: Joined) -> None:
    if ctx.role is None:
        no_access(ctx)
        return
    ctx.reply(
        ctx._("This action is not available in your role."), buttons=[[Menu().button(ctx._("Main menu"))]]
    )


async def stale_button(ctx: Joined) -> None:
    ctx.reply(ctx._("This button is no longer active."), buttons=[[Menu().button(ctx._("Main menu"))]])


async def file_rejected(ctx: Context, exc: FileRejected, again: list[list[Button]]) -> None:
    if exc.reason == FileReason.too_big:
        text = ctx._(
            "The file «{name}» is too big: {size} MB, the limit is {limit} MB. Send a smaller file.",
            name=exc.name,
            size=ctx.t.number(round(exc.size / MB, 1)),
            limit=ctx.t.number(round(exc.limit / MB, 1)),
        )
    elif exc.reason == FileReason.empty:
        text = ctx._("The file «{name}» is empty. Send it again.", name=exc.name)
    else:
        text = ctx._(
            "The file «{name}» is of a type Ustaz does not accept. Send a PDF, a document, a photo, audio or "
            "video.",
            name=exc.name,
        )
    # The dialog goes on (the file was not taken): its buttons come again, no need to scroll up.
    ctx.reply(text, buttons=again)


router.unknown_command = unknown_command
router.fallback = fallback
router.refused = refused
router.stale_button = stale_button
