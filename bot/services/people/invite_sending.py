"""Sending invites to the phone numbers of the roster, through the outbox to WhatsApp.

An imported person has not written to Ustaz yet, so the message is business-initiated:
WhatsApp takes it only as an approved template of the kind "invite" (its variables:
{{1}} full name, {{2}} organization, {{3}} invite code, {{4}} Telegram link). Without
such a template the row waits in the outbox as waiting_template, never dropped, and
goes once the template is set or the person writes.

The WhatsApp account for the number is created unbound (no person yet): the person
still joins by sending the code, from that number or any other chat.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Reply
from bot.i18n import Translator
from bot.queues.outbox import enqueue
from bot.services.people import invites
from db.base import utcnow
from db.models import Channel, Invite, MessengerAccount, Organization, Person

KIND = "invite"


@dataclass
class SendResult:
    queued: int = 0  # new outbox rows
    again: int = 0  # this invite was already sent: not sent twice
    no_phone: int = 0
    taken: int = 0  # the number belongs to someone else who has joined


async def send_invites(
    session: AsyncSession,
    org: Organization,
    bot_username: str | None,
    person_ids: Iterable[int] | None = None,
) -> SendResult:
    """Queues each pending invite of the organization (or of these people) to its person's phone."""
    query = (
        select(Invite, Person)
        .join(Person, Person.id == Invite.person_id)
        .where(
            Invite.organization_id == org.id,
            Invite.used_at.is_(None),
            Invite.expires_at > utcnow(),
            Invite.child_id.is_(None),  # a child's code for a parent is the student's to hand over
        )
        .order_by(Invite.id)
    )
    if person_ids is not None:
        query = query.where(Invite.person_id.in_(list(person_ids)))
    result = SendResult()
    for invite, person in (await session.execute(query)).all():
        if not person.phone:
            result.no_phone += 1
            continue
        account = await _whatsapp_account(session, person, org)
        if account is None:
            result.taken += 1
            continue
        row = await enqueue(
            session,
            _message(person, org, invite.code, bot_username),
            account_id=account.id,
            kind=KIND,
            dedupe_key=f"invite:{invite.id}",
            template_vars={
                "1": person.full_name,
                "2": org.name,
                "3": invite.code,
                "4": invites.deep_link(bot_username, invite.code) or _no_link(person, org, invite.code),
            },
        )
        if row is None:
            result.again += 1
        else:
            result.queued += 1
    return result


async def _whatsapp_account(
    session: AsyncSession, person: Person, org: Organization
) -> MessengerAccount | None:
    """The number's WhatsApp account, created unbound if new; None if it is someone else's."""
    assert person.phone is not None
    account = await session.scalar(
        select(MessengerAccount).where(
            MessengerAccount.channel == Channel.whatsapp, MessengerAccount.external_id == person.phone
        )
    )
    if account is None:
        # Its language is the person's, so the invite and the first greeting speak it.
        account = MessengerAccount(
            channel=Channel.whatsapp,
            external_id=person.phone,
            language_code=person.locale or org.default_locale,
        )
        session.add(account)
        await session.flush()
    if account.person_id not in (None, person.id):
        return None
    return account


def _message(person: Person, org: Organization, code: str, bot_username: str | None) -> Reply:
    t = Translator(person.locale or org.default_locale, org.timezone)
    text = t.gettext(
        "{name}, {org} invites you to Ustaz, its learning assistant. To join, send this code here: {code}"
    ).format(name=person.full_name, org=org.name, code=code)
    link = invites.deep_link(bot_username, code)
    if link:
        text += "\n" + t.gettext("In Telegram, open: {link}").format(link=link)
    return Reply(text)


def _no_link(person: Person, org: Organization, code: str) -> str:
    """The template's link variable when no Telegram bot is known: how to use the code instead."""
    t = Translator(person.locale or org.default_locale, org.timezone)
    return t.gettext("send the code {code} to {org}'s Ustaz in this chat").format(code=code, org=org.name)
