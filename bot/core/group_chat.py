"""What a handler of a group chat gets: the command, who typed it (read only) and where to answer.

A group chat is not a person: it has its own account (the group's chat id, no person), so answers and
posts go to the group through the outbox like any message, held to the group's rate there. The sender's
own account is only read, never changed: their private chat stays where their notices go.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.core.deps import Deps
from bot.core.messages import Button, Incoming, Reply
from bot.i18n import Translator, pick_locale
from db.base import utcnow
from db.models import MessengerAccount, Organization, Person, Role
from db.statements import insert_or_ignore


@dataclass
class GroupContext:
    deps: Deps
    session: AsyncSession
    incoming: Incoming
    chat: MessengerAccount  # the group chat's own account
    sender: Person | None  # who typed the command, if they have joined Ustaz
    org: Organization | None  # the sender's organization
    roles: frozenset[Role]  # the sender's roles
    t: Translator  # the sender's language (a linked chat's handlers switch to the chat's)
    replies: list[Reply] = field(default_factory=list)

    def _(self, message: str, **values: Any) -> str:
        text = self.t.gettext(message)
        return text.format(**values) if values else text

    def reply(self, text: str, buttons: list[list[Button]] | None = None) -> Reply:
        reply = Reply(text=text, buttons=buttons or [])
        self.replies.append(reply)
        return reply


GroupHandler = Callable[[GroupContext], Awaitable[None]]


async def group_account(session: AsyncSession, incoming: Incoming) -> MessengerAccount:
    """The group chat's account (made on its first message): its address is the group's chat id."""
    await session.execute(
        insert_or_ignore(session, MessengerAccount, ["channel", "external_id"]).values(
            channel=incoming.channel,
            external_id=incoming.chat_id,
            chat_id=incoming.chat_id,
            display_name=(incoming.chat_title or "")[:300] or None,
            created_at=utcnow(),
        )
    )
    chat = await session.scalar(
        select(MessengerAccount).where(
            MessengerAccount.channel == incoming.channel, MessengerAccount.external_id == incoming.chat_id
        )
    )
    assert chat is not None
    if incoming.chat_title:
        chat.display_name = incoming.chat_title[:300]
    # Removed from the group: nothing more goes there; added again: it is reachable.
    chat.unreachable_at = utcnow() if incoming.blocked else None
    return chat


async def group_context(deps: Deps, session: AsyncSession, incoming: Incoming) -> GroupContext:
    chat = await group_account(session, incoming)
    sender_account = await session.scalar(
        select(MessengerAccount).where(
            MessengerAccount.channel == incoming.channel,
            MessengerAccount.external_id == incoming.external_user_id,
        )
    )
    sender = None
    if sender_account is not None and sender_account.person_id is not None:
        sender = await session.scalar(
            select(Person).options(selectinload(Person.roles)).where(Person.id == sender_account.person_id)
        )
    org = await session.get(Organization, sender.organization_id) if sender is not None else None
    roles = frozenset(r.role for r in sender.roles) if sender is not None else frozenset()
    default = (org.default_locale if org else None) or deps.settings.default_locale
    locale = (sender.locale if sender else None) or pick_locale(incoming.language_code, default)
    t = Translator(locale, org.timezone if org else deps.settings.timezone)
    return GroupContext(deps, session, incoming, chat, sender, org, roles, t)
