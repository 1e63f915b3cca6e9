"""Small pieces the staff dialogs share: a person or a group chosen, typed text, an optional choice."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.context import Joined
from bot.core.messages import Button
from bot.core.router import dialog_button
from bot.services.admin.setup import SetupReason
from db.models import Course, Group, Person, PersonRole, Role
from handlers.ui import choice, menu_row


async def find_people(ctx: Joined, text: str, role: Role | None = Role.student) -> list[Person]:
    query = select(Person).where(Person.organization_id == ctx.org.id)
    for word in text.split()[:3]:
        query = query.where(Person.full_name.ilike(f"%{word}%"))
    if role is not None:
        query = query.where(Person.id.in_(select(PersonRole.person_id).where(PersonRole.role == role)))
    return list(await ctx.session.scalars(query.order_by(Person.full_name).limit(10)))


async def pick_person(ctx: Joined, next_step: str, role: Role | None = Role.student) -> Person | None:
    """A person chosen by typed name or by a button; asks again when unclear."""
    picked = choice(ctx)
    if picked is not None and picked.isdigit():
        person = await ctx.session.get(Person, int(picked))
        if person is not None and person.organization_id == ctx.org.id:
            return person
    text = (ctx.incoming.text or "").strip()
    if not text:  # an old button or a file where a name was expected
        ctx.reply(ctx._("Write the person's name, or a part of it."))
        return None
    found = await find_people(ctx, text, role) if len(text) >= 2 else []
    if len(found) == 1:
        return found[0]
    if not found:
        ctx.reply(ctx._("Nobody found by «{text}». Write the name again.", text=text))
    else:
        ctx.reply(
            ctx._("Choose the person:"), buttons=[[Button(p.full_name, dialog_button(p.id))] for p in found]
        )
    return None


def typed_text(ctx: Joined, limit: int) -> str | None:
    """Typed text with its spaces tidied, cut to what the column holds; else asks for text, None."""
    text = " ".join((ctx.incoming.text or "").split())
    if not text or ctx.incoming.button:
        ctx.reply(ctx._("Write it as text, please."))
        return None
    return text[:limit]


NONE = "none"


def optional_id(ctx: Joined) -> tuple[bool, int | None]:
    """A pressed id or the "none" button: (True, id or None); anything else asks again: (False, None)."""
    picked = choice(ctx)
    if picked == NONE:
        return True, None
    if picked is not None and picked.isdigit():
        return True, int(picked)
    ctx.ask_again(ctx._("Choose with a button."))
    return False, None


def optional_buttons(items: list[tuple[int, str]], none_label: str) -> list[list[Button]]:
    """One button per (id, label), and a last one for "none of them" (read back by optional_id)."""
    return [[Button(label, dialog_button(item_id))] for item_id, label in items] + [
        [Button(none_label, dialog_button(NONE))]
    ]


async def group_buttons(ctx: Joined, with_courses: bool = False) -> list[list[Button]]:
    query = select(Group).where(Group.organization_id == ctx.org.id).order_by(Group.name)
    if with_courses:
        query = query.where(Group.id.in_(select(Course.group_id)))
    return [[Button(g.name, dialog_button(g.id))] for g in (await ctx.session.scalars(query)).all()[:40]]


async def chosen_group(ctx: Joined) -> Group | None:
    """The group of a pressed button or a typed name; asks again otherwise."""
    picked = choice(ctx)
    query = select(Group).where(Group.organization_id == ctx.org.id)
    if picked and picked.isdigit():
        group = await ctx.session.scalar(query.where(Group.id == int(picked)))
    else:
        typed = " ".join((ctx.incoming.text or "").split())
        group = await ctx.session.scalar(query.where(Group.name == typed)) if typed else None
    if group is None:
        ctx.ask_again(ctx._("Choose the group with a button or write its name exactly."))
    return group


def ask_when(ctx: Joined) -> str:
    return ctx._(
        "When? For example «Friday 10:00-11:30» or «27.11 14:30» (a lesson lasts 90 minutes unless you give "
        "the end)."
    )


def refuse_lesson_time(ctx: Joined, reason: SetupReason) -> None:
    """Why a typed lesson time was not taken (bot/services/admin/setup.lesson_time's SetupError reasons)."""
    if reason == SetupReason.past:
        ctx.reply(ctx._("This moment has already passed. Choose a later one."))
    elif reason == SetupReason.order:
        ctx.reply(ctx._("The lesson ends before it starts. Write the time again."))
    else:
        ctx.reply(ctx._("I could not read the day and time.") + "\n" + ask_when(ctx))


async def start_with_group(ctx: Joined, dialog: str, question: str) -> None:
    """Starts `dialog` at its "group" step with the groups that have courses; says so if none has."""
    buttons = await group_buttons(ctx, with_courses=True)
    if not buttons:
        ctx.reply(ctx._("No group has a course yet. Add a course first."), buttons=[menu_row(ctx)])
        return
    await ctx.start_dialog(dialog, "group")
    ctx.reply(question, buttons=buttons)


async def ask_course_of(ctx: Joined, group: Group) -> None:
    """Moves the dialog to its "course" step, offering the group's courses."""
    courses = (
        await ctx.session.scalars(
            select(Course).where(Course.group_id == group.id).order_by(Course.discipline)
        )
    ).all()
    await ctx.goto("course", group_id=group.id, group=group.name)
    ctx.reply(
        ctx._("Which course?"), buttons=[[Button(c.discipline, dialog_button(c.id))] for c in courses[:40]]
    )


async def picked_course(ctx: Joined) -> Course | None:
    """The course pressed at the "course" step, of the group chosen before; asks again otherwise."""
    picked = choice(ctx)
    course = await ctx.session.get(Course, int(picked)) if picked and picked.isdigit() else None
    if course is None or course.group_id != ctx.data["group_id"]:
        ctx.ask_again(ctx._("Choose with a button."))
        return None
    return course
