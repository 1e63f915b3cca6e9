"""One person on several messengers: link codes, the account chosen for notices, unlinking.

A joined person asks for a link code on one messenger and sends it from another (Telegram, WhatsApp,
the web chat); that account then belongs to the same person, not a new one. Codes are longer than
invite codes (10 letters and digits, shown as two halves) so the two are never mistaken, live 15
minutes, work once and are kept only as hashes; an account that sends wrong codes is slowed down.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.people.codes import ALPHABET, normalize_code
from db.base import utcnow
from db.models import Channel, LinkCode, LinkTry, MessengerAccount, Person, WebSession

CODE_LENGTH = 10
TTL = dt.timedelta(minutes=15)
CODES_PER_WINDOW = 3  # codes one person may ask for per window
MAX_WRONG = 5  # wrong codes one account may send per window
WINDOW = dt.timedelta(minutes=15)


class Linked(enum.StrEnum):
    linked = "linked"
    already = "already"  # this account is the person's already
    other_person = "other_person"  # this account belongs to someone else
    unknown = "unknown"  # no such code, or it expired or was used
    too_many = "too_many"  # this account sent too many wrong codes lately


@dataclass(frozen=True, slots=True)
class LinkResult:
    outcome: Linked
    person_id: int | None = None


def looks_like_link_code(text: str) -> bool:
    code = normalize_code(text)
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def has_link_code_shape(text: str) -> bool:
    """Exactly a link code as shown (ABCDE-FGHJK, in capitals or with a digit), not a word someone wrote."""
    text = text.strip()
    return (
        looks_like_link_code(text)
        and len(text) <= CODE_LENGTH + 1
        and (text.isupper() or any(ch.isdigit() for ch in text))
    )


def shown(code: str) -> str:
    """ABCDE-FGHJK: two halves are easier to read out and type."""
    return f"{code[:5]}-{code[5:]}"


def _hash(code: str) -> str:
    return hashlib.sha256(("link:" + normalize_code(code)).encode()).hexdigest()


async def new_code(session: AsyncSession, person_id: int) -> str | None:
    """A fresh code for the person (their older unused ones die), or None when they asked too often."""
    now = utcnow()
    recent = await session.scalar(
        select(func.count())
        .select_from(LinkCode)
        .where(LinkCode.person_id == person_id, LinkCode.created_at > now - WINDOW)
    )
    if (recent or 0) >= CODES_PER_WINDOW:
        return None
    # A day-old code counts for nothing: swept as new ones are made, with old wrong tries.
    await session.execute(delete(LinkCode).where(LinkCode.created_at < now - dt.timedelta(days=1)))
    await session.execute(delete(LinkTry).where(LinkTry.created_at < now - dt.timedelta(days=1)))
    await session.execute(
        update(LinkCode)
        .where(LinkCode.person_id == person_id, LinkCode.used_at.is_(None))
        .values(used_at=now)
    )
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    session.add(LinkCode(person_id=person_id, code_hash=_hash(code), expires_at=now + TTL, created_at=now))
    await session.flush()
    return code


async def redeem(session: AsyncSession, code: str, account: MessengerAccount) -> LinkResult:
    """Links `account` to the person whose live code this is; a wrong code counts against the account."""
    now = utcnow()
    wrong = await session.scalar(
        select(func.count())
        .select_from(LinkTry)
        .where(LinkTry.account_id == account.id, LinkTry.created_at > now - WINDOW)
    )
    if (wrong or 0) >= MAX_WRONG:
        return LinkResult(Linked.too_many)
    row = await session.scalar(select(LinkCode).where(LinkCode.code_hash == _hash(code)).with_for_update())
    if row is None or row.used_at is not None or row.expires_at <= now:
        session.add(LinkTry(account_id=account.id, created_at=now))
        return LinkResult(Linked.unknown)
    if account.person_id == row.person_id:
        return LinkResult(Linked.already, row.person_id)
    if account.person_id is not None:
        return LinkResult(Linked.other_person)
    row.used_at = now
    row.used_by_account_id = account.id
    account.person_id = row.person_id
    account.unreachable_at = None
    person = await session.get(Person, row.person_id)
    if person is not None and account.display_name is None:
        account.display_name = person.full_name
    await session.flush()
    return LinkResult(Linked.linked, row.person_id)


async def accounts_of(session: AsyncSession, person_id: int) -> list[MessengerAccount]:
    """The person's accounts, the one chosen for notices first, then by when they were linked."""
    return list(
        (
            await session.scalars(
                select(MessengerAccount)
                .where(MessengerAccount.person_id == person_id)
                .order_by(MessengerAccount.notices_first.desc(), MessengerAccount.id)
            )
        ).all()
    )


async def choose_for_notices(session: AsyncSession, person_id: int, account_id: int) -> bool:
    """Notices go first to this account of the person; False if it is not theirs."""
    account = await session.get(MessengerAccount, account_id)
    if account is None or account.person_id != person_id:
        return False
    await session.execute(
        update(MessengerAccount).where(MessengerAccount.person_id == person_id).values(notices_first=False)
    )
    account.notices_first = True
    account.unreachable_at = None  # chosen again after a failure: try it again
    await session.flush()
    return True


class Unlinked(enum.StrEnum):
    unlinked = "unlinked"
    last = "last"  # the only account left: the person would lose Ustaz
    not_theirs = "not_theirs"


async def unlink(session: AsyncSession, person_id: int, account_id: int) -> Unlinked:
    accounts = await accounts_of(session, person_id)
    account = next((a for a in accounts if a.id == account_id), None)
    if account is None:
        return Unlinked.not_theirs
    if len(accounts) < 2:
        return Unlinked.last
    account.person_id = None
    account.notices_first = False
    if account.channel is Channel.web:  # a browser signed in as them is signed out
        await session.execute(delete(WebSession).where(WebSession.account_id == account.id))
    await session.flush()
    return Unlinked.unlinked
