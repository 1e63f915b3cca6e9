"""Signing in on the web chat: who is asking, a one-time code to their messenger, sessions.

A person names themselves by phone, IIN or Telegram @username; a code then goes to the messenger
they last wrote from (never to the web: a code shown where it is asked proves nothing). The first
time, before any messenger, their invite code signs them in instead. Codes and session tokens are
kept only as hashes.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.people import invites, linking
from db.base import utcnow
from db.models import (
    Channel,
    LinkCode,
    MessengerAccount,
    Organization,
    Person,
    WebSession,
    WebSignInCode,
)

CODE_DIGITS = 6
MAX_WRONG = 5  # wrong tries of one code before it is dead
CODES_PER_WINDOW = 3  # codes one person may be sent per window
CODE_WINDOW = dt.timedelta(minutes=15)


class Check(enum.StrEnum):
    ok = "ok"
    wrong = "wrong"
    too_many = "too_many"  # this code had its tries: ask for a new one
    expired = "expired"  # no live code: ask for one


@dataclass(frozen=True, slots=True)
class CodeTarget:
    """Where a sign-in code goes: a person's messenger account, and the language to say it in."""

    person_id: int
    account_id: int
    channel: Channel
    locale: str | None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def find_person(session: AsyncSession, who: str) -> Person | None:
    """The person a phone (any spelling), IIN or Telegram @username names; None if unsure."""
    who = who.strip()
    if who.startswith("@") and len(who) > 1:
        return await session.scalar(
            select(Person)
            .join(MessengerAccount, MessengerAccount.person_id == Person.id)
            .where(
                MessengerAccount.channel == Channel.telegram,
                func.lower(MessengerAccount.username) == who[1:].lower(),
            )
            .order_by(Person.id)
            .limit(1)
        )
    digits = "".join(ch for ch in who if ch.isdigit())
    if len(digits) == 12 and not who.lstrip().startswith("+"):
        return await session.scalar(select(Person).where(Person.iin == digits).order_by(Person.id).limit(1))
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]  # 8 7xx ... is how Kazakhstan dials +7 7xx ...
    if len(digits) < 10:
        return None
    phone = "+" + digits
    return await session.scalar(
        select(Person)
        .outerjoin(MessengerAccount, MessengerAccount.person_id == Person.id)
        .where(
            or_(
                Person.phone == phone,
                (MessengerAccount.channel == Channel.whatsapp) & (MessengerAccount.external_id == phone),
            )
        )
        .order_by(Person.id)
        .limit(1)
    )


async def code_target(
    session: AsyncSession, person: Person, channels: Collection[Channel]
) -> CodeTarget | None:
    """The messenger account the person wrote from last (of the channels this process can send on)."""
    account = await session.scalar(
        select(MessengerAccount)
        .where(
            MessengerAccount.person_id == person.id,
            MessengerAccount.channel != Channel.web,
            MessengerAccount.channel.in_(list(channels)),
            MessengerAccount.unreachable_at.is_(None),
        )
        .order_by(MessengerAccount.last_inbound_at.desc().nulls_last(), MessengerAccount.id)
        .limit(1)
    )
    if account is None:
        return None
    return CodeTarget(person.id, account.id, account.channel, person.locale)


async def new_code(session: AsyncSession, person_id: int, ttl: dt.timedelta) -> str | None:
    """A fresh code (older ones die), or None when this person was sent enough codes lately."""
    now = utcnow()
    recent = await session.scalar(
        select(func.count())
        .select_from(WebSignInCode)
        .where(WebSignInCode.person_id == person_id, WebSignInCode.created_at > now - CODE_WINDOW)
    )
    if (recent or 0) >= CODES_PER_WINDOW:
        return None
    # Codes a day old are of no use, not even for the count above: swept as new ones are made.
    await session.execute(delete(WebSignInCode).where(WebSignInCode.created_at < now - dt.timedelta(days=1)))
    await session.execute(
        update(WebSignInCode)
        .where(WebSignInCode.person_id == person_id, WebSignInCode.used_at.is_(None))
        .values(used_at=now)
    )
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    session.add(
        WebSignInCode(
            person_id=person_id, code_hash=_code_hash(person_id, code), expires_at=now + ttl, created_at=now
        )
    )
    return code


def _code_hash(person_id: int, code: str) -> str:
    return digest(f"{person_id}:{code}")


async def check_code(session: AsyncSession, person_id: int, code: str) -> Check:
    """Counts a wrong try against the person's live code; a right one uses it up."""
    now = utcnow()
    row = await session.scalar(
        select(WebSignInCode)
        .where(WebSignInCode.person_id == person_id, WebSignInCode.used_at.is_(None))
        .order_by(WebSignInCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    if row is None or row.expires_at < now:
        return Check.expired
    if row.attempts >= MAX_WRONG:
        return Check.too_many
    given = "".join(ch for ch in code if ch.isdigit())
    if not hmac.compare_digest(row.code_hash, _code_hash(person_id, given)):
        row.attempts += 1
        return Check.too_many if row.attempts >= MAX_WRONG else Check.wrong
    row.used_at = now
    return Check.ok


async def web_account(session: AsyncSession, person: Person) -> MessengerAccount:
    """The person's one web account, made on their first sign-in: every later one finds its history."""
    account = await session.scalar(
        select(MessengerAccount)
        .where(MessengerAccount.channel == Channel.web, MessengerAccount.person_id == person.id)
        .order_by(MessengerAccount.id)
        .limit(1)
    )
    if account is None:
        account = new_web_account(person.id, person.full_name)
        session.add(account)
        await session.flush()
    return account


def new_web_account(person_id: int | None, name: str | None = None) -> MessengerAccount:
    external = "web-" + secrets.token_urlsafe(18)
    return MessengerAccount(
        channel=Channel.web, external_id=external, chat_id=external, person_id=person_id, display_name=name
    )


async def redeem_invite(session: AsyncSession, code: str) -> tuple[invites.RedeemOutcome, MessengerAccount]:
    """The first sign-in: a new web account joins by the invite code (the caller rolls back a refusal)."""
    account = new_web_account(None)
    session.add(account)
    await session.flush()
    result = await invites.redeem(session, code, account)
    if result.outcome is invites.RedeemOutcome.joined and account.person_id is not None:
        person = await session.get(Person, account.person_id)
        account.display_name = person.full_name if person else None
    return result.outcome, account


async def redeem_link_code(session: AsyncSession, code: str) -> MessengerAccount | None:
    """A link code signs in as the person it was made for, on their one web account (None: refused)."""
    account = new_web_account(None)
    session.add(account)
    await session.flush()
    result = await linking.redeem(session, code, account)
    if result.outcome is not linking.Linked.linked:
        return None
    person = await session.get(Person, result.person_id)
    assert person is not None
    earlier = await session.scalar(
        select(MessengerAccount)
        .where(
            MessengerAccount.channel == Channel.web,
            MessengerAccount.person_id == person.id,
            MessengerAccount.id != account.id,
        )
        .order_by(MessengerAccount.id)
        .limit(1)
    )
    if earlier is None:
        account.display_name = person.full_name
        return account
    await session.execute(
        update(LinkCode)
        .where(LinkCode.used_by_account_id == account.id)
        .values(used_by_account_id=earlier.id)
    )
    await session.delete(account)  # the web they used before keeps its history
    return earlier


async def open_session(
    session: AsyncSession, account_id: int, lasts: dt.timedelta
) -> tuple[str, dt.datetime]:
    """A new session for this account: the token for the cookie (only its hash is stored) and its end."""
    token = secrets.token_urlsafe(32)
    expires = utcnow() + lasts
    session.add(WebSession(token_hash=digest(token), account_id=account_id, expires_at=expires))
    # Sessions long over are swept as new ones open: no separate job for them.
    await session.execute(delete(WebSession).where(WebSession.expires_at < utcnow() - dt.timedelta(days=1)))
    return token, expires


async def live_session(session: AsyncSession, token: str) -> WebSession | None:
    if not token:
        return None
    found = await session.scalar(select(WebSession).where(WebSession.token_hash == digest(token)))
    if found is None or found.expires_at <= utcnow():
        return None
    return found


async def end_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.token_hash == digest(token)))


async def takes_notices(
    session: AsyncSession, account_id: int, person_id: int | None, channels: Collection[Channel]
) -> bool:
    """Whether notices (not replies) may go to this web account: the person chose it in «My
    messengers», a live session of it chose so, or they have no reachable messenger instead."""
    if await session.scalar(select(MessengerAccount.notices_first).where(MessengerAccount.id == account_id)):
        return True
    chosen = await session.scalar(
        select(WebSession.id)
        .where(
            WebSession.account_id == account_id,
            WebSession.notices.is_(True),
            WebSession.expires_at > utcnow(),
        )
        .limit(1)
    )
    if chosen is not None or person_id is None:
        return True
    elsewhere = await session.scalar(
        select(MessengerAccount.id)
        .where(
            MessengerAccount.person_id == person_id,
            MessengerAccount.channel != Channel.web,
            MessengerAccount.channel.in_(list(channels)),
            MessengerAccount.unreachable_at.is_(None),
        )
        .limit(1)
    )
    return elsewhere is None


async def only_the_demo_school(session: AsyncSession) -> bool:
    """The database holds the demo school and nothing else: the person picker cannot expose anyone real."""
    from bot.services.admin.demo import ORG_NAME

    names = (await session.scalars(select(Organization.name).limit(2))).all()
    return list(names) == [ORG_NAME]
