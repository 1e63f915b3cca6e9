"""Consent to the processing of personal data (Kazakhstan's law No. 94-V), asked when a person joins.

An adult (or a parent, for themselves and their minor children) reads what is kept, where and for how
long, and agrees; the consent is recorded with who gave it and in which language. A minor's consent
comes from a parent or legal representative: in Ustaz when the parent agrees, or on paper at the
organization (`ustaz person consent ID --by PARENT_ID`).
"""

from __future__ import annotations

from bot.actions.common import Consent, Menu
from bot.core.context import Joined
from bot.services.people import personal_data
from db.base import utcnow
from handlers.common import router
from handlers.common.menu import show_menu


@router.action(Consent)
async def consent(ctx: Joined, action: Consent) -> None:
    menu = [Menu().button(ctx._("Main menu"))]
    if ctx.person.consent_at is not None:
        ctx.reply(
            ctx._(
                "Your consent to the processing of personal data was recorded on {date}.",
                date=ctx.t.date(ctx.person.consent_at),
            ),
            buttons=[menu],
        )
        return
    if personal_data.is_minor(ctx.person, ctx.t.local(utcnow()).date()):
        ctx.reply(
            ctx._(
                "You are under 18, so your parent or legal representative gives consent to the processing of "
                "your personal data: in Ustaz, when they join as your parent and agree, or on paper at your "
                "organization."
            ),
            buttons=[menu],
        )
        return
    if action.agree == 1:
        recorded = await personal_data.give_consent(ctx.session, ctx.person, ctx.person, ctx.t.locale)
        said = ctx._("Thank you: your consent is recorded.")
        if len(recorded) > 1:
            said += " " + ctx.n_(
                "It covers your child under 18 too.",
                "It covers your {n} children under 18 too.",
                len(recorded) - 1,
            )
        await show_menu(ctx, said)
        return
    ctx.reply(
        ctx._(
            "Consent to the processing of personal data (Law of the Republic of Kazakhstan No. 94-V).\n\n"
            "{org} keeps in Ustaz your name, phone, IIN and birth date if given, your messenger accounts "
            "and your study records: assignments, submitted work, grades, applications and orders. They "
            "are used only for your studies, seen only by those whose role needs them, and stored on "
            "servers in Kazakhstan. Orders and grades are kept as long as the rules on records require; "
            "the rest is erased on your request. A parent's consent also covers their children under 18.\n\n"
            "Do you agree?",
            org=ctx.org.name,
        ),
        buttons=[[Consent(1).button(ctx._("I agree"))], menu],
    )
