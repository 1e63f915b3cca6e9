"""Parents: linking to each child with a code, the children they follow, acknowledgements.

A link code is an Invite with role parent and a child: made by the staff for a known
parent (Invite.person_id is the parent), or by the child for whoever their parent is
(Invite.person_id == Invite.child_id: the code names no parent yet).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Reply
from bot.i18n import N_, Translator, pick_locale
from bot.services.messaging.notify import notify
from bot.services.people.codes import create_invite, normalize_code
from db.base import utcnow
from db.models import (
    Acknowledgement,
    Announcement,
    Group,
    Invite,
    MessengerAccount,
    Organization,
    ParentLink,
    Person,
    PersonRole,
    Role,
)
from db.statements import insert_or_ignore

CHILD_CODE_TTL = dt.timedelta(days=7)
# The name of a parent who joined with a child's code from a messenger that gave no name.
PARENT_OF = N_("Parent of {child}")


@dataclass(frozen=True)
class Child:
    id: int
    name: str
    group: str | None


class LinkOutcome(enum.StrEnum):
    linked = "linked"
    already = "already"
    unknown = "unknown"
    used = "used"
    expired = "expired"
    own_code = "own_code"  # the child sent the code they made for their parent
    not_parent = "not_parent"  # a student (not a parent) sent a child's code


@dataclass(frozen=True)
class LinkResult:
    outcome: LinkOutcome
    child: Child | None = None
    from_child: bool = False  # the code was made by the child, not by the staff


async def children(session: AsyncSession, parent_id: int) -> list[Child]:
    rows = (
        await session.execute(
            select(Person.id, Person.full_name, Group.name)
            .join(ParentLink, ParentLink.child_id == Person.id)
            .outerjoin(PersonRole, (PersonRole.person_id == Person.id) & (PersonRole.role == Role.student))
            .outerjoin(Group, Group.id == PersonRole.group_id)
            .where(ParentLink.parent_id == parent_id)
            .order_by(Person.full_name)
        )
    ).all()
    seen: dict[int, Child] = {}
    for child_id, name, group in rows:
        seen.setdefault(child_id, Child(child_id, name, group))
    return list(seen.values())


async def child_of(session: AsyncSession, parent_id: int, child_id: int) -> Child | None:
    """The child if this parent is linked to them: guards every id that arrives in a button."""
    return next((c for c in await children(session, parent_id) if c.id == child_id), None)


async def create_child_code(session: AsyncSession, child: Person) -> Invite:
    """A code the student gives their parent (valid a week, once)."""
    return await create_invite(
        session, child, Role.parent, child_id=child.id, created_by_id=child.id, ttl=CHILD_CODE_TTL
    )


def is_child_code(invite: Invite) -> bool:
    return invite.child_id is not None and invite.person_id == invite.child_id


async def link_with_code(
    session: AsyncSession, parent: Person, code: str, account: MessengerAccount | None = None
) -> LinkResult:
    """A joined person links one more child with a code (the child's or the staff's)."""
    invite = await session.scalar(select(Invite).where(Invite.code == normalize_code(code)).with_for_update())
    if invite is None or invite.child_id is None or invite.role != Role.parent:
        return LinkResult(LinkOutcome.unknown)
    if not is_child_code(invite) and invite.person_id != parent.id:
        return LinkResult(LinkOutcome.unknown)  # the staff made it for another parent
    return await link_with_invite(session, invite, parent, account)


async def link_with_invite(
    session: AsyncSession, invite: Invite, parent: Person, account: MessengerAccount | None = None
) -> LinkResult:
    """Links the invite's child to a joined person. Never changes the person's active role.

    A child's code is refused to a student who is not a parent (a classmate's code must not
    turn them into a parent); anyone else gets the parent role if they lack it. A child who is
    already linked leaves the code unused, for the other parent.
    """
    assert invite.child_id is not None
    from_child = is_child_code(invite)
    if invite.child_id == parent.id:
        return LinkResult(LinkOutcome.own_code, from_child=from_child)
    roles = set(
        (await session.scalars(select(PersonRole.role).where(PersonRole.person_id == parent.id))).all()
    )
    if from_child and Role.student in roles and Role.parent not in roles:
        return LinkResult(LinkOutcome.not_parent, from_child=True)
    known = await child_of(session, parent.id, invite.child_id)
    if known is not None:
        return LinkResult(LinkOutcome.already, known, from_child)
    if invite.used_at is not None:
        return LinkResult(LinkOutcome.used, from_child=from_child)
    if invite.expires_at < utcnow():
        return LinkResult(LinkOutcome.expired, from_child=from_child)
    invite.used_at = utcnow()
    if account is not None:
        invite.used_by_account_id = account.id
    outcome = await link(session, parent.id, invite.child_id)
    return LinkResult(outcome, await child_of(session, parent.id, invite.child_id), from_child)


async def link(session: AsyncSession, parent_id: int, child_id: int) -> LinkOutcome:
    has_role = await session.scalar(
        select(PersonRole.id).where(PersonRole.person_id == parent_id, PersonRole.role == Role.parent)
    )
    if has_role is None:
        session.add(PersonRole(person_id=parent_id, role=Role.parent))
    exists = await session.scalar(
        select(ParentLink.id).where(ParentLink.parent_id == parent_id, ParentLink.child_id == child_id)
    )
    if exists is not None:
        await session.flush()
        return LinkOutcome.already
    session.add(ParentLink(parent_id=parent_id, child_id=child_id))
    await session.flush()
    await tell_child(session, parent_id, child_id)
    return LinkOutcome.linked


async def tell_child(session: AsyncSession, parent_id: int, child_id: int) -> None:
    """The child learns who now gets their notices: a link they did not expect is seen at once."""
    parent = await session.scalar(select(Person.full_name).where(Person.id == parent_id))

    def build(t: Translator) -> Reply:
        return Reply(
            t.gettext(
                "{parent} is now linked to you as a parent and will get your notices: assignments, grades, "
                "absences. If you do not know this person, tell your teacher."
            ).format(parent=parent or "")
        )

    await notify(session, [child_id], build, kind="parent_linked", dedupe_prefix=f"linked:{parent_id}")


async def join_with_child_code(session: AsyncSession, invite: Invite, account: MessengerAccount) -> int:
    """Someone new joins as a parent with a child's code: a parent person is created for them."""
    child = await session.get(Person, invite.child_id)
    assert child is not None
    # Their own language: the one they chose or their messenger's, else the organization's.
    org_locale = await session.scalar(
        select(Organization.default_locale).where(Organization.id == child.organization_id)
    )
    locale = pick_locale(account.language_code, org_locale or "kk")
    name = (account.display_name or "").strip() or Translator(locale).gettext(PARENT_OF).format(
        child=child.full_name
    )
    parent = Person(
        organization_id=child.organization_id,
        full_name=name[:300],
        locale=locale,
        active_role=Role.parent,
    )
    session.add(parent)
    await session.flush()
    account.person_id = parent.id
    invite.used_at = utcnow()
    invite.used_by_account_id = account.id
    await link(session, parent.id, child.id)
    return parent.id


async def in_audience(session: AsyncSession, announcement: Announcement, person_id: int) -> bool:
    """Whether the announcement was meant for this person: as notices.announcement_posted sends it."""
    students = select(PersonRole.person_id).where(PersonRole.role == Role.student)
    if announcement.group_id is not None:
        students = students.where(PersonRole.group_id == announcement.group_id)
    else:
        students = students.join(Person, Person.id == PersonRole.person_id).where(
            Person.organization_id == announcement.organization_id
        )
    as_student = students.where(PersonRole.person_id == person_id).limit(1)
    if announcement.audience in ("students", "both") and await session.scalar(as_student) is not None:
        return True
    if announcement.audience in ("parents", "both"):
        linked = select(ParentLink.id).where(
            ParentLink.parent_id == person_id, ParentLink.child_id.in_(students)
        )
        if await session.scalar(linked.limit(1)) is not None:
            return True
    return False


async def acknowledge(session: AsyncSession, announcement_id: int, person_id: int) -> bool:
    """Records that a person acknowledged an announcement; False if it is unknown or not for them."""
    announcement = await session.get(Announcement, announcement_id)
    if announcement is None or not await in_audience(session, announcement, person_id):
        return False
    await session.execute(
        insert_or_ignore(session, Acknowledgement, ["announcement_id", "person_id"]).values(
            announcement_id=announcement_id, person_id=person_id, created_at=utcnow()
        )
    )
    return True


async def acknowledged_by(session: AsyncSession, announcement_id: int) -> list[tuple[str, dt.datetime]]:
    """Who acknowledged an announcement and when: for the teacher's view."""
    rows = await session.execute(
        select(Person.full_name, Acknowledgement.created_at)
        .join(Acknowledgement, Acknowledgement.person_id == Person.id)
        .where(Acknowledgement.announcement_id == announcement_id)
        .order_by(Acknowledgement.created_at)
    )
    return [(name, at) for name, at in rows.all()]
