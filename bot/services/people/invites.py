"""Invites: one-time, expiring codes that bind a messenger account to a person and role."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import pick_locale
from bot.services.people import parents
from bot.services.people.codes import create_invite as create_invite
from bot.services.people.codes import has_code_shape as has_code_shape
from bot.services.people.codes import looks_like_code as looks_like_code
from bot.services.people.codes import normalize_code
from bot.services.people.parents import LinkOutcome
from db.base import utcnow
from db.models import Invite, MessengerAccount, Organization, ParentLink, Person, PersonRole, Role


class RedeemOutcome(enum.StrEnum):
    joined = "joined"
    unknown = "unknown"
    used = "used"
    expired = "expired"
    other_person = "other_person"  # this account already belongs to someone else
    already = "already"  # a joined parent sent a child's code: that child was already linked
    not_parent = "not_parent"  # a student (not a parent) sent a classmate's code


@dataclass(frozen=True)
class RedeemResult:
    outcome: RedeemOutcome
    person_id: int | None = None
    role: Role | None = None
    child_id: int | None = None  # a parent's code: the child it links
    from_child: bool = False  # the child made the code (a new one is asked of the child)


async def redeem(session: AsyncSession, code: str, account: MessengerAccount) -> RedeemResult:
    invite = await session.scalar(select(Invite).where(Invite.code == normalize_code(code)).with_for_update())
    if invite is None:
        return RedeemResult(RedeemOutcome.unknown)
    from_child = invite.child_id is not None and invite.person_id == invite.child_id
    if from_child and account.person_id is not None:
        return await _link_child_code(session, invite, account)
    if invite.used_at is not None:
        # Pressing the same deep link twice from the same account is not an error.
        if invite.used_by_account_id == account.id:
            return RedeemResult(RedeemOutcome.joined, invite.person_id, invite.role, invite.child_id)
        return RedeemResult(RedeemOutcome.used, from_child=from_child)
    if invite.expires_at < utcnow():
        return RedeemResult(RedeemOutcome.expired, from_child=from_child)
    if from_child:
        return await _join_with_child_code(session, invite, account)
    if account.person_id is not None and account.person_id != invite.person_id:
        return RedeemResult(RedeemOutcome.other_person)

    account.person_id = invite.person_id
    invite.used_at = utcnow()
    invite.used_by_account_id = account.id
    has_role = await session.scalar(
        select(PersonRole.id).where(PersonRole.person_id == invite.person_id, PersonRole.role == invite.role)
    )
    if has_role is None:
        session.add(PersonRole(person_id=invite.person_id, role=invite.role))
    if invite.child_id is not None:
        linked = await session.scalar(
            select(ParentLink.id).where(
                ParentLink.parent_id == invite.person_id, ParentLink.child_id == invite.child_id
            )
        )
        if linked is None:
            session.add(ParentLink(parent_id=invite.person_id, child_id=invite.child_id))
            await session.flush()
            await parents.tell_child(session, invite.person_id, invite.child_id)
    person = await session.get(Person, invite.person_id)
    assert person is not None
    person.active_role = invite.role
    if person.locale is None:
        # The language they were greeted in stays theirs (notices use it too).
        org_locale = await session.scalar(
            select(Organization.default_locale).where(Organization.id == person.organization_id)
        )
        person.locale = pick_locale(account.language_code, org_locale or "kk")
    await session.flush()
    return RedeemResult(RedeemOutcome.joined, invite.person_id, invite.role, invite.child_id)


def deep_link(bot_username: str | None, code: str) -> str | None:
    """The Telegram link that joins with the code, or None while the organization's bot is not known:
    a link to some other bot would send people where their code means nothing."""
    if not bot_username:
        return None
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"


async def _join_with_child_code(
    session: AsyncSession, invite: Invite, account: MessengerAccount
) -> RedeemResult:
    """Someone new redeems a code a student made for their parent: they join as that child's parent."""
    person_id = await parents.join_with_child_code(session, invite, account)
    await session.flush()
    return RedeemResult(RedeemOutcome.joined, person_id, Role.parent, invite.child_id, from_child=True)


async def _link_child_code(session: AsyncSession, invite: Invite, account: MessengerAccount) -> RedeemResult:
    """A joined person redeems a child's code: linked as the parent by the parents' rules."""
    person = await session.get(Person, account.person_id)
    assert person is not None
    result = await parents.link_with_invite(session, invite, person, account)
    outcome = {
        LinkOutcome.linked: RedeemOutcome.joined,
        LinkOutcome.already: RedeemOutcome.already,
        LinkOutcome.used: RedeemOutcome.used,
        LinkOutcome.expired: RedeemOutcome.expired,
        LinkOutcome.not_parent: RedeemOutcome.not_parent,
    }.get(result.outcome, RedeemOutcome.unknown)
    return RedeemResult(outcome, person.id, Role.parent, invite.child_id, from_child=True)
