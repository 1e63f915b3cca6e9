"""The application to study by distance, from the student's or the parent's side.

app_new ─▶ [child (parent)] ─▶ category ─▶ reason ─▶ documents ─▶ send
app_more:<id> ─▶ documents ─▶ send          (when staff asked for more)
app_my: my applications, their state and the order issued on them
"""

from __future__ import annotations

from bot.actions.common import Menu
from bot.actions.student import AddDocuments, Apply, MyApplications
from bot.core.context import Joined
from bot.core.menus import menus
from bot.core.messages import Button, OutFile
from bot.core.router import Dialog, dialog_button
from bot.i18n import N_
from bot.labels import CATEGORY_LABELS, files_phrase
from bot.services.admin import applications, orders
from bot.services.admin.applications import CATEGORIES, STATUS_NAMES
from db.models import Order, Role
from handlers.common.welcome import cancel_row
from handlers.student import router
from handlers.ui import choice

APPLICANTS = (Role.student, Role.parent)
apply = router.add_dialog(Dialog("apply", roles=APPLICANTS))
more = router.add_dialog(Dialog("apply_more", roles=APPLICANTS))

menus.add(APPLICANTS, N_("Apply to study by distance"), Apply(), order=70)
menus.add(APPLICANTS, N_("My applications"), MyApplications(), order=71)


def _menu_button(ctx: Joined) -> list[Button]:
    return [Menu().button(ctx._("Main menu"))]


@router.action(Apply, roles=APPLICANTS)
async def new_application(ctx: Joined, _: Apply) -> None:
    if ctx.role is Role.parent:
        children = await applications.children_of(ctx.session, ctx.person.id)
        if not children:
            ctx.reply(ctx._("No child is linked to you yet."), buttons=[_menu_button(ctx)])
            return
        if len(children) > 1:
            await ctx.start_dialog("apply", "child")
            ctx.reply(
                ctx._("For which child is the application?"),
                buttons=[[Button(c.full_name, dialog_button(c.id))] for c in children],
            )
            return
        await _ask_category(ctx, children[0].id)
        return
    await _ask_category(ctx, ctx.person.id)


async def _ask_category(ctx: Joined, student_id: int) -> None:
    await ctx.start_dialog("apply", "category", student_id=student_id, files=[])
    categories = "\n".join(f"• {ctx._(CATEGORIES[key])}" for key in CATEGORY_LABELS)
    ctx.reply(
        ctx._(
            "The application (өтініш / заявление) to the head of the organization to study by "
            "distance-learning "
            "technologies. Choose the category:"
        )
        + "\n\n"
        + categories,
        buttons=[[Button(ctx._(label), dialog_button(key))] for key, label in CATEGORY_LABELS.items()]
        + [cancel_row(ctx)],
    )


@apply.step("child")
async def child(ctx: Joined) -> None:
    children = {c.id for c in await applications.children_of(ctx.session, ctx.person.id)}
    picked = choice(ctx)
    if picked is None or not picked.isdigit() or int(picked) not in children:
        ctx.ask_again(ctx._("Choose the child with a button."))
        return
    await _ask_category(ctx, int(picked))


@apply.step("category")
async def category(ctx: Joined) -> None:
    picked = choice(ctx)
    if picked is None or picked not in CATEGORIES:
        ctx.ask_again(ctx._("Choose the category with a button."))
        return
    await ctx.goto("reason", category=picked)
    ctx.reply(
        ctx._("Write the reason in a few sentences: why you need to study by distance and for how long."),
        buttons=[cancel_row(ctx)],
    )


@apply.step("reason")
async def reason(ctx: Joined) -> None:
    text = (ctx.incoming.text or "").strip()
    if len(text) < 5:
        ctx.reply(ctx._("Write the reason as text, please (at least a few words)."))
        return
    await ctx.goto("docs", reason=text[:4000])
    ctx.reply(
        ctx._(
            "Now send the supporting documents as files or photos (a medical certificate, a reference from "
            "the "
            "place of exchange or work...). When all are sent, press «Send the application»."
        ),
        buttons=[[Button(ctx._("Send the application"), dialog_button("send"))], cancel_row(ctx)],
    )


async def _take_files(ctx: Joined) -> bool:
    """Adds the message's files to the dialog; True if there were any."""
    new = [a.file_name_id for a in ctx.incoming.attachments if a.file_name_id]
    if not new:
        return False
    files = list(ctx.data.get("files", [])) + new
    await ctx.remember(files=files)
    ctx.reply(
        ctx._(
            "Received: {files}. Send more, or press «Send the application».",
            files=files_phrase(ctx.t, len(files)),
        ),
        buttons=[[Button(ctx._("Send the application"), dialog_button("send"))], cancel_row(ctx)],
    )
    return True


@apply.step("docs")
async def documents(ctx: Joined) -> None:
    if await _take_files(ctx):
        return
    if choice(ctx) != "send":
        ctx.reply(
            ctx._("Send the documents as files or photos, then press «Send the application»."),
            buttons=[[Button(ctx._("Send the application"), dialog_button("send"))], cancel_row(ctx)],
        )
        return
    files = ctx.data.get("files", [])
    if not files:
        ctx.reply(
            ctx._(
                "Attach at least one supporting document (003 item 3.2), then press «Send the application»."
            )
        )
        return
    app = await applications.submit(
        ctx.session,
        organization_id=ctx.org.id,
        student_id=ctx.data["student_id"],
        applicant_id=ctx.person.id,
        category=ctx.data["category"],
        reason=ctx.data["reason"],
        file_name_ids=files,
    )
    await ctx.end_dialog()
    ctx.reply(
        ctx._(
            "Your application No. {number} was sent to the head of the organization. You will be told of the "
            "decision here.",
            number=app.id,
        ),
        buttons=[_menu_button(ctx)],
    )


@router.action(AddDocuments, roles=APPLICANTS)
async def more_documents(ctx: Joined, action: AddDocuments) -> None:
    app = (
        await applications.load(ctx.session, action.application_id, ctx.org.id)
        if action.application_id is not None
        else None
    )
    if app is None or ctx.person.id not in (app.student_id, app.applicant_id):
        ctx.reply(ctx._("This application is not yours."), buttons=[_menu_button(ctx)])
        return
    if app.status not in applications.OPEN:
        ctx.reply(ctx._("This application is already decided."), buttons=[_menu_button(ctx)])
        return
    await ctx.start_dialog("apply_more", "docs", application_id=app.id, files=[])
    ctx.reply(
        ctx._(
            "Send the documents for application No. {number} as files or photos, then press «Send the "
            "application».",
            number=app.id,
        ),
        buttons=[[Button(ctx._("Send the application"), dialog_button("send"))], cancel_row(ctx)],
    )


@more.step("docs")
async def more_docs(ctx: Joined) -> None:
    if await _take_files(ctx):
        return
    files = ctx.data.get("files", [])
    if choice(ctx) != "send" or not files:
        ctx.reply(ctx._("Send the documents as files or photos, then press «Send the application»."))
        return
    app = await applications.load(ctx.session, ctx.data["application_id"], ctx.org.id)
    await ctx.end_dialog()
    if app is None or app.status not in applications.OPEN:
        ctx.reply(ctx._("This application is already decided."), buttons=[_menu_button(ctx)])
        return
    await applications.add_documents(ctx.session, app, ctx.person.id, files)
    ctx.reply(
        ctx._("The documents were added to application No. {number}.", number=app.id),
        buttons=[_menu_button(ctx)],
    )


@router.action(MyApplications, roles=APPLICANTS)
async def my_applications(ctx: Joined, _: MyApplications) -> None:
    apps = await applications.of_person(ctx.session, ctx.person.id)
    if not apps:
        ctx.reply(
            ctx._("You have no applications yet."),
            buttons=[[Apply().button(ctx._("Apply to study by distance"))], _menu_button(ctx)],
        )
        return
    lines, files = [], []
    for app in apps[:10]:
        line = ctx._(
            "No. {number} of {date}: {status}",
            number=app.id,
            date=ctx.t.date(app.submitted_at or app.created_at),
            status=ctx._(STATUS_NAMES[app.status]),
        )
        if app.staff_comment and app.status in (app.status.refused, app.status.more_documents):
            line += f" — {app.staff_comment}"
        order = await ctx.session.scalar(orders.select_order_of(app.id))
        if isinstance(order, Order):
            line += "\n   " + ctx._(
                "Order No. {number} of {date}", number=order.number, date=ctx.t.date(order.issued_on)
            )
            pdf = await orders.pdf_for(ctx.session, order.id, ctx.locale)
            if pdf:
                files.append(OutFile(pdf))
        lines.append(line)
    ctx.reply("\n".join([ctx._("Your applications:"), *lines]), files=files, buttons=[_menu_button(ctx)])
