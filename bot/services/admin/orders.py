"""Orders (бұйрық / приказ) of the head and the organization's register of orders.

An order takes the next number of the organization's register for its year, names
the student and the grounds, and is kept as a PDF in Kazakh and in Russian. A
distance-learning order (002 items 8-10) carries the application, the individual
study plan and the individual schedule as its appendices. The register also holds
admission, transfer, readmission and expulsion orders (001 item 9).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import OutFile, Reply
from bot.files.pdf import PDF_MIME, Document, render
from bot.files.store import FileStore
from bot.files.tables import xlsx
from bot.i18n import LOCALES, N_, Translator
from bot.labels import CATEGORIES, ORDER_KIND_NAMES, ROLE_NAMES
from bot.language.names import initials_surname
from bot.language.russian import surname_first
from bot.services.admin import audit, study_plans
from bot.services.admin.applications import WrongState
from bot.services.messaging.notify import notify
from bot.services.people import permissions
from bot.services.people.permissions import Action
from db.base import utcnow
from db.models import (
    ApplicationStatus,
    Course,
    DistanceApplication,
    FileName,
    Group,
    Order,
    OrderAttachment,
    OrderKind,
    Organization,
    ParentLink,
    Person,
    PersonRole,
    Role,
    StudyPlan,
    Topic,
)

KIND_NAMES = ORDER_KIND_NAMES
SUBJECTS = {
    OrderKind.distance_learning: N_("On permission to study using distance-learning technologies"),
    OrderKind.admission: N_("On admission"),
    OrderKind.transfer: N_("On transfer"),
    OrderKind.readmission: N_("On readmission"),
    OrderKind.expulsion: N_("On expulsion"),
}
DECISIONS = {
    OrderKind.distance_learning: N_(
        "To allow {student}, a learner of group {group}, to study using distance-learning technologies."
    ),
    OrderKind.admission: N_("To admit {student} to group {group}."),
    OrderKind.transfer: N_("To transfer {student} from group {from_group} to group {group}."),
    OrderKind.readmission: N_("To readmit {student} to group {group}."),
    OrderKind.expulsion: N_("To expel {student}, a learner of group {group}."),
}


# The orders that change a student's enrolment, and who they may name.
ENROLMENT_KINDS = (OrderKind.admission, OrderKind.transfer, OrderKind.readmission, OrderKind.expulsion)
# Admission and readmission may also name a person with no role yet (a student-to-be, or one expelled).
_ENTERING = (OrderKind.admission, OrderKind.readmission)


class NotAStudent(Exception):
    """An enrolment order names a person who is not a student (a teacher, a parent...)."""

    def __init__(self, person: Person, roles: Sequence[Role]) -> None:
        super().__init__(person.id, [r.value for r in roles])
        self.person = person
        self.roles = tuple(roles)


class EnrolmentReason(enum.StrEnum):
    """Why check_enrolment refuses an order."""

    same_group = "same_group"
    no_group = "no_group"
    enrolled_readmission = "enrolled_readmission"
    enrolled_admission = "enrolled_admission"


class EnrolmentRefused(Exception):
    """An enrolment order that makes no sense for this student: see REFUSALS for the texts."""

    def __init__(self, reason: EnrolmentReason, person: Person, group: str | None = None) -> None:
        super().__init__(reason, person.id, group)
        self.reason = reason
        self.person = person
        self.group = group  # the student's current group


# Why check_enrolment refuses an order; {name} the student, {group} the current group.
REFUSALS = {
    EnrolmentReason.same_group: N_(
        "«{name}» already studies in group {group}: a transfer needs another group than the current one."
    ),
    EnrolmentReason.no_group: N_("This order needs a group: the one the student enters or moves to."),
    EnrolmentReason.enrolled_readmission: N_(
        "«{name}» is enrolled in group {group}: readmission is only for a student who is not enrolled "
        "now (expelled). To move them to another group, issue a transfer order."
    ),
    EnrolmentReason.enrolled_admission: N_(
        "«{name}» is already enrolled in group {group}: admission is only for someone who is not enrolled. "
        "To move them to another group, issue a transfer order."
    ),
}


async def roles_of(session: AsyncSession, person_id: int) -> list[Role]:
    return sorted(
        set(await session.scalars(select(PersonRole.role).where(PersonRole.person_id == person_id))),
        key=list(Role).index,
    )


async def check_enrolment(
    session: AsyncSession, kind: OrderKind, person: Person, group: Group | None = None
) -> None:
    """Raises NotAStudent unless the order may name this person, EnrolmentRefused unless it makes sense.

    Transfer and expulsion name an enrolled student, a transfer to another group than theirs (checked
    once the group is known); admission and readmission name a person with no role at all (a
    student-to-be, or a former student whose enrolment an expulsion ended), never one enrolled now.
    """
    roles = await roles_of(session, person.id)
    if kind in _ENTERING:
        if Role.student in roles:
            reason = (
                EnrolmentReason.enrolled_admission
                if kind is OrderKind.admission
                else EnrolmentReason.enrolled_readmission
            )
            raise EnrolmentRefused(reason, person, await group_name(session, person.id))
        if roles:
            raise NotAStudent(person, roles)
        return
    if Role.student not in roles:
        raise NotAStudent(person, roles)
    if kind is OrderKind.transfer and group is not None:
        current = await session.scalar(
            select(PersonRole.group_id).where(
                PersonRole.person_id == person.id, PersonRole.role == Role.student
            )
        )
        if current == group.id:
            raise EnrolmentRefused(EnrolmentReason.same_group, person, group.name)


def roles_phrase(t: Translator, roles: Sequence[Role]) -> str:
    return ", ".join(t.gettext(ROLE_NAMES[r]) for r in roles)


def grounds_text(t: Translator, order: Order) -> str:
    """The order's grounds in t's language: the category's label, then any free text as typed."""
    parts = []
    if order.grounds_key:
        label = CATEGORIES.get(order.grounds_key)
        parts.append(t.gettext(label) if label else order.grounds_key)
    if order.grounds:
        parts.append(order.grounds)
    return "; ".join(parts) or "—"


def today_for(org: Organization) -> dt.date:
    """The date in the organization's time zone: an order's date."""
    return utcnow().astimezone(Translator("kk", org.timezone).tz).date()


@dataclass(frozen=True)
class Signed:
    """A signed order, inside this module (the people are told from it)."""

    order: Order
    pdfs: dict[str, int]  # locale -> FileName id of the order's PDF


@dataclass(frozen=True, slots=True)
class OrderRef:
    id: int
    number: str
    issued_on: dt.date


@dataclass(frozen=True, slots=True)
class Issued:
    """A signed order as the head's screen shows it."""

    order: OrderRef
    pdfs: dict[str, int]  # locale -> FileName id of the order's PDF

    @classmethod
    def of(cls, signed: Signed) -> Issued:
        order = signed.order
        return cls(OrderRef(order.id, order.number, order.issued_on), dict(signed.pdfs))


async def _next_sequence(session: AsyncSession, org: Organization, year: int) -> int:
    # The organization row is the register's lock: two heads signing at once get different numbers.
    await session.execute(select(Organization.id).where(Organization.id == org.id).with_for_update())
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    last = await session.scalar(
        select(func.max(Order.sequence)).where(
            Order.organization_id == org.id, Order.issued_on >= start, Order.issued_on <= end
        )
    )
    return int(last or 0) + 1


def order_number(org: Organization, year: int, sequence: int) -> str:
    prefix = str((org.settings or {}).get("order_prefix", "")).strip()
    return f"{prefix}{sequence:03d}/{year}"


async def group_name(session: AsyncSession, student_id: int) -> str:
    name = await session.scalar(
        select(Group.name)
        .join(PersonRole, PersonRole.group_id == Group.id)
        .where(PersonRole.person_id == student_id, PersonRole.role == Role.student)
        .limit(1)
    )
    return name or "—"


async def issue(
    session: AsyncSession,
    files: FileStore,
    *,
    org: Organization,
    kind: OrderKind,
    student: Person,
    signer: Person,
    signer_roles: Sequence[Role],
    grounds: str,
    grounds_key: str | None = None,
    details: dict[str, Any] | None = None,
    application: DistanceApplication | None = None,
    plan: StudyPlan | None = None,
    today: dt.date | None = None,
) -> Signed:
    """Numbers, keeps and records an order; only the head signs (002 item 8).

    grounds_key: a key of CATEGORIES, translated in each PDF; grounds: free text, printed as typed.
    """
    permissions.require(signer_roles, Action.sign_orders)
    today = today or today_for(org)
    sequence = await _next_sequence(session, org, today.year)
    details = dict(details or {})
    details.setdefault("group", await group_name(session, student.id))
    order = Order(
        organization_id=org.id,
        number=order_number(org, today.year, sequence),
        sequence=sequence,
        issued_on=today,
        kind=kind,
        student_id=student.id,
        application_id=application.id if application else None,
        grounds_key=grounds_key,
        grounds=grounds,
        signed_by_id=signer.id,
        details=details,
    )
    session.add(order)
    await session.flush()
    pdfs: dict[str, int] = {}
    for locale in LOCALES:
        t = Translator(locale, org.timezone)
        doc = await order_document(session, t, org, order, student, signer, application, plan)
        data = render(doc, header=org.name)
        saved = await files.save(
            session, data, f"{_file_title(t, order)}.pdf", "document", signer.id, trusted_mime=PDF_MIME
        )
        session.add(
            OrderAttachment(order_id=order.id, kind="order_pdf", locale=locale, file_name_id=saved.id)
        )
        pdfs[locale] = saved.id
    if application is not None:
        for document in application.documents:
            session.add(
                OrderAttachment(order_id=order.id, kind="application", file_name_id=document.file_name_id)
            )
    await session.flush()
    await audit.record(
        session,
        signer.id,
        "order",
        order.id,
        "sign",
        None,
        {
            "number": order.number,
            "kind": kind,
            "student_id": student.id,
            "issued_on": today,
            "grounds_key": grounds_key,
            "grounds": grounds,
            "details": details,
        },
        organization_id=org.id,
    )
    return Signed(order, pdfs)


def _file_title(t: Translator, order: Order) -> str:
    return t.gettext("Order {number}").format(number=order.number).replace("/", "-")


async def order_document(
    session: AsyncSession,
    t: Translator,
    org: Organization,
    order: Order,
    student: Person,
    signer: Person,
    application: DistanceApplication | None,
    plan: StudyPlan | None,
) -> Document:
    _ = t.gettext
    doc = Document(_("ORDER No. {number}").format(number=order.number))
    doc.para(t.date(order.issued_on))
    doc.heading(_(SUBJECTS[order.kind]))
    details = order.details or {}
    if order.kind is OrderKind.distance_learning and application is not None:
        doc.para(
            _(
                "In accordance with items 8-10 of the Rules for organizing the educational process using "
                "distance-learning technologies (Order of the Minister of Education and Science No. 137 of "
                "20 March 2015) and on the basis of the application of {student} of {date}, I ORDER:"
            ).format(
                student=surname_first(student.full_name),
                date=t.date(application.submitted_at or application.created_at),
            )
        )
    else:
        doc.para(_("On the basis of: {grounds}. I ORDER:").format(grounds=grounds_text(t, order)))
    decision = _(DECISIONS[order.kind]).format(
        student=surname_first(student.full_name),
        group=details.get("group", "—"),
        from_group=details.get("from_group", "—"),
    )
    doc.para(f"1. {decision}")
    if order.kind is OrderKind.distance_learning:
        doc.para("2. " + _("Grounds: {grounds}.").format(grounds=grounds_text(t, order)))
        doc.para(
            "3. "
            + _("To approve the individual study plan (appendix 2) and the individual schedule (appendix 3).")
        )
    doc.signature(
        _("Head of the organization ____________ {name}").format(name=initials_surname(signer.full_name))
    )
    if order.kind is not OrderKind.distance_learning or application is None:
        return doc

    doc.heading(_("Appendix 1. The application"))
    names = [
        n
        for n in await session.scalars(
            select(FileName.name).where(FileName.id.in_([d.file_name_id for d in application.documents]))
        )
    ]
    applicant = await session.get(Person, application.applicant_id)
    doc.fields(
        [
            (_("Applicant"), applicant.full_name if applicant else "—"),
            (_("Category"), _(CATEGORIES.get(application.category, application.category))),
            (_("Reason"), application.reason or "—"),
            (_("Supporting documents"), ", ".join(names) or "—"),
        ]
    )
    doc.heading(_("Appendix 2. The individual study plan"))
    lines = study_plans.lines_of(plan) if plan is not None else []
    doc.table(
        ["№", _("Discipline"), _("Credits"), _("Form")],
        [
            [str(i), ln.discipline, str(ln.credits), _("by distance") if ln.by_distance else _("in person")]
            for i, ln in enumerate(lines, 1)
        ],
        widths=[8, 100, 20, 40],
    )
    doc.para(
        _("Total: {n} credits by distance.").format(
            n=study_plans.total_credits(ln for ln in lines if ln.by_distance)
        )
    )
    doc.heading(_("Appendix 3. The individual schedule"))
    course_ids = [ln.course_id for ln in lines if ln.course_id]
    rows = (
        await session.execute(
            select(Course.discipline, Topic.title, Topic.deadline)
            .join(Topic, Topic.course_id == Course.id)
            .where(Course.id.in_(course_ids))
            .order_by(Topic.deadline, Course.discipline, Topic.position)
        )
    ).all()
    doc.table(
        [_("Discipline"), _("Topic"), _("Deadline")],
        [[d, title, t.date(deadline) if deadline else "—"] for d, title, deadline in rows]
        or [["—", _("The schedule follows the academic calendar."), "—"]],
        widths=[55, 85, 35],
    )
    return doc


@dataclass(frozen=True, slots=True)
class ToSign:
    """What the head's signature would approve, shown before it is given."""

    lines: list[study_plans.PlanLine]
    basis: study_plans.Basis
    verdict: study_plans.CapVerdict
    topics: int  # rows of the individual schedule (appendix 3); 0: it follows the academic calendar


def _basis_of(application: DistanceApplication) -> study_plans.Basis:
    if application.category == "academic_mobility":
        return study_plans.Basis.academic_mobility
    if application.category == "exchange":
        return study_plans.Basis.exchange
    return study_plans.Basis.regular


async def to_sign(session: AsyncSession, application: DistanceApplication) -> ToSign:
    """The plan the order would approve (the staff's, or the group's courses) and its check, unsaved."""
    plan = await study_plans.plan_for_application(session, application.id)
    if plan is None:
        lines = await study_plans.group_courses(session, application.student_id)
        basis = _basis_of(application)
    else:
        lines, basis = study_plans.lines_of(plan), study_plans.Basis(plan.basis)
    verdict = await study_plans.check(
        session,
        application.student_id,
        basis,
        lines,
        exclude_plan_id=plan.id if plan is not None else None,
        category=application.category,
    )
    course_ids = [ln.course_id for ln in lines if ln.course_id]
    topics = (
        await session.scalar(select(func.count()).select_from(Topic).where(Topic.course_id.in_(course_ids)))
        if course_ids
        else 0
    )
    return ToSign(lines, basis, verdict, int(topics or 0))


async def approve_application(
    session: AsyncSession,
    files: FileStore,
    *,
    org: Organization,
    application: DistanceApplication,
    head: Person,
    head_roles: Sequence[Role],
) -> Issued:
    """The head's approval: checks the plan against the caps, issues the order, tells the student.

    Without a plan composed by staff, the student's group courses make the plan.
    Raises NotAllowed, WrongState or study_plans.CapExceeded.
    """
    permissions.require(head_roles, Action.sign_orders)
    if application.status not in (ApplicationStatus.submitted, ApplicationStatus.more_documents):
        raise WrongState(application.status)
    plan = await study_plans.plan_for_application(session, application.id)
    if plan is None:
        lines = await study_plans.group_courses(session, application.student_id)
        basis = _basis_of(application)
        plan = await study_plans.save_plan(
            session,
            application.student_id,
            basis,
            lines,
            actor_id=head.id,
            application_id=application.id,
            category=application.category,
        )
        plan = await study_plans.plan_for_application(session, application.id)
        assert plan is not None
    else:
        verdict = await study_plans.check(
            session,
            application.student_id,
            study_plans.Basis(plan.basis),
            study_plans.lines_of(plan),
            exclude_plan_id=plan.id,
            category=application.category,
        )
        if not verdict.ok:
            raise study_plans.CapExceeded(verdict)
    student = await session.get(Person, application.student_id)
    assert student is not None
    issued = await issue(
        session,
        files,
        org=org,
        kind=OrderKind.distance_learning,
        student=student,
        signer=head,
        signer_roles=head_roles,
        grounds="",
        grounds_key=application.category,
        application=application,
        plan=plan,
    )
    plan.approved = True
    before = {"status": application.status}
    application.status = ApplicationStatus.approved
    application.decided_at = utcnow()
    application.decided_by_id = head.id
    await session.flush()
    await audit.record(
        session,
        head.id,
        "application",
        application.id,
        "approve",
        before,
        {"status": application.status, "order": issued.order.number},
        organization_id=org.id,
    )
    await tell_about_order(session, issued, application)
    return Issued.of(issued)


async def tell_about_order(
    session: AsyncSession, issued: Signed, application: DistanceApplication | None
) -> None:
    """The order's PDF in each person's own language, to the student, the applicant and the parents."""
    order = issued.order
    applicant = application.applicant_id if application is not None else None
    parents: set[int] = set()
    child = ""
    if order.student_id:
        parents = set(
            await session.scalars(select(ParentLink.parent_id).where(ParentLink.child_id == order.student_id))
        )
        child = await session.scalar(select(Person.full_name).where(Person.id == order.student_id)) or ""
    # Each is told in their own words: the applicant «your application», the student the application
    # made for them, a parent who did not apply their child's.
    own = {applicant} if applicant else set()
    student = {order.student_id} - own if order.student_id else set()
    parents -= own | student

    def build(t: Translator, whose: str) -> Reply:
        text = t.gettext("Order No. {number} of {date}: {kind}. The order is attached.").format(
            number=order.number, date=t.date(order.issued_on), kind=t.gettext(KIND_NAMES[order.kind])
        )
        if whose == "parent":
            text = t.gettext("{child}: {notice}").format(child=child, notice=text)
        if order.kind is OrderKind.distance_learning:
            if whose == "own":
                text = t.gettext(
                    "Your application No. {app} is approved. Order No. {number} of {date} allows study by "
                    "distance-learning technologies; the individual study plan and schedule are its "
                    "appendices."
                )
            elif whose == "student":
                text = t.gettext(
                    "The application No. {app} made for you is approved. Order No. {number} of {date} allows "
                    "you to study by distance-learning technologies; the individual study plan and schedule "
                    "are its appendices."
                )
            else:
                text = t.gettext(
                    "{child}: the application No. {app} is approved. Order No. {number} of {date} allows "
                    "study by distance-learning technologies; the individual study plan and schedule are "
                    "its appendices."
                )
            text = text.format(
                app=order.application_id, number=order.number, date=t.date(order.issued_on), child=child
            )
        text += "\n" + t.gettext("Grounds: {grounds}.").format(grounds=grounds_text(t, order))
        return Reply(text, files=[OutFile(issued.pdfs[t.locale])])

    for whose, people in (("own", own), ("student", student), ("parent", parents)):
        await notify(
            session,
            people,
            lambda t, whose=whose: build(t, whose),  # type: ignore[misc]
            kind="order",
            dedupe_prefix=f"order:{order.id}",
        )


async def pdf_for(session: AsyncSession, order_id: int, locale: str) -> int | None:
    return await session.scalar(
        select(OrderAttachment.file_name_id).where(
            OrderAttachment.order_id == order_id,
            OrderAttachment.kind == "order_pdf",
            OrderAttachment.locale == locale,
        )
    )


async def register(
    session: AsyncSession, organization_id: int, *, year: int | None = None, limit: int | None = None
) -> list[tuple[Order, str | None, str | None]]:
    """The register: (order, student's name, signer's name), newest first."""
    from sqlalchemy.orm import aliased

    signer = aliased(Person)
    query = (
        select(Order, Person.full_name, signer.full_name)
        .outerjoin(Person, Person.id == Order.student_id)
        .outerjoin(signer, signer.id == Order.signed_by_id)
        .where(Order.organization_id == organization_id)
        .order_by(Order.issued_on.desc(), Order.sequence.desc())
    )
    if year is not None:
        query = query.where(Order.issued_on >= dt.date(year, 1, 1), Order.issued_on <= dt.date(year, 12, 31))
    if limit is not None:
        query = query.limit(limit)
    return [(o, s, g) for o, s, g in (await session.execute(query)).all()]


async def register_xlsx(
    session: AsyncSession, t: Translator, organization_id: int, year: int | None = None
) -> bytes:
    _ = t.gettext
    rows = [
        [
            o.number,
            o.issued_on,  # a date cell (sorts and filters as a date), shown dd.mm.yyyy
            _(KIND_NAMES[o.kind]),
            s or "—",
            (o.details or {}).get("group", ""),
            grounds_text(t, o),
            g or "—",
        ]
        for o, s, g in reversed(await register(session, organization_id, year=year))
    ]
    header = [_("Number"), _("Date"), _("Kind"), _("Student"), _("Group"), _("Grounds"), _("Signed by")]
    return xlsx([(_("Register of orders"), header, rows)])


async def issue_enrolment_order(
    session: AsyncSession,
    files: FileStore,
    *,
    org: Organization,
    kind: OrderKind,
    student: Person,
    head: Person,
    head_roles: Sequence[Role],
    grounds: str,
    group: Group | None = None,
) -> Issued:
    """Admission, transfer, readmission or expulsion: the order, and its effect on the enrolment.

    Raises NotAllowed, NotAStudent when the person may not be named, or EnrolmentRefused when the
    order makes no sense for them (see check_enrolment).
    """
    permissions.require(head_roles, Action.sign_orders)
    if kind not in ENROLMENT_KINDS:
        raise ValueError(kind)
    if kind is not OrderKind.expulsion and group is None:
        raise EnrolmentRefused(EnrolmentReason.no_group, student)
    await check_enrolment(session, kind, student, group)
    role = await session.scalar(
        select(PersonRole).where(PersonRole.person_id == student.id, PersonRole.role == Role.student)
    )
    current = await group_name(session, student.id)
    details: dict[str, Any] = {"group": group.name if group else current}
    before = {"group_id": role.group_id if role else None, "enrolled": role is not None}
    if kind is OrderKind.transfer:
        details["from_group"] = current
    issued = await issue(
        session,
        files,
        org=org,
        kind=kind,
        student=student,
        signer=head,
        signer_roles=head_roles,
        grounds=grounds,
        details=details,
    )
    if kind is OrderKind.expulsion and role is not None:
        await session.delete(role)
    elif kind in (OrderKind.admission, OrderKind.readmission, OrderKind.transfer) and group is not None:
        if role is None:
            session.add(PersonRole(person_id=student.id, role=Role.student, group_id=group.id))
        else:
            role.group_id = group.id
    await session.flush()
    after = {"group_id": group.id if group else None, "enrolled": kind is not OrderKind.expulsion}
    await audit.record(
        session, head.id, "enrolment", student.id, kind.value, before, after, organization_id=org.id
    )
    await tell_about_order(session, issued, None)
    return Issued.of(issued)


def select_order_of(application_id: int) -> Select[tuple[Order]]:
    """The query for the order issued on an application."""
    return select(Order).where(Order.application_id == application_id).limit(1)
