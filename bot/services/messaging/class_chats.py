"""Class group chats: a school group's messenger group, linked by a one-time code, where Ustaz posts
what the whole class should see (new assignments, timetable changes, announcements).

Never grades, names or anything of one person: only what every member of the group chat may read.
Posts go through the outbox to the group chat's own account, so Telegram's 20 messages a minute per
group is kept there. Removing the bot from the group, or /unlink, ends the link.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.actions import link_button
from bot.core.messages import Reply
from bot.i18n import Translator
from bot.queues.outbox import enqueue
from bot.services.people import codes
from bot.services.people.permissions import Action, may
from db.base import utcnow
from db.models import ClassChat, Course, Group, MessengerAccount, Organization, Person, Role

CODE_TTL = dt.timedelta(days=2)
KIND = "class_chat"  # the outbox rows' kind


class LinkOutcome(enum.StrEnum):
    linked = "linked"
    unknown = "unknown"
    expired = "expired"
    used = "used"


@dataclass(frozen=True, slots=True)
class Linked:
    outcome: LinkOutcome
    group: str = ""
    locale: str = "kk"
    join_url: str | None = None


@dataclass(frozen=True, slots=True)
class GroupLine:
    id: int
    name: str
    chat_title: str | None  # the linked chat's title, None when no chat is linked


async def linkable_groups(session: AsyncSession, person: Person, roles: frozenset[Role]) -> list[GroupLine]:
    """The groups whose chat this person may link: every group for the head, a deputy or an admin,
    the groups of their own courses for a teacher."""
    query = select(Group.id, Group.name).where(Group.organization_id == person.organization_id)
    if not may(roles, Action.link_class_chats):
        if Role.teacher not in roles:
            return []
        taught = select(Course.group_id).where(Course.teacher_id == person.id)
        query = query.where(Group.id.in_(taught))
    rows = (await session.execute(query.order_by(Group.name))).tuples().all()
    titles = await _linked_titles(session, [g for g, _ in rows])
    return [GroupLine(g, name, titles.get(g)) for g, name in rows]


async def _linked_titles(session: AsyncSession, group_ids: list[int]) -> dict[int, str]:
    if not group_ids:
        return {}
    rows = await session.execute(
        select(ClassChat.group_id, ClassChat.title).where(ClassChat.group_id.in_(group_ids), _active())
    )
    return {g: title or "—" for g, title in rows.tuples().all()}


def _active() -> ColumnElement[bool]:
    return and_(ClassChat.account_id.is_not(None), ClassChat.unlinked_at.is_(None))


async def may_link(
    session: AsyncSession, person: Person, roles: frozenset[Role], group_id: int
) -> GroupLine | None:
    return next((g for g in await linkable_groups(session, person, roles) if g.id == group_id), None)


async def new_code(
    session: AsyncSession, person: Person, group_id: int, locale: str, join_url: str | None
) -> str:
    """A one-time code that links the group chat where it is sent to this group (checked by the caller)."""
    code = codes.new_code()
    session.add(
        ClassChat(
            organization_id=person.organization_id,
            group_id=group_id,
            code=code,
            code_expires_at=utcnow() + CODE_TTL,
            created_by_id=person.id,
            locale=locale,
            join_url=join_url,
        )
    )
    await session.flush()
    return code


async def link(session: AsyncSession, code: str, chat: MessengerAccount, title: str | None) -> Linked:
    """Links the group chat `chat` by the code; a chat serves one school group, a school group one chat."""
    row = await session.scalar(select(ClassChat).where(ClassChat.code == codes.normalize_code(code)))
    if row is None:
        return Linked(LinkOutcome.unknown)
    group = await session.get(Group, row.group_id)
    assert group is not None
    if row.account_id is not None:
        same = row.account_id == chat.id and row.unlinked_at is None
        return Linked(LinkOutcome.linked if same else LinkOutcome.used, group.name, row.locale, row.join_url)
    if row.code_expires_at < utcnow():
        return Linked(LinkOutcome.expired, group.name, row.locale)
    now = utcnow()
    earlier = await session.scalars(
        select(ClassChat).where(
            (ClassChat.account_id == chat.id) | (ClassChat.group_id == row.group_id), _active()
        )
    )
    for old in earlier.all():
        old.unlinked_at = now
    row.account_id, row.linked_at, row.title = chat.id, now, (title or "")[:300] or None
    await session.flush()
    return Linked(LinkOutcome.linked, group.name, row.locale, row.join_url)


async def linked_to(session: AsyncSession, chat_account_id: int) -> ClassChat | None:
    return await session.scalar(select(ClassChat).where(ClassChat.account_id == chat_account_id, _active()))


async def moved(session: AsyncSession, old_chat_id: str, chat: MessengerAccount) -> bool:
    """The linked group chat has a new id (a group upgraded to a supergroup): the link follows it."""
    old = await session.scalar(
        select(MessengerAccount).where(
            MessengerAccount.channel == chat.channel, MessengerAccount.external_id == old_chat_id
        )
    )
    row = await linked_to(session, old.id) if old is not None else None
    if old is None or row is None:
        return False
    row.account_id = chat.id
    old.unreachable_at = utcnow()  # Telegram takes nothing at the old id any more
    await session.flush()
    return True


async def unlink(session: AsyncSession, row: ClassChat) -> None:
    row.unlinked_at = utcnow()
    await session.flush()


async def unlink_group(session: AsyncSession, group_id: int) -> bool:
    """Ends the link of the group's chat (from the private menu); False if none was linked."""
    row = await session.scalar(select(ClassChat).where(ClassChat.group_id == group_id, _active()))
    if row is None:
        return False
    await unlink(session, row)
    return True


async def group_name(session: AsyncSession, group_id: int) -> str:
    group = await session.get(Group, group_id)
    return group.name if group is not None else ""


async def post(
    session: AsyncSession, group_id: int, build: Callable[[Translator], Reply | None], dedupe: str
) -> int:
    """Posts what the whole class should see to the group's linked chat, in its language; the count."""
    rows = (
        await session.execute(
            select(ClassChat, Organization.timezone)
            .join(Organization, Organization.id == ClassChat.organization_id)
            .join(MessengerAccount, MessengerAccount.id == ClassChat.account_id)
            .where(ClassChat.group_id == group_id, MessengerAccount.unreachable_at.is_(None), _active())
        )
    ).all()
    count = 0
    for row, zone in rows:
        t = Translator(row.locale, zone)
        reply = build(t)
        if reply is None:
            continue
        # Only links: a button pressed in a group would come from whoever pressed it, not from the class.
        buttons = [[b for b in line if b.url] for line in reply.buttons]
        if row.join_url:
            buttons.append([link_button(t.gettext("Get your own notices privately"), row.join_url)])
        reply = Reply(reply.text, buttons=[line for line in buttons if line])
        assert row.account_id is not None
        kept = await enqueue(
            session, reply, account_id=row.account_id, kind=KIND, dedupe_key=f"cc:{row.id}:{dedupe}"
        )
        count += kept is not None
    return count
