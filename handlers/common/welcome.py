"""Joining, the main menu, help, language and role switching, and the polite refusals."""

from __future__ import annotations

from bot.core.context import Context, Joined
from bot.core.menus import menus
from bot.core.messages import Button
from bot.files.store import MB, FileReason, FileRejected
from bot.i18n import LOCALES, N_
from bot.labels import LANGUAGE_NAMES, ROLE_NAMES
from bot.services.people import invites, parents
from bot.services.people.invites import RedeemOutcome
from bot.services.people.parents import LinkOutcome, LinkResult
from db.models import Role
from handlers.common import router

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
    return [Button(ctx._("Cancel"), "cancel")]


def language_buttons() -> list[list[Button]]:
    return [[Button(LANGUAGE_NAMES[code], f"lang:{code}") for code in LOCALES]]


async def show_menu(ctx: Context, greeting: str | None = None) -> None:
    if not isinstance(ctx, Joined):
        await welcome(ctx)
        return
    if ctx.role is None:
        no_access(ctx)
        return
    rows = [[Button(ctx._(entry.label), entry.action)] for entry in menus.entries(ctx.role)]
    tools = [Button(ctx._("Language"), "lang"), Button(ctx._("Help"), "help")]
    if len(ctx.roles) > 1:
        tools.insert(1, Button(ctx._("Switch role"), "role"))
    rows.append(tools)
    text = ctx._("Main menu — {name}, {role}.", name=ctx.person.full_name, role=ctx._(ROLE_NAMES[ctx.role]))
    ctx.reply(f"{greeting}\n\n{text}" if greeting else text, buttons=rows)


async def welcome(ctx: Context) -> None:
    ctx.reply(
        ctx._(
            "Welcome to Ustaz, the distance-learning assistant of your educational organization. "
            "To join, send the invite code you received from your organization (8 letters and digits)."
        ),
        buttons=language_buttons(),
    )


def no_access(ctx: Joined) -> None:
    """A person who joined but holds no role any more (expelled, a role taken away)."""
    ctx.reply(
        ctx._(
            "{name}, you have no access to Ustaz any more: you hold no role in {org} now (for example, "
            "after an expulsion order). If this is a mistake, contact the organization. With a new "
            "invite code from it, send the code here.",
            name=ctx.person.full_name,
            org=ctx.org.name,
        )
    )


async def _redeem(ctx: Context, code: str) -> None:
    from handlers.parent.menu import CHILD_CODE_EXPIRED, CHILD_CODE_USED, LINKED, NOT_A_PARENT, answer_linked

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
            fresh = await ctx.runtime.conversation.context(ctx.session, ctx.incoming, ctx.account)
            fresh.replies = ctx.replies
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
            ctx.reply(ctx._(NOT_A_PARENT), buttons=[[Button(ctx._("Main menu"), "menu")]])
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
            fresh = await ctx.runtime.conversation.context(ctx.session, ctx.incoming, ctx.account)
            fresh.replies = ctx.replies
            await welcome(fresh)
    elif msg.text and not msg.command and invites.looks_like_code(msg.text):
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
@router.button("menu")
async def menu(ctx: Joined) -> None:
    await show_menu(ctx)


@router.command("help")
@router.button("help")
async def help_(ctx: Joined) -> None:
    if ctx.role is None:
        no_access(ctx)
        return
    text = ctx._(HELP_BY_ROLE[ctx.role]) + "\n\n" + ctx._(COMMANDS_HELP)
    if ctx.dialog is not None:  # typed /help in the middle of a step: that step still waits
        text += "\n\n" + ctx._(
            "You are still in the middle of a step: go on where you were, or send /cancel."
        )
    ctx.reply(text, buttons=[[Button(ctx._("Main menu"), "menu")]])


@router.command("cancel")
@router.button("cancel")  # the «Cancel» button a dialog can show (cancel_row)
async def cancel(ctx: Joined) -> None:
    had_dialog = ctx.dialog is not None
    await ctx.end_dialog()
    await show_menu(ctx, ctx._("Cancelled.") if had_dialog else None)


@router.command("lang")
@router.button("lang")
async def language(ctx: Joined) -> None:
    if ctx.args and ctx.args[0] in LOCALES:
        ctx.person.locale = ctx.args[0]
        fresh = await ctx.runtime.conversation.context(ctx.session, ctx.incoming, ctx.account)
        fresh.replies = ctx.replies
        await show_menu(fresh, fresh._("The language is now English."))
        return
    ctx.reply(ctx._("Choose the language:"), buttons=language_buttons())


@router.command("role")
@router.button("role")
async def switch_role(ctx: Joined) -> None:
    if ctx.args:
        wanted = ctx.args[0]
        if wanted not in {r.value for r in ctx.roles}:
            await refused(ctx)
            return
        ctx.person.active_role = Role(wanted)
        ctx.role = Role(wanted)
        await show_menu(ctx)
        return
    if len(ctx.roles) < 2:
        ctx.reply(ctx._("You have only one role."), buttons=[[Button(ctx._("Main menu"), "menu")]])
        return
    rows = [[Button(ctx._(ROLE_NAMES[r]), f"role:{r.value}")] for r in sorted(ctx.roles)]
    ctx.reply(ctx._("Choose the role to act in:"), buttons=rows)


async def unknown_command(ctx: Joined) -> None:
    ctx.reply(
        ctx._("I do not know this command.") + "\n" + ctx._(COMMANDS_HELP),
        buttons=[[Button(ctx._("Main menu"), "menu")]],
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
    if await _child_code(ctx):
        return
    if ctx.incoming.attachments:
        text = ctx._("To hand in work, open the menu and choose the assignment first; then send the files.")
    else:
        text = ctx._("I did not understand. Choose from the menu, or send /help.")
    ctx.reply(text, buttons=[[Button(ctx._("Main menu"), "menu")]])


async def _child_code(ctx: Joined) -> bool:
    """A parent pasting a link code outside «Link a child» (the student's message says they can).

    A student who is not a parent is told why a classmate's code does not work for them;
    any other text goes on to the usual answer, unless it is exactly a code that is not valid.
    """
    from handlers.parent.menu import answer_linked, code_problem

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
            buttons=[[Button(ctx._("Main menu"), "menu")]],
        )
    return answer


async def refused(ctx: Joined) -> None:
    if ctx.role is None:
        no_access(ctx)
        return
    ctx.reply(
        ctx._("This action is not available in your role."), buttons=[[Button(ctx._("Main menu"), "menu")]]
    )


async def stale_button(ctx: Joined) -> None:
    ctx.reply(ctx._("This button is no longer active."), buttons=[[Button(ctx._("Main menu"), "menu")]])


async def file_rejected(ctx: Context, exc: FileRejected) -> None:
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
    ctx.reply(text, buttons=ctx.runtime.conversation.router.buttons_again(ctx))


router.unknown_command = unknown_command
router.fallback = fallback
router.refused = refused
router.stale_button = stale_button
