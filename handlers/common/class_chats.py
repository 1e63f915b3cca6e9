"""Class group chats: a teacher or the head links a Telegram group chat to a group of the school.

In the private chat: «Class group chat» → the group → a one-time code (and Telegram's «add to a group»
link that carries it). In the group: `/link CODE` (or the code the startgroup link sends as /start),
`/unlink`, `/join`. Removing Ustaz from the group ends the link as well.
"""

from __future__ import annotations

from bot.actions.common import ClassChats, Menu, UnlinkClassChat
from bot.core.actions import link_button
from bot.core.context import Joined
from bot.core.group_chat import GroupContext
from bot.core.menus import menus
from bot.core.messages import Button
from bot.i18n import N_, Translator
from bot.services.messaging import class_chats
from bot.services.messaging.class_chats import LinkOutcome
from db.models import Role
from handlers.common import router
from handlers.common.welcome import refused

LINKERS = (Role.teacher, Role.head, Role.deputy, Role.admin)

menus.add(LINKERS, N_("Class group chat"), ClassChats(), order=88)

WHAT_IS_POSTED = N_(
    "Ustaz posts there what the whole class should see: new assignments, timetable changes and "
    "announcements; never grades or personal data."
)


def _join_url(ctx: Joined | GroupContext) -> str | None:
    username = ctx.deps.telegram_username
    return f"https://t.me/{username}" if username else None


@router.action(ClassChats, roles=LINKERS)
async def class_chat_screen(ctx: Joined, action: ClassChats) -> None:
    groups = await class_chats.linkable_groups(ctx.session, ctx.person, ctx.roles)
    if action.group_id is None:
        if not groups:
            ctx.reply(
                ctx._("You have no groups whose chat you may link."),
                buttons=[[Menu().button(ctx._("Main menu"))]],
            )
            return
        choices = [[ClassChats(g.id).button(g.name + (" ✅" if g.chat_title else ""))] for g in groups]
        ctx.reply(
            ctx._("Class group chats in Telegram.")
            + " "
            + ctx._(WHAT_IS_POSTED)
            + "\n\n"
            + ctx._("Choose the group:"),
            buttons=choices + [[Menu().button(ctx._("Main menu"))]],
        )
        return
    group = next((g for g in groups if g.id == action.group_id), None)
    if group is None:
        await refused(ctx)
        return
    username = ctx.deps.telegram_username
    code = await class_chats.new_code(ctx.session, ctx.person, group.id, ctx.locale, _join_url(ctx))
    state = (
        ctx._("The group {group} is linked to the chat «{chat}».", group=group.name, chat=group.chat_title)
        if group.chat_title
        else ctx._("The group {group} has no linked chat yet.", group=group.name)
    )
    text = (
        state
        + "\n\n"
        + ctx._(
            "To link a Telegram group chat: add Ustaz to the group, then send there:\n\n/link {code}\n\n"
            "The code works once, for two days.",
            code=code,
        )
        + " "
        + ctx._(WHAT_IS_POSTED)
        + " "
        + ctx._("Removing Ustaz from the group, or /unlink there, stops it.")
    )
    rows: list[list[Button]] = []
    if username:
        rows.append(
            [link_button(ctx._("Add Ustaz to the group"), f"https://t.me/{username}?startgroup={code}")]
        )
    if group.chat_title:
        rows.append([UnlinkClassChat(group.id).button(ctx._("Unlink the chat"))])
    rows.append([ClassChats().button(ctx._("Class group chat")), Menu().button(ctx._("Main menu"))])
    ctx.reply(text, buttons=rows)


@router.action(UnlinkClassChat, roles=LINKERS)
async def unlink_from_menu(ctx: Joined, action: UnlinkClassChat) -> None:
    group = await class_chats.may_link(ctx.session, ctx.person, ctx.roles, action.group_id)
    if group is None:
        await refused(ctx)
        return
    done = await class_chats.unlink_group(ctx.session, group.id)
    ctx.reply(
        ctx._("The chat of {group} is unlinked: Ustaz posts nothing more there.", group=group.name)
        if done
        else ctx._("The group {group} has no linked chat yet.", group=group.name),
        buttons=[[ClassChats().button(ctx._("Class group chat")), Menu().button(ctx._("Main menu"))]],
    )


# -- in the group chat ------------------------------------------------------------------------


async def group_chat(ctx: GroupContext) -> None:
    msg = ctx.incoming
    if msg.command and not _for_us(ctx):
        return  # `/help@another_bot`: another bot's command in the same group
    if msg.moved_from is not None:  # the same class's chat under its new (supergroup) id
        await class_chats.moved(ctx.session, msg.moved_from, ctx.chat)
        return
    if msg.blocked is True:  # Ustaz was removed from the group: the link ends, nothing can be said there
        row = await class_chats.linked_to(ctx.session, ctx.chat.id)
        if row is not None:
            await class_chats.unlink(ctx.session, row)
        return
    if msg.blocked is False:  # added to a group
        if await class_chats.linked_to(ctx.session, ctx.chat.id) is None:
            _hello(ctx)
        return
    if msg.command in ("link", "start") and msg.command_args:
        await _link(ctx, msg.command_args)
    elif msg.command == "unlink":
        await _unlink(ctx)
    elif msg.command in ("join", "start", "help"):
        await _join(ctx)
    # Anything else in a group (other commands, buttons) is the class's own talk: Ustaz keeps quiet.


def _for_us(ctx: GroupContext) -> bool:
    """A command without a bot's name, or with this bot's."""
    head = (ctx.incoming.text or "").split(maxsplit=1)[0] if ctx.incoming.text else ""
    _, at, name = head.partition("@")
    username = ctx.deps.telegram_username
    return not at or username is None or name.lower() == username.lower()


def _hello(ctx: GroupContext) -> None:
    ctx.reply(
        ctx._(
            "Hello! I am Ustaz, the school's learning assistant. To link this chat to a group of the school, "
            "a teacher or the head makes a code in the private chat with Ustaz («Class group chat») and "
            "sends it here: /link CODE"
        )
    )


async def _link(ctx: GroupContext, code: str) -> None:
    result = await class_chats.link(ctx.session, code, ctx.chat, ctx.incoming.chat_title)
    t = Translator(result.locale, ctx.t.tz.key) if result.outcome is LinkOutcome.linked else ctx.t
    _ = t.gettext
    again = _("Make a new code in the private chat with Ustaz («Class group chat»).")
    match result.outcome:
        case LinkOutcome.linked:
            text = (
                _("This chat is now linked to the group {group}.").format(group=result.group)
                + " "
                + _(WHAT_IS_POSTED)
                + "\n\n"
                + _(
                    "Students and parents who have not joined Ustaz yet: open the private chat with Ustaz "
                    "and send your invite code, to get your own notices and hand in work."
                )
            )
            buttons = (
                [[link_button(_("Get your own notices privately"), result.join_url)]]
                if result.join_url
                else []
            )
            ctx.reply(text, buttons)
        case LinkOutcome.expired:
            ctx.reply(_("This code has expired.") + " " + again)
        case LinkOutcome.used:
            ctx.reply(_("This code has already linked another chat.") + " " + again)
        case LinkOutcome.unknown:
            ctx.reply(_("This code is not known.") + " " + again)


async def _unlink(ctx: GroupContext) -> None:
    row = await class_chats.linked_to(ctx.session, ctx.chat.id)
    if row is None:
        ctx.reply(ctx._("This chat is not linked to a group of the school."))
        return
    allowed = ctx.sender is not None and await class_chats.may_link(
        ctx.session, ctx.sender, ctx.roles, row.group_id
    )
    if not allowed:
        ctx.reply(
            ctx._(
                "Only the group's teacher or the head may unlink this chat, or remove Ustaz from the group."
            )
        )
        return
    group = await class_chats.group_name(ctx.session, row.group_id)
    await class_chats.unlink(ctx.session, row)
    ctx.reply(ctx._("The chat of {group} is unlinked: Ustaz posts nothing more there.", group=group))


async def _join(ctx: GroupContext) -> None:
    row = await class_chats.linked_to(ctx.session, ctx.chat.id)
    if row is None:
        _hello(ctx)
        return
    t = Translator(row.locale, ctx.t.tz.key)
    url = row.join_url or _join_url(ctx)
    ctx.reply(
        t.gettext(
            "To get your own notices and hand in work, open the private chat with Ustaz and send your "
            "invite code."
        ),
        [[link_button(t.gettext("Get your own notices privately"), url)]] if url else [],
    )


router.group_chat = group_chat
