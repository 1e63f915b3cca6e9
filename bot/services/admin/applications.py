"""The application to study by distance (өтініш / заявление): 002 items 6 and 8, 003 item 3.2.

A student, or a parent for a minor, names a category, a reason and supporting
documents; staff see it in a queue, ask for more documents, refuse with a reason,
or (the head) approve it, which issues the order. The applicant and the student
are told at each step, in their own language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot import labels
from bot.actions.staff import OpenApplication
from bot.actions.student import AddDocuments
from bot.core.messages import Reply
from bot.i18n import N_, Translator
from bot.services.admin import audit, study_plans
from bot.services.messaging.notify import notify
from bot.services.people.permissions import ALLOWED, Action
from bot.services.refs import PersonRef
from db.base import utcnow
from db.models import (
    ApplicationDocument,
    ApplicationStatus,
    DistanceApplication,
    ParentLink,
    Person,
    PersonRole,
    ProgramLevel,
)

# The categories (002 item 6) and statuses live with the other label tables in bot/labels.py.
CATEGORIES = labels.CATEGORIES
STATUS_NAMES = labels.APPLICATION_STATUS_NAMES
OPEN = (ApplicationStatus.submitted, ApplicationStatus.more_documents)


async def categories_for(session: AsyncSession, student_id: int) -> tuple[list[str], ProgramLevel | None]:
    """The categories the student's program level allows (002 item 6, 003 item 1.5), in CATEGORIES'
    order, and that level; a student without a program gets every category (nothing to narrow by)."""
    program = await study_plans.program_of(session, student_id)
    level = program.level if program is not None else None
    allowed = [
        key
        for key in CATEGORIES
        if level is None or (levels := labels.CATEGORY_LEVELS.get(key)) is None or level in levels
    ]
    return allowed, level


class WrongState(Exception):
    """The application is not in a state that allows this step (decided already...)."""


@dataclass(frozen=True, slots=True)
class ApplicationLine:
    """An application as a list shows it."""

    id: int
    student_id: int
    applicant_id: int
    status: ApplicationStatus
    submitted_at: dt.datetime | None
    created_at: dt.datetime
    staff_comment: str | None

    @classmethod
    def of(cls, app: DistanceApplication) -> ApplicationLine:
        return cls(
            app.id,
            app.student_id,
            app.applicant_id,
            app.status,
            app.submitted_at,
            app.created_at,
            app.staff_comment,
        )


async def load(
    session: AsyncSession, application_id: int, organization_id: int
) -> DistanceApplication | None:
    return await session.scalar(
        select(DistanceApplication)
        .options(selectinload(DistanceApplication.documents))
        .where(
            DistanceApplication.id == application_id, DistanceApplication.organization_id == organization_id
        )
    )


async def submit(
    session: AsyncSession,
    *,
    organization_id: int,
    student_id: int,
    applicant_id: int,
    category: str,
    reason: str,
    file_name_ids: Sequence[int],
) -> DistanceApplication:
    if category not in CATEGORIES:
        raise ValueError(category)
    app = DistanceApplication(
        organization_id=organization_id,
        student_id=student_id,
        applicant_id=applicant_id,
        category=category,
        reason=reason,
        status=ApplicationStatus.submitted,
        submitted_at=utcnow(),
    )
    app.documents = [ApplicationDocument(file_name_id=f) for f in file_name_ids]
    session.add(app)
    await session.flush()
    await audit.record(
        session,
        applicant_id,
        "application",
        app.id,
        "submit",
        None,
        {"student_id": student_id, "category": category, "documents": len(file_name_ids)},
        organization_id=organization_id,
    )
    await _tell_staff(session, app, N_("A new application to study by distance, No. {number}, from {name}."))
    return app


async def add_documents(
    session: AsyncSession,
    app: DistanceApplication,
    actor_id: int,
    file_name_ids: Sequence[int],
    note: str = "",
) -> None:
    if app.status not in OPEN:
        raise WrongState(app.status)
    for f in file_name_ids:
        app.documents.append(ApplicationDocument(file_name_id=f))
    if note:
        app.reason = f"{app.reason}\n{note}".strip()
    app.status = ApplicationStatus.submitted
    await _record(session, app, actor_id, "add_documents", None, {"documents": len(file_name_ids)})
    await _tell_staff(session, app, N_("Application No. {number} from {name}: more documents arrived."))


async def ask_documents(session: AsyncSession, app: DistanceApplication, actor_id: int, comment: str) -> None:
    await _move(session, app, actor_id, ApplicationStatus.more_documents, "ask_documents", comment)

    def build(t: Translator) -> Reply:
        text = t.gettext(
            "Your application No. {number} needs more documents: {comment}\nSend them with the button below."
        ).format(number=app.id, comment=comment)
        return Reply(text, buttons=[[AddDocuments(app.id).button(t.gettext("Add documents"))]])

    await notify(session, _people(app), build, kind="application")


async def refuse(session: AsyncSession, app: DistanceApplication, actor_id: int, reason: str) -> None:
    await _move(session, app, actor_id, ApplicationStatus.refused, "refuse", reason)

    def build(t: Translator) -> Reply:
        return Reply(
            t.gettext(
                "Your application No. {number} to study by distance was refused. The reason: {reason}"
            ).format(number=app.id, reason=reason)
        )

    await notify(session, _people(app), build, kind="application", dedupe_prefix=f"app:{app.id}:refused")


async def _move(
    session: AsyncSession,
    app: DistanceApplication,
    actor_id: int,
    status: ApplicationStatus,
    action: str,
    note: str,
) -> None:
    """A staff step on an open application, with the staff's words, recorded in the audit trail."""
    if app.status not in OPEN:
        raise WrongState(app.status)
    before = {"status": app.status}
    app.status = status
    app.staff_comment = note
    if status is ApplicationStatus.refused:
        app.decided_at = utcnow()
        app.decided_by_id = actor_id
    await _record(session, app, actor_id, action, before, {"status": status, "note": note})


async def _record(
    session: AsyncSession,
    app: DistanceApplication,
    actor_id: int,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    await session.flush()
    await audit.record(
        session, actor_id, "application", app.id, action, before, after, organization_id=app.organization_id
    )


def _people(app: DistanceApplication) -> set[int]:
    return {app.student_id, app.applicant_id}


async def staff_ids(session: AsyncSession, organization_id: int) -> list[int]:
    rows = await session.scalars(
        select(PersonRole.person_id)
        .join(Person, Person.id == PersonRole.person_id)
        .where(
            Person.organization_id == organization_id,
            PersonRole.role.in_(ALLOWED[Action.review_applications]),
        )
    )
    return sorted(set(rows))


async def _tell_staff(session: AsyncSession, app: DistanceApplication, message: str) -> None:
    student = await session.get(Person, app.student_id)
    assert student is not None

    def build(t: Translator) -> Reply:
        return Reply(
            t.gettext(message).format(number=app.id, name=student.full_name),
            buttons=[[OpenApplication(app.id).button(t.gettext("Open the application"))]],
        )

    await notify(session, await staff_ids(session, app.organization_id), build, kind="application")


async def queue(session: AsyncSession, organization_id: int) -> list[tuple[ApplicationLine, str]]:
    """Open applications, oldest first, with the student's name."""
    rows = await session.execute(
        select(DistanceApplication, Person.full_name)
        .join(Person, Person.id == DistanceApplication.student_id)
        .where(DistanceApplication.organization_id == organization_id, DistanceApplication.status.in_(OPEN))
        .order_by(DistanceApplication.submitted_at, DistanceApplication.id)
    )
    return [(ApplicationLine.of(a), n) for a, n in rows.all()]


async def of_person(session: AsyncSession, person_id: int) -> list[ApplicationLine]:
    """Applications where the person is the student or the applicant, newest first."""
    return [
        ApplicationLine.of(app)
        for app in await session.scalars(
            select(DistanceApplication)
            .where(
                (DistanceApplication.student_id == person_id)
                | (DistanceApplication.applicant_id == person_id)
            )
            .order_by(DistanceApplication.id.desc())
        )
    ]


async def children_of(session: AsyncSession, parent_id: int) -> list[PersonRef]:
    rows = await session.execute(
        select(Person.id, Person.full_name)
        .join(ParentLink, ParentLink.child_id == Person.id)
        .where(ParentLink.parent_id == parent_id)
        .order_by(Person.full_name)
    )
    return [PersonRef(*row) for row in rows.all()]
