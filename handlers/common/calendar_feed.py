"""The person's private calendar link (lessons and deadlines for a phone's calendar), and a new one."""

from __future__ import annotations

from bot.actions.common import CalendarLink, Menu
from bot.core.context import Joined
from bot.core.menus import menus
from bot.i18n import N_
from bot.services.schedule import feeds
from db.models import Role
from handlers.common import router

FEED_ROLES = (Role.student, Role.parent, Role.teacher)

menus.add(FEED_ROLES, N_("Calendar for your phone"), CalendarLink(), order=65)


@router.action(CalendarLink, roles=FEED_ROLES)
async def calendar_link(ctx: Joined, action: CalendarLink) -> None:
    if action.renew:
        address = await feeds.revoke(ctx.session, ctx.deps.links, ctx.person.id)
        head = ctx._("A new link is made: the old one no longer works.") + "\n\n"
    else:
        address = await feeds.url(ctx.session, ctx.deps.links, ctx.person.id)
        head = ""
    whose = (
        ctx._("your children's lessons and deadlines")
        if ctx.role == Role.parent
        else ctx._("your lessons and deadlines")
    )
    text = head + ctx._(
        "Your private calendar link: {whose}, in the time of {zone}. Add it to your phone's calendar "
        "(«Subscribe to a calendar» or «Add by URL»); it updates by itself.\n\n{url}\n\n"
        "Do not share it: anyone with the link sees your calendar. If it got out, make a new link.",
        whose=whose,
        zone=ctx.org.timezone,
        url=address,
    )
    ctx.reply(
        text,
        buttons=[
            [CalendarLink(renew=1).button(ctx._("Revoke and make a new link"))],
            [Menu().button(ctx._("Main menu"))],
        ],
    )
