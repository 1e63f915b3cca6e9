"""Staff's side of the applications: the queue, the card, the plan, asking, refusing, approving.

sapq: the queue ─▶ sap:<id> the card ─▶ splan:<id>  compose the individual study plan
                                      ─▶ sask:<id>   ask for more documents
                                      ─▶ sref:<id>   refuse with a reason
                                      ─▶ sok:<id>    approve: the order previewed ─▶ «Sign» signs it
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions.common import Menu
from bot.actions.staff import (
    ApplicationQueue,
    ApproveApplication,
    AskDocuments,
    OpenApplication,
    RefuseApplication,
    StudyPlan,
)
from bot.core.context import Joined
from bot.core.menus import menus
from bot.core.messages import Button, OutFile
from bot.core.router import Dialog, dialog_button
from bot.i18n import N_
from bot.labels import files_phrase
from bot.services.admin import applications, orders, study_plans
from bot.services.admin.applications import CATEGORIES, STATUS_NAMES, WrongState
from bot.services.admin.study_plans import BASIS_NAMES, Basis, CapExceeded, PlanLine
from bot.services.people.permissions import Action, may, roles_for
from db.models import DistanceApplication, OrderKind, Person
from handlers.staff import router
from handlers.ui import choice

REVIEW = roles_for(Action.review_applications)
PLANS = roles_for(Action.study_plans)
DECIDE = roles_for(Action.decide_applications)
ASK = roles_for(Action.ask_documents)
SIGN = roles_for(Action.sign_orders)

plan_dialog = router.add_dialog(Dialog("study_plan", roles=PLANS))
ask_dialog = router.add_dialog(Dialog("ask_documents", roles=ASK))
refuse_dialog = router.add_dialog(Dialog("refuse_application", roles=DECIDE))
sign_dialog = router.add_dialog(Dialog("sign_application", roles=SIGN))

menus.add(tuple(REVIEW), N_("Applications"), ApplicationQueue(), order=10)


def _back(ctx: Joined, app_id: int | None = None) -> list[list[Button]]:
    rows = [[ApplicationQueue().button(ctx._("Applications")), Menu().button(ctx._("Main menu"))]]
    if app_id is not None:
        rows.insert(0, [OpenApplication(app_id).button(ctx._("Back to the application"))])
    return rows


async def _load(ctx: Joined, app_id: int) -> DistanceApplication | None:
    app = await applications.load(ctx.session, app_id, ctx.org.id)
    if app is None:
        ctx.reply(ctx._("There is no such application."), buttons=_back(ctx))
    return app


@router.action(ApplicationQueue, roles=REVIEW)
async def queue(ctx: Joined, _: ApplicationQueue) -> None:
    items = await applications.queue(ctx.session, ctx.org.id)
    if not items:
        ctx.reply(ctx._("No applications are waiting."), buttons=[[Menu().button(ctx._("Main menu"))]])
        return
    rows = [
        [
            OpenApplication(a.id).button(
                ctx._(
                    "No. {number} — {name} ({status})",
                    number=a.id,
                    name=name,
                    status=ctx._(STATUS_NAMES[a.status]),
                )
            )
        ]
        for a, name in items[:30]
    ]
    rows.append([Menu().button(ctx._("Main menu"))])
    ctx.reply(
        ctx.n_("{n} application is waiting:", "{n} applications are waiting:", len(items)), buttons=rows
    )


@router.action(OpenApplication, roles=REVIEW)
async def card(ctx: Joined, action: OpenApplication) -> None:
    app = await _load(ctx, action.application_id)
    if app is None:
        return
    student = await ctx.session.get(Person, app.student_id)
    applicant = await ctx.session.get(Person, app.applicant_id)
    assert student is not None and applicant is not None
    group = await orders.group_name(ctx.session, student.id)
    plan = await study_plans.plan_for_application(ctx.session, app.id)
    lines = [
        ctx._(
            "Application No. {number} of {date}",
            number=app.id,
            date=ctx.t.date(app.submitted_at or app.created_at),
        ),
        ctx._("Student: {name}, group {group}", name=student.full_name, group=group),
    ]
    if applicant.id != student.id:
        lines.append(ctx._("Applicant: {name}", name=applicant.full_name))
    lines += [
        ctx._("Category: {category}", category=ctx._(CATEGORIES.get(app.category, app.category))),
        ctx._("Reason: {reason}", reason=app.reason),
        ctx._("Documents: {files}", files=files_phrase(ctx.t, len(app.documents))),
        ctx._("Status: {status}", status=ctx._(STATUS_NAMES[app.status])),
    ]
    if app.staff_comment:
        lines.append(ctx._("Staff comment: {comment}", comment=app.staff_comment))
    if plan is not None:
        lines.append(
            ctx._(
                "Individual study plan ({basis}): {n} credits",
                basis=ctx._(BASIS_NAMES[Basis(plan.basis)]),
                n=study_plans.total_credits(study_plans.lines_of(plan)),
            )
        )
        lines += [f"  • {i.discipline} — {i.credits}" for i in plan.items]
    else:
        lines.append(ctx._("No individual study plan yet: the group's courses will make it."))
    buttons: list[list[Button]] = []
    if app.status in applications.OPEN:
        if may(ctx.roles, Action.study_plans):
            buttons.append([StudyPlan(app.id).button(ctx._("Individual study plan"))])
        if may(ctx.roles, Action.ask_documents):
            buttons.append([AskDocuments(app.id).button(ctx._("Ask for documents"))])
        if may(ctx.roles, Action.decide_applications):
            buttons.append([RefuseApplication(app.id).button(ctx._("Refuse"))])
        if may(ctx.roles, Action.sign_orders):
            buttons.append([ApproveApplication(app.id).button(ctx._("Approve and sign the order"))])
    buttons += _back(ctx)
    files = [OutFile(d.file_name_id) for d in app.documents]
    ctx.reply("\n".join(lines), buttons=buttons, files=files)


# -- the individual study plan ------------------------------------------------------


@router.action(StudyPlan, roles=PLANS)
async def plan_start(ctx: Joined, action: StudyPlan) -> None:
    app = await _load(ctx, action.application_id)
    if app is None:
        return
    await ctx.start_dialog("study_plan", "lines", application_id=app.id, student_id=app.student_id)
    courses = await study_plans.group_courses(ctx.session, app.student_id)
    listed = "\n".join(f"• {c.discipline}; {c.credits}" for c in courses) or "—"
    ctx.reply(
        ctx._(
            "Send the disciplines studied by distance, one per line as «discipline; credits». "
            "The group's courses:\n{courses}",
            courses=listed,
        ),
        buttons=[[Button(ctx._("Take the group's courses"), dialog_button("group"))]],
    )


@plan_dialog.step("lines")
async def plan_lines(ctx: Joined) -> None:
    if choice(ctx) == "group":
        lines = await study_plans.group_courses(ctx.session, ctx.data["student_id"])
        bad: list[str] = []
    else:
        lines, bad = study_plans.parse_lines(ctx.incoming.text or "")
    if bad or not lines:
        ctx.reply(
            ctx._(
                "These lines could not be read: {lines}. Write each as «discipline; credits», e.g. «Python; "
                "5».",
                lines="; ".join(bad) or "—",
            )
        )
        return
    lines, unknown = await study_plans.match_courses(ctx.session, ctx.data["student_id"], lines)
    if unknown:
        courses = await study_plans.group_courses(ctx.session, ctx.data["student_id"])
        ctx.reply(
            ctx._(
                "The student's group has no course {names}. Write the disciplines as the group's courses are "
                "named:\n{courses}",
                names=", ".join(f"«{n}»" for n in unknown),
                courses="\n".join(f"• {c.discipline}; {c.credits}" for c in courses) or "—",
            ),
            buttons=[[Button(ctx._("Take the group's courses"), dialog_button("group"))]],
        )
        return
    await ctx.goto("basis", lines=[[ln.discipline, ln.credits, ln.course_id] for ln in lines])
    ctx.reply(
        ctx._("On what basis does the student study by distance?"),
        buttons=[[Button(ctx._(BASIS_NAMES[b]), dialog_button(b.value))] for b in Basis],
    )


@plan_dialog.step("basis")
async def plan_basis(ctx: Joined) -> None:
    picked = choice(ctx)
    if picked is None or picked not in Basis.__members__:
        ctx.ask_again(ctx._("Choose the basis with a button."))
        return
    lines = [PlanLine(d, c, cid) for d, c, cid in ctx.data["lines"]]
    app_id = ctx.data["application_id"]
    application = await ctx.session.get(DistanceApplication, app_id)
    try:
        await study_plans.save_plan(
            ctx.session,
            ctx.data["student_id"],
            Basis(picked),
            lines,
            actor_id=ctx.person.id,
            application_id=app_id,
            category=application.category if application else None,
        )
    except CapExceeded as exc:
        await ctx.goto("lines")
        ctx.reply(
            cap_refusal(ctx, exc) + "\n\n" + ctx._("Send a smaller plan, or go back to the application."),
            buttons=_back(ctx, app_id),
        )
        return
    await ctx.end_dialog()
    ctx.reply(
        ctx._(
            "The individual study plan is saved: {n} credits by distance.", n=study_plans.total_credits(lines)
        ),
        buttons=_back(ctx, app_id),
    )


def cap_refusal(ctx: Joined, exc: CapExceeded) -> str:
    v = exc.verdict
    assert v.broken is not None
    if v.broken.limit == 0:  # item 17 (not eligible) or an empty plan: no count to show
        return (
            ctx._(
                "The plan is refused under the Rules for organizing the educational process using "
                "distance-learning technologies (No. 137):"
            )
            + "\n"
            + ctx._(v.broken.rule)
        )
    text = ctx.n_(
        "The plan is refused: {n} credit by distance over the whole period of study, but item {item} of the "
        "Rules for organizing the educational process using distance-learning technologies (No. 137) allows "
        "{limit}.",
        "The plan is refused: {n} credits by distance over the whole period of study, but item {item} of the "
        "Rules for organizing the educational process using distance-learning technologies (No. 137) allows "
        "{limit}.",
        v.total,
        item=v.broken.item,
        limit=v.broken.limit,
    )
    if v.earlier:
        text += " " + ctx.n_(
            "Earlier plans already take {n} credit.", "Earlier plans already take {n} credits.", v.earlier
        )
    return text + "\n" + ctx._(v.broken.rule)


# -- asking, refusing, approving ----------------------------------------------------


async def _ask_for_text(ctx: Joined, app_id: int, dialog: str, step: str, prompt: str) -> None:
    app = await _load(ctx, app_id)
    if app is None:
        return
    await ctx.start_dialog(dialog, step, application_id=app.id)
    ctx.reply(prompt)


Decision = Callable[[AsyncSession, DistanceApplication, int, str], Awaitable[None]]


async def _decide_with_text(ctx: Joined, decide: Decision) -> DistanceApplication | None:
    """Applies a decision that needs a text (a comment, a reason); the application on success."""
    text = (ctx.incoming.text or "").strip()
    if not text:
        ctx.reply(ctx._("Write it as text, please."))
        return None
    app = await _load(ctx, ctx.data["application_id"])
    await ctx.end_dialog()
    if app is None:
        return None
    try:
        await decide(ctx.session, app, ctx.person.id, text)
    except WrongState:
        ctx.reply(ctx._("This application is already decided."), buttons=_back(ctx))
        return None
    return app


@router.action(AskDocuments, roles=ASK)
async def ask_start(ctx: Joined, action: AskDocuments) -> None:
    await _ask_for_text(
        ctx,
        action.application_id,
        "ask_documents",
        "comment",
        ctx._("Which documents are missing? Write it for the applicant."),
    )


@ask_dialog.step("comment")
async def ask_comment(ctx: Joined) -> None:
    app = await _decide_with_text(ctx, applications.ask_documents)
    if app is not None:
        ctx.reply(ctx._("The applicant was asked for more documents."), buttons=_back(ctx, app.id))


@router.action(RefuseApplication, roles=DECIDE)
async def refuse_start(ctx: Joined, action: RefuseApplication) -> None:
    await _ask_for_text(
        ctx,
        action.application_id,
        "refuse_application",
        "reason",
        ctx._("Write the reason for the refusal; the applicant will read it."),
    )


@refuse_dialog.step("reason")
async def refuse_reason(ctx: Joined) -> None:
    app = await _decide_with_text(ctx, applications.refuse)
    if app is not None:
        ctx.reply(
            ctx._("Application No. {number} is refused; the applicant was told.", number=app.id),
            buttons=_back(ctx),
        )


SIGN_BUTTON, CANCEL_BUTTON = "sign", "cancel"


@router.action(ApproveApplication, roles=SIGN)
async def approve(ctx: Joined, action: ApproveApplication) -> None:
    """The order as it will be signed, with its plan and schedule; nothing is signed until «Sign»."""
    app = await _load(ctx, action.application_id)
    if app is None:
        return
    if app.status not in applications.OPEN:
        ctx.reply(ctx._("This application is already decided."), buttons=_back(ctx))
        return
    ahead = await orders.to_sign(ctx.session, app)
    if not ahead.verdict.ok:
        ctx.reply(cap_refusal(ctx, CapExceeded(ahead.verdict)), buttons=_back(ctx, app.id))
        return
    student = await ctx.session.get(Person, app.student_id)
    assert student is not None
    lines = [
        ctx._("Check the order before signing it:"),
        ctx._("Order: {kind}", kind=ctx._(orders.KIND_NAMES[OrderKind.distance_learning])),
        ctx._("Number: given on signing, the next in the register"),
        ctx._("Date: {date}", date=ctx.t.date(orders.today_for(ctx.org))),
        ctx._(
            "Student: {name}, group {group}",
            name=student.full_name,
            group=await orders.group_name(ctx.session, student.id),
        ),
        ctx._("Category: {category}", category=ctx._(CATEGORIES.get(app.category, app.category))),
        ctx._(
            "Individual study plan ({basis}): {n} credits",
            basis=ctx._(BASIS_NAMES[ahead.basis]),
            n=study_plans.total_credits(ahead.lines),
        ),
    ]
    lines += [f"• {ln.discipline} — {ln.credits}" for ln in ahead.lines]
    lines.append(
        ctx.n_(
            "Individual schedule: {n} topic from the disciplines' thematic schedules.",
            "Individual schedule: {n} topics from the disciplines' thematic schedules.",
            ahead.topics,
        )
        if ahead.topics
        else ctx._("Individual schedule: it follows the academic calendar (no topics published).")
    )
    lines += ["", ctx._("Nothing is signed or registered until you press «Sign».")]
    await ctx.start_dialog("sign_application", "confirm", application_id=app.id)
    ctx.reply(
        "\n".join(lines),
        buttons=[
            [Button(ctx._("Sign"), dialog_button(SIGN_BUTTON))],
            [Button(ctx._("Cancel"), dialog_button(CANCEL_BUTTON))],
        ],
    )


@sign_dialog.step("confirm")
async def approve_confirm(ctx: Joined) -> None:
    picked = choice(ctx)
    app_id = ctx.data["application_id"]
    if picked == CANCEL_BUTTON:
        await ctx.end_dialog()
        ctx.reply(
            ctx._("The order is not signed: nothing was entered in the register."), buttons=_back(ctx, app_id)
        )
        return
    if picked != SIGN_BUTTON:
        ctx.ask_again(ctx._("Press «Sign» or «Cancel»."))
        return
    await ctx.end_dialog()
    app = await _load(ctx, app_id)
    if app is None:
        return
    try:
        issued = await orders.approve_application(
            ctx.session,
            ctx.deps.files,
            org=ctx.org,
            application=app,
            head=ctx.person,
            head_roles=list(ctx.roles),
        )
    except WrongState:
        ctx.reply(ctx._("This application is already decided."), buttons=_back(ctx))
        return
    except CapExceeded as exc:
        ctx.reply(cap_refusal(ctx, exc), buttons=_back(ctx, app.id))
        return
    ctx.reply(
        ctx._(
            "Order No. {number} of {date} is signed; the student and the applicant got it in their language.",
            number=issued.order.number,
            date=ctx.t.date(issued.order.issued_on),
        ),
        files=[OutFile(issued.pdfs[ctx.locale])],
        buttons=_back(ctx),
    )
