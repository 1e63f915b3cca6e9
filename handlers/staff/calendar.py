"""The academic calendar: everyone reads it; staff enter academic periods and the calendar's dates.

Academic periods (terms) are set-up (deputy, methodist, admin); holidays, sessions and
attestation weeks are the academic side's (deputy, methodist), by bot/services/permissions.py.
"""

from __future__ import annotations

import datetime as dt

from bot.actions.staff import Calendar, NewEvent, NewTerm
from bot.core.context import Joined
from bot.core.menus import menus
from bot.core.messages import Button
from bot.core.router import Dialog, dialog_button
from bot.i18n import N_
from bot.services.people.permissions import Action, roles_for
from bot.services.schedule import calendar as calendar
from bot.services.schedule.calendar import EVENT_KINDS, CalendarError, CalendarReason
from db.base import utcnow
from db.models import Role
from handlers.staff import router
from handlers.staff.widgets import typed_text
from handlers.ui import choice, menu_row

TERMS = roles_for(Action.setup)
EVENTS = roles_for(Action.edit_calendar)

menus.add(tuple(Role), N_("Academic calendar"), Calendar(), order=90)

term_dialog = router.add_dialog(Dialog("setup_term", roles=TERMS))
event_dialog = router.add_dialog(Dialog("setup_event", roles=EVENTS))


@router.action(Calendar, roles=tuple(Role))  # everyone, not only the staff guarding this package
async def show_calendar(ctx: Joined, _: Calendar) -> None:
    views = await calendar.upcoming(ctx.session, ctx.org.id, ctx.t.local(utcnow()).date())
    ctx.reply(calendar.render(ctx.t, views), buttons=[menu_row(ctx)])


def read_period(ctx: Joined) -> tuple[dt.date, dt.date] | None:
    """Two dates from typed text; explains the problem and returns None."""
    try:
        return calendar.parse_period(ctx.incoming.text or "", utcnow(), ctx.org.timezone)
    except CalendarError as exc:
        if exc.reason == CalendarReason.order:
            ctx.reply(ctx._("It ends before it starts. Write the dates again."))
        else:
            ctx.reply(ctx._("I could not read the dates. Write them like «01.09.2026 – 25.12.2026»."))
        return None


# -- academic periods ------------------------------------------------------------------------------


@router.action(NewTerm, roles=TERMS)
async def term_start(ctx: Joined, _: NewTerm) -> None:
    await ctx.start_dialog("setup_term", "name")
    ctx.reply(ctx._("The name of the academic period (for example «1st semester 2026-2027»)?"))


@term_dialog.step("name")
async def term_name(ctx: Joined) -> None:
    name = typed_text(ctx, 100)
    if name is None:
        return
    await ctx.goto("dates", name=name)
    ctx.reply(ctx._("Its first and last day? For example «01.09.2026 – 25.12.2026»."))


@term_dialog.step("dates")
async def term_dates(ctx: Joined) -> None:
    period = read_period(ctx)
    if period is None:
        return
    start, end = period
    term, created = await calendar.create_term(ctx.session, ctx.org.id, ctx.data["name"], start, end)
    await ctx.end_dialog()
    text = ctx._(
        "The academic period «{name}» is saved: {dates}.",
        name=term.name,
        dates=ctx.t.period(start, end),
    )
    buttons = [menu_row(ctx)]
    if ctx.roles & EVENTS:
        buttons.insert(0, [NewEvent().button(ctx._("Add to the academic calendar"))])
    ctx.reply(text, buttons=buttons)


# -- holidays, sessions, attestation weeks -----------------------------------------------------------


@router.action(NewEvent, roles=EVENTS)
async def event_start(ctx: Joined, _: NewEvent) -> None:
    await ctx.start_dialog("setup_event", "kind")
    ctx.reply(
        ctx._("What goes into the academic calendar?"),
        buttons=[[Button(ctx._(label), dialog_button(kind))] for kind, label in EVENT_KINDS.items()],
    )


@event_dialog.step("kind")
async def event_kind(ctx: Joined) -> None:
    kind = choice(ctx)
    if kind not in EVENT_KINDS:
        ctx.ask_again(ctx._("Choose with a button."))
        return
    await ctx.goto("title", kind=kind)
    ctx.reply(ctx._("Its name (for example «Winter holidays»)?"))


@event_dialog.step("title")
async def event_title(ctx: Joined) -> None:
    title = typed_text(ctx, 300)
    if title is None:
        return
    await ctx.goto("dates", title=title)
    ctx.reply(ctx._("The dates? For example «29.12.2026 – 11.01.2027», or one date for a single day."))


@event_dialog.step("dates")
async def event_dates(ctx: Joined) -> None:
    period = read_period(ctx)
    if period is None:
        return
    start, end = period
    event, _created = await calendar.add_event(
        ctx.session, ctx.org.id, ctx.data["kind"], ctx.data["title"], start, end
    )
    await ctx.end_dialog()
    ctx.reply(
        ctx._(
            "Added to the academic calendar: {kind} «{title}», {dates}.",
            kind=ctx._(EVENT_KINDS[event.kind]),
            title=event.title,
            dates=ctx.t.period(start, end),
        ),
        buttons=[[Calendar().button(ctx._("Academic calendar"))], menu_row(ctx)],
    )
