"""«Give a role»: an existing person gets another role in chat (a teacher who is also a parent), so no
second person and no second import are needed. Who may give which role: permissions.GRANTS."""

from __future__ import annotations

from sqlalchemy import select

from bot.actions.staff import GiveRole
from bot.core.context import Joined
from bot.core.menus import menus
from bot.core.messages import Button, Reply
from bot.core.router import Dialog, dialog_button
from bot.i18n import N_, Translator
from bot.labels import ROLE_NAMES
from bot.services.messaging.notify import notify
from bot.services.people import permissions, roster
from bot.services.people.permissions import Action, roles_for
from bot.services.people.roster import RoleRefused
from db.models import Person, PersonRole, Role
from handlers.staff import router
from handlers.staff.widgets import chosen_group, group_buttons, pick_person
from handlers.ui import choice, menu_row

GIVERS = roles_for(Action.import_roster)
WITH_GROUP = (Role.student, Role.tutor)
giving = router.add_dialog(Dialog("give_role", roles=GIVERS))

menus.add(tuple(GIVERS), N_("Give a role"), GiveRole(), order=25)


@router.action(GiveRole, roles=GIVERS)
async def give_role(ctx: Joined, _: GiveRole) -> None:
    await ctx.start_dialog("give_role", "person")
    ctx.reply(ctx._("Whom do you give a role? Write the person's name, or a part of it."))


async def _roles_of(ctx: Joined, person_id: int) -> set[Role]:
    return set(await ctx.session.scalars(select(PersonRole.role).where(PersonRole.person_id == person_id)))


@giving.step("person")
async def person_step(ctx: Joined) -> None:
    person = await pick_person(ctx, "person", None)
    if person is None:
        return
    has = await _roles_of(ctx, person.id)
    offered = [r for r in Role if r in roster.IMPORTABLE & permissions.grantable(ctx.roles) and r not in has]
    if not offered:
        await ctx.end_dialog()
        ctx.reply(
            ctx._("{person} already has every role you may give.", person=person.full_name),
            buttons=[menu_row(ctx)],
        )
        return
    await ctx.goto("role", person_id=person.id)
    ctx.reply(
        ctx._(
            "{person} has the roles: {roles}. Which role do you give?",
            person=person.full_name,
            roles=", ".join(ctx._(ROLE_NAMES[r]) for r in sorted(has)) or "—",
        ),
        buttons=[[Button(ctx._(ROLE_NAMES[r]), dialog_button(r.value))] for r in offered],
    )


@giving.step("role")
async def role_step(ctx: Joined) -> None:
    picked = choice(ctx)
    if picked not in {r.value for r in Role}:
        ctx.ask_again(ctx._("Choose with a button."))
        return
    role = Role(picked)
    if role in WITH_GROUP:
        await ctx.goto("group", role=role.value)
        ctx.reply(ctx._("Which group?"), buttons=await group_buttons(ctx))
        return
    await _give(ctx, role, None)


@giving.step("group")
async def group_step(ctx: Joined) -> None:
    group = await chosen_group(ctx)
    if group is not None:
        await _give(ctx, Role(ctx.data["role"]), group.id)


async def _give(ctx: Joined, role: Role, group_id: int | None) -> None:
    person_id = int(ctx.data["person_id"])
    await ctx.end_dialog()
    try:
        person = await roster.give_role(
            ctx.session, ctx.org.id, person_id, role, group_id, actor_id=ctx.person.id, actor_roles=ctx.roles
        )
    except RoleRefused:
        ctx.reply(ctx._("This role cannot be given to this person."), buttons=[menu_row(ctx)])
        return
    name = await ctx.session.scalar(select(Person.full_name).where(Person.id == person.id))

    def told(t: Translator) -> Reply:
        return Reply(
            t.gettext("You have one more role in Ustaz: {role}. Switch to it with /role.").format(
                role=t.gettext(ROLE_NAMES[role])
            )
        )

    await notify(ctx.session, [person.id], told, kind="role")
    ctx.reply(
        ctx._("Done: {person} is now also {role}.", person=name or "", role=ctx._(ROLE_NAMES[role])),
        buttons=[menu_row(ctx)],
    )
