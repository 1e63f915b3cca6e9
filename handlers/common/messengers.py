"""«My messengers»: the person's accounts on Telegram, WhatsApp and the web; linking another with a
one-time code sent from it; where notices go first (the others are the fallback); unlinking."""

from __future__ import annotations

from bot.actions.common import Menu, Messengers, MessengerStep
from bot.core.context import Context, Joined, fresh_context
from bot.core.messages import Button
from bot.i18n import N_
from bot.services.people import linking
from bot.services.people.linking import Linked, Unlinked
from db.models import Channel, MessengerAccount
from handlers.common import router
from handlers.common.menu import show_menu

CHANNEL_NAMES = {
    Channel.telegram: N_("Telegram"),
    Channel.whatsapp: N_("WhatsApp"),
    Channel.web: N_("Web chat"),
}


def account_name(ctx: Context, account: MessengerAccount) -> str:
    """«Telegram @aidana», «WhatsApp +77015551234», «Web chat»: how the person knows the account."""
    name = ctx._(CHANNEL_NAMES[account.channel])
    if account.channel is Channel.telegram and account.username:
        return f"{name} @{account.username}"
    if account.channel is Channel.whatsapp:
        return f"{name} {account.external_id}"
    return name


@router.action(Messengers)
async def messengers(ctx: Joined, action: Messengers) -> None:
    match action.step:
        case MessengerStep.link:
            await _link_code(ctx)
            return
        case MessengerStep.notices if action.account_id is not None:
            if await linking.choose_for_notices(ctx.session, ctx.person.id, action.account_id):
                chosen = await ctx.session.get(MessengerAccount, action.account_id)
                assert chosen is not None
                said = ctx._(
                    "Notices will come to {name} first; your other messengers are the fallback.",
                    name=account_name(ctx, chosen),
                )
                await _list(ctx, said, chosen=action.account_id)
                return
        case MessengerStep.unlink if action.account_id is not None:
            await _ask_unlink(ctx, action.account_id)
            return
        case MessengerStep.unlink_yes if action.account_id is not None:
            await _unlink(ctx, action.account_id)
            return
    await _list(ctx)


async def _list(ctx: Joined, said: str | None = None, chosen: int | None = None) -> None:
    accounts = await linking.accounts_of(ctx.session, ctx.person.id)
    first = chosen or next((a.id for a in accounts if a.notices_first), None)
    lines, rows = [], []
    for account in accounts:
        name = account_name(ctx, account)
        marks = []
        if account.id == ctx.account.id:
            marks.append(ctx._("you are writing from it"))
        if account.id == first:
            marks.append(ctx._("notices come here first"))
        lines.append("• " + name + (f" — {', '.join(marks)}" if marks else ""))
        row: list[Button] = []
        if account.id != first:
            row.append(
                Messengers(MessengerStep.notices, account.id).button(ctx._("Notices to {name}", name=name))
            )
        if len(accounts) > 1:
            row.append(Messengers(MessengerStep.unlink, account.id).button(ctx._("Unlink {name}", name=name)))
        if row:
            rows.append(row)
    text = ctx._("Your messengers:") + "\n" + "\n".join(lines)
    if first is None and len(accounts) > 1:
        text += "\n\n" + ctx._(
            "Notices come to the messenger you wrote from last; you may choose one instead."
        )
    if said:
        text = said + "\n\n" + text
    rows.append([Messengers(MessengerStep.link).button(ctx._("Link another messenger"))])
    rows.append([Menu().button(ctx._("Main menu"))])
    ctx.reply(text, buttons=rows)


async def _link_code(ctx: Joined) -> None:
    code = await linking.new_code(ctx.session, ctx.person.id)
    back = [[Messengers().button(ctx._("My messengers"))], [Menu().button(ctx._("Main menu"))]]
    if code is None:
        ctx.reply(
            ctx._("You asked for several codes just now. Use the last one, or try again in 15 minutes."),
            buttons=back,
        )
        return
    ctx.reply(
        ctx._(
            "Your link code: {code}\n\nSend it to Ustaz from the other messenger (Telegram, WhatsApp or the "
            "web chat) within 15 minutes: that account will then be yours too, with the same name, roles and "
            "history. The code works once; do not give it to anyone.",
            code=linking.shown(code),
        ),
        buttons=back,
    )


async def _ask_unlink(ctx: Joined, account_id: int) -> None:
    account = next(
        (a for a in await linking.accounts_of(ctx.session, ctx.person.id) if a.id == account_id), None
    )
    if account is None:
        await _list(ctx)
        return
    ctx.reply(
        ctx._(
            "Unlink {name}? Ustaz will no longer know that account as you; to use it again, link it with a "
            "new code.",
            name=account_name(ctx, account),
        ),
        buttons=[
            [Messengers(MessengerStep.unlink_yes, account_id).button(ctx._("Yes, unlink"))],
            [Messengers().button(ctx._("No, keep it"))],
        ],
    )


async def _unlink(ctx: Joined, account_id: int) -> None:
    account = await ctx.session.get(MessengerAccount, account_id)
    name = account_name(ctx, account) if account is not None else ""
    match await linking.unlink(ctx.session, ctx.person.id, account_id):
        case Unlinked.unlinked if account_id == ctx.account.id:
            # This very chat is no longer theirs: it is answered as someone who has not joined.
            ctx.reply(ctx._("{name} is unlinked. This chat no longer knows you.", name=name))
        case Unlinked.unlinked:
            await _list(ctx, ctx._("{name} is unlinked.", name=name))
        case Unlinked.last:
            await _list(ctx, ctx._("This is your only messenger: link another one before unlinking it."))
        case Unlinked.not_theirs:
            await _list(ctx)


async def redeem_link_code(ctx: Context, code: str) -> None:
    """A link code sent from the messenger being linked (joined or not)."""
    result = await linking.redeem(ctx.session, code, ctx.account)
    match result.outcome:
        case Linked.linked:
            fresh = await fresh_context(ctx)
            await show_menu(
                fresh,
                fresh._("This messenger is linked to you now. You can use Ustaz here as in your other one."),
            )
        case Linked.already:
            assert isinstance(ctx, Joined)
            await show_menu(ctx, ctx._("This messenger is linked to you already."))
        case Linked.other_person:
            ctx.reply(
                ctx._(
                    "This chat is already joined as another person, so it cannot be linked. Send the code "
                    "from a messenger account that has not joined Ustaz."
                )
            )
        case Linked.unknown:
            ctx.reply(
                ctx._(
                    "This link code is not known or has expired (codes last 15 minutes and work once). "
                    "Ask for a new one in «My messengers»."
                )
            )
        case Linked.too_many:
            ctx.reply(ctx._("Too many wrong codes from this chat. Wait 15 minutes and try again."))
