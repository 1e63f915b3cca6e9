"""Small pieces the staff dialogs share: a person chosen by name, typed text, an optional choice."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.context import Context
from bot.core.messages import Button
from bot.core.router import dialog_button
from db.models import Person, PersonRole, Role


async def find_people(ctx: Context, text: str, role: Role | None = Role.student) -> list[Person]:
    assert ctx.org is not None
    query = select(Person).where(Person.organization_id == ctx.org.id)
    for word in text.split()[:3]:
        query = query.where(Person.full_name.ilike(f"%{word}%"))
    if role is not None:
        query = query.where(Person.id.in_(select(PersonRole.person_id).where(PersonRole.role == role)))
    return list(await ctx.session.scalars(query.order_by(Person.full_name).limit(10)))


async def pick_person(ctx: Context, next_step: str, role: Role | None = Role.student) -> Person | None:
    """A person chosen by typed name or by a button; asks again when unclear."""
    assert ctx.org is not None
    if ctx.args and ctx.args[0].isdigit():
        person = await ctx.session.get(Person, int(ctx.args[0]))
        if person is not None and person.organization_id == ctx.org.id:
            return person
    text = (ctx.incoming.text or "").strip()
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


def typed_text(ctx: Context, limit: int) -> str | None:
    """Typed text with its spaces tidied, cut to what the column holds; else asks for text, None."""
    text = " ".join((ctx.incoming.text or "").split())
    if not text or ctx.incoming.button:
        ctx.reply(ctx._("Write it as text, please."))
        return None
    return text[:limit]


NONE = "none"


def optional_id(ctx: Context) -> tuple[bool, int | None]:
    """A pressed id or the "none" button: (True, id or None); anything else asks again: (False, None)."""
    picked = ctx.args[0] if ctx.incoming.button and ctx.args else None
    if picked == NONE:
        return True, None
    if picked is not None and picked.isdigit():
        return True, int(picked)
    ctx.reply(ctx._("Choose with a button."))
    return False, None


def optional_buttons(items: list[tuple[int, str]], none_label: str) -> list[list[Button]]:
    """One button per (id, label), and a last one for "none of them" (read back by optional_id)."""
    return [[Button(label, dialog_button(item_id))] for item_id, label in items] + [
        [Button(none_label, dialog_button(NONE))]
    ]
