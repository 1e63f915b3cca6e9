"""The register of orders and enrolment orders (бұйрық / приказ): admission, transfer, readmission and
expulsion, signed by the head after a preview. Orders on applications are issued from
handlers/staff_applications.py."""

from __future__ import annotations

from sqlalchemy import select

from bot.actions.staff import ExportRegister, NewOrder, OrderRegister
from bot.core.context import Joined
from bot.core.menus import menus
from bot.core.messages import Button, OutFile
from bot.core.router import Dialog, dialog_button
from bot.files.tables import XLSX_MIME
from bot.i18n import N_
from bot.language.russian import surname_first
from bot.services.admin import orders
from bot.services.people.permissions import Action, may, roles_for
from db.models import Group, OrderKind, Person, Role
from handlers.staff import router
from handlers.staff.widgets import pick_person as _pick_person
from handlers.ui import choice
from handlers.ui import menu_row as _menu

REGISTER = roles_for(Action.read_register)
SIGN = roles_for(Action.sign_orders)
menus.add(tuple(REGISTER), N_("Register of orders"), OrderRegister(), order=30)
order_dialog = router.add_dialog(Dialog("enrolment_order", roles=SIGN))


# -- the register of orders and enrolment orders ----------------------------------------


@router.action(OrderRegister, roles=REGISTER)
async def register(ctx: Joined, _: OrderRegister) -> None:
    items = await orders.register(ctx.session, ctx.org.id, limit=15)
    lines = [ctx._("Register of orders (latest first):")]
    lines += [
        f"• {o.number} — {ctx.t.date(o.issued_on, 'dd.MM.y')} — {ctx._(orders.KIND_NAMES[o.kind])} — "
        f"{s or '—'}"
        for o, s, _g in items
    ] or [ctx._("No orders yet.")]
    buttons = [[ExportRegister().button(ctx._("Export to XLSX"))]]
    if may(ctx.roles, Action.sign_orders):
        buttons.append([NewOrder().button(ctx._("New order"))])
    ctx.reply("\n".join(lines), buttons=buttons + [_menu(ctx)])


@router.action(ExportRegister, roles=REGISTER)
async def register_export(ctx: Joined, _: ExportRegister) -> None:
    data = await orders.register_xlsx(ctx.session, ctx.t, ctx.org.id)
    saved = await ctx.deps.files.save(
        ctx.session,
        data,
        ctx._("Register of orders") + ".xlsx",
        "document",
        ctx.person.id,
        trusted_mime=XLSX_MIME,
    )
    ctx.reply(ctx._("The register of orders is attached."), files=[OutFile(saved.id)], buttons=[_menu(ctx)])


ENROLMENT_KINDS = orders.ENROLMENT_KINDS


@router.action(NewOrder, roles=SIGN)
async def order_start(ctx: Joined, _: NewOrder) -> None:
    await ctx.start_dialog("enrolment_order", "kind")
    ctx.reply(
        ctx._("Which order?"),
        buttons=[[Button(ctx._(orders.KIND_NAMES[k]), dialog_button(k.value))] for k in ENROLMENT_KINDS],
    )


@order_dialog.step("kind")
async def order_kind(ctx: Joined) -> None:
    kind = choice(ctx)
    if kind not in {k.value for k in ENROLMENT_KINDS}:
        ctx.ask_again(ctx._("Choose with a button."))
        return
    await ctx.goto("student", kind=kind)
    ctx.reply(ctx._("Write the student's full name (or a part of it)."))


def _refusal(ctx: Joined, kind: OrderKind, refused: orders.NotAStudent) -> str:
    """Why the order may not name this person."""
    name, what = refused.person.full_name, ctx._(orders.KIND_NAMES[kind])
    if refused.roles:
        text = ctx._(
            "«{name}» is {roles}, not a student: an order on {kind} names only a student.",
            name=name,
            roles=orders.roles_phrase(ctx.t, refused.roles),
            kind=what,
        )
    else:
        text = ctx._(
            "«{name}» is not enrolled as a student: an order on {kind} names only a student.",
            name=name,
            kind=what,
        )
    return text


def _not_sensible(ctx: Joined, refused: orders.EnrolmentRefused) -> str:
    return ctx._(orders.REFUSALS[refused.reason], name=refused.person.full_name, group=refused.group or "—")


@order_dialog.step("student")
async def order_student(ctx: Joined) -> None:
    kind = OrderKind(ctx.data["kind"])
    # Admission and readmission may name a person who holds no role yet; the check below refuses staff.
    role = None if kind in (OrderKind.admission, OrderKind.readmission) else Role.student
    person = await _pick_person(ctx, "student", role)
    if person is None:
        return
    try:
        await orders.check_enrolment(ctx.session, kind, person)
    except orders.NotAStudent as refused:
        ctx.reply(_refusal(ctx, kind, refused) + "\n" + ctx._("Write another name, or /cancel."))
        return
    except orders.EnrolmentRefused as refused:
        ctx.reply(_not_sensible(ctx, refused) + "\n" + ctx._("Write another name, or /cancel."))
        return
    await ctx.goto("group" if kind is not OrderKind.expulsion else "grounds", student_id=person.id)
    if kind is OrderKind.expulsion:
        ctx.reply(ctx._("Write the grounds of the order."))
        return
    ctx.reply(ctx._("Which group?"), buttons=await _group_buttons(ctx))


async def _group_buttons(ctx: Joined) -> list[list[Button]]:
    groups = await ctx.session.scalars(
        select(Group).where(Group.organization_id == ctx.org.id).order_by(Group.name)
    )
    return [[Button(g.name, dialog_button(g.id))] for g in groups]


@order_dialog.step("group")
async def order_group(ctx: Joined) -> None:
    picked = choice(ctx)
    group = await ctx.session.get(Group, int(picked)) if picked is not None and picked.isdigit() else None
    if group is None or group.organization_id != ctx.org.id:
        ctx.ask_again(ctx._("Choose with a button."))
        return
    kind = OrderKind(ctx.data["kind"])
    student = await ctx.session.get(Person, ctx.data["student_id"])
    assert student is not None
    try:
        await orders.check_enrolment(ctx.session, kind, student, group)
    except orders.NotAStudent as refused:  # the person's roles changed since the previous step
        await ctx.end_dialog()
        ctx.reply(_refusal(ctx, kind, refused), buttons=[_menu(ctx)])
        return
    except orders.EnrolmentRefused as refused:
        ctx.reply(
            _not_sensible(ctx, refused) + "\n" + ctx._("Choose another group, or /cancel."),
            buttons=await _group_buttons(ctx),
        )
        return
    await ctx.goto("grounds", group_id=group.id)
    ctx.reply(ctx._("Write the grounds of the order."))


SIGN_BUTTON, CANCEL_BUTTON = "sign", "cancel"


@order_dialog.step("grounds")
async def order_grounds(ctx: Joined) -> None:
    """The grounds typed; the order is shown as it will be signed, and nothing is signed yet."""
    text = (ctx.incoming.text or "").strip()
    if not text or ctx.incoming.button:
        ctx.reply(ctx._("Write it as text, please."))
        return
    data = ctx.data
    kind = OrderKind(data["kind"])
    student = await ctx.session.get(Person, data["student_id"])
    group = await ctx.session.get(Group, data["group_id"]) if data.get("group_id") else None
    assert student is not None
    await ctx.goto("confirm", grounds=text[:2000])
    current = await orders.group_name(ctx.session, student.id)
    decision = ctx._(orders.DECISIONS[kind]).format(
        student=surname_first(student.full_name), group=group.name if group else current, from_group=current
    )
    lines = [
        ctx._("Check the order before signing it:"),
        ctx._("Order: {kind}", kind=ctx._(orders.KIND_NAMES[kind])),
        ctx._("Number: given on signing, the next in the register"),
        ctx._("Date: {date}", date=ctx.t.date(orders.today_for(ctx.org))),
        ctx._("Student: {name}, group {group}", name=student.full_name, group=current),
        f"1. {decision}",
        ctx._("Grounds: {grounds}.", grounds=text[:2000]),
        "",
        ctx._("Nothing is signed or registered until you press «Sign»."),
    ]
    ctx.reply(
        "\n".join(lines),
        buttons=[
            [Button(ctx._("Sign"), dialog_button(SIGN_BUTTON))],
            [Button(ctx._("Cancel"), dialog_button(CANCEL_BUTTON))],
        ],
    )


@order_dialog.step("confirm")
async def order_confirm(ctx: Joined) -> None:
    picked = choice(ctx)
    if picked == CANCEL_BUTTON:
        await ctx.end_dialog()
        ctx.reply(
            ctx._("The order is not signed: nothing was entered in the register."), buttons=[_menu(ctx)]
        )
        return
    if picked != SIGN_BUTTON:
        ctx.reply(ctx._("Press «Sign» or «Cancel»."))
        return
    data = ctx.data
    kind = OrderKind(data["kind"])
    student = await ctx.session.get(Person, data["student_id"])
    group = await ctx.session.get(Group, data["group_id"]) if data.get("group_id") else None
    assert student is not None
    await ctx.end_dialog()
    try:
        issued = await orders.issue_enrolment_order(
            ctx.session,
            ctx.deps.files,
            org=ctx.org,
            kind=kind,
            student=student,
            head=ctx.person,
            head_roles=list(ctx.roles),
            grounds=data["grounds"],
            group=group,
        )
    except orders.NotAStudent as refused:  # the person's roles changed since the preview
        ctx.reply(_refusal(ctx, kind, refused), buttons=[_menu(ctx)])
        return
    except orders.EnrolmentRefused as refused:  # an order signed meanwhile changed the enrolment
        ctx.reply(_not_sensible(ctx, refused), buttons=[_menu(ctx)])
        return
    ctx.reply(
        ctx._(
            "Order No. {number} of {date} is signed and entered in the register.",
            number=issued.order.number,
            date=ctx.t.date(issued.order.issued_on),
        ),
        files=[OutFile(issued.pdfs[ctx.locale])],
        buttons=[_menu(ctx)],
    )
