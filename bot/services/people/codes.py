"""Invite codes: making them, reading them back as typed, and the invite row that holds one."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Invite, Person, Role

# No 0/O, 1/I/L: codes are read aloud and typed from paper.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
DEFAULT_TTL = dt.timedelta(days=30)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def looks_like_code(text: str) -> bool:
    code = normalize_code(text)
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def has_code_shape(text: str) -> bool:
    """Exactly a code as we print them (8 letters and digits, in capitals or with a digit), not a word."""
    text = text.strip()
    return (
        len(text) == CODE_LENGTH
        and looks_like_code(text)
        and (text.isupper() or any(ch.isdigit() for ch in text))
    )


async def create_invite(
    session: AsyncSession,
    person: Person,
    role: Role,
    *,
    child_id: int | None = None,
    created_by_id: int | None = None,
    ttl: dt.timedelta = DEFAULT_TTL,
) -> Invite:
    invite = Invite(
        code=new_code(),
        organization_id=person.organization_id,
        person_id=person.id,
        role=role,
        child_id=child_id,
        expires_at=utcnow() + ttl,
        created_by_id=created_by_id,
    )
    session.add(invite)
    await session.flush()
    return invite
