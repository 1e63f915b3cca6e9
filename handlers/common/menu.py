"""The main menu and the welcome screen: where a person lands, joined or not."""

from __future__ import annotations

from bot.actions.common import Consent, Help, Language, Messengers, SwitchRole
from bot.core.context import Context, Joined
from bot.core.menus import menus
from bot.core.messages import Button
from bot.i18n import LOCALES
from bot.labels import LANGUAGE_NAMES, ROLE_NAMES, ROLE_NAMES_FEMALE
from bot.language.gender import Gender, gender_of


def language_buttons() -> list[list[Button]]:
    return [[Language(code).button(LANGUAGE_NAMES[code]) for code in LOCALES]]


async def show_menu(ctx: Context, greeting: str | None = None) -> None:
    if not isinstance(ctx, Joined):
        await welcome(ctx)
        return
    if ctx.role is None:
        no_access(ctx)
        return
    rows = [[entry.action.button(ctx._(entry.label))] for entry in menus.entries(ctx.role)]
    tools = [
        Language().button(ctx._("Language")),
        Messengers().button(ctx._("My messengers")),
        Help().button(ctx._("Help")),
    ]
    if len(ctx.roles) > 1:
        tools.insert(1, SwitchRole().button(ctx._("Switch role")))
    rows.append(tools)
    female = gender_of(ctx.person.full_name) is Gender.female and ctx.role in ROLE_NAMES_FEMALE
    role = ROLE_NAMES_FEMALE[ctx.role] if female else ROLE_NAMES[ctx.role]
    text = ctx._("Main menu — {name}, {role}.", name=ctx.person.full_name, role=ctx._(role))
    if ctx.person.consent_at is None:  # asked at joining, and again on every menu until it is given
        rows.append([Consent().button(ctx._("Personal data consent"))])
        text += "\n\n" + ctx._("Your consent to the processing of personal data is not recorded yet.")
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
