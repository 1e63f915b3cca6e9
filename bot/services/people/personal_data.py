"""Personal data under Kazakhstan's law No. 94-V: consent, a person's export, erasure on request.

Consent is given by the person or, for a minor, by a parent (legal representative), and is kept
with who gave it, when and in which language. An export is every row that names the person (found
through the schema's foreign keys, so a new table is never forgotten) and the files they sent, in
one zip. Erasure removes what identifies the person and what the rules do not require, and keeps
the records they do (orders, grades in the register, enrolments, submitted work) under a pseudonym;
it is written to the audit chain, and the protected rows it leaves untouched keep `verify` passing.
"""

from __future__ import annotations

import datetime as dt
import enum
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.files.store import FileStore
from bot.services.admin import audit
from db.base import Base, utcnow
from db.models import (
    FileName,
    Invite,
    LinkCode,
    MessengerAccount,
    NotificationPreference,
    ParentLink,
    Person,
    StoredFile,
    WebchatMessage,
    WebSession,
    WebSignInCode,
)
from db.session import rowcount

ADULT_AGE = 18


def is_minor(person: Person, today: dt.date) -> bool:
    """Under 18 by the birth date; without one, not known to be a minor."""
    born = person.birth_date
    if born is None:
        return False
    return (today.year - born.year - ((today.month, today.day) < (born.month, born.day))) < ADULT_AGE


class Consent(enum.StrEnum):
    given = "given"
    representative_needed = "representative_needed"  # a minor: a parent or legal representative gives it


async def give_consent(session: AsyncSession, person: Person, by: Person, locale: str) -> list[int]:
    """Records consent given by `by` (the person, or their parent) and, when a parent gives their own,
    for their minor children who have none yet. Returns the ids whose consent was recorded."""
    now = utcnow()
    recorded = []
    targets = [person]
    if by.id == person.id:
        children = (
            await session.scalars(
                select(Person)
                .join(ParentLink, ParentLink.child_id == Person.id)
                .where(ParentLink.parent_id == person.id, Person.consent_at.is_(None))
            )
        ).all()
        targets += [c for c in children if is_minor(c, now.date())]
    for target in targets:
        target.consent_at, target.consent_by_id, target.consent_locale = now, by.id, locale
        recorded.append(target.id)
    await session.flush()
    return recorded


def _person_columns(table: Table) -> list[str]:
    return [col.name for col in table.columns for fk in col.foreign_keys if fk.column.table.name == "person"]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return value.hex()
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


async def records_of(session: AsyncSession, person_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row that names the person, by table (their own person row under "person")."""
    found: dict[str, list[dict[str, Any]]] = {}
    for table in Base.metadata.sorted_tables:
        where = [table.c[name] == person_id for name in _person_columns(table)]
        if table.name == "person":
            where.append(table.c.id == person_id)
        if not where:
            continue
        rows = (await session.execute(select(table).where(or_(*where)).order_by(table.c.id))).mappings().all()
        if rows:
            found[table.name] = [{k: _plain(v) for k, v in row.items()} for row in rows]
    return found


async def export(session: AsyncSession, person_id: int, files: FileStore, target: Path) -> int:
    """Writes the person's records (records.json) and the files they sent (files/) into a zip.

    Returns how many files it holds."""
    records = await records_of(session, person_id)
    sent = (
        await session.execute(
            select(FileName.id, FileName.name, StoredFile.sha256)
            .join(StoredFile, StoredFile.id == FileName.stored_file_id)
            .where(FileName.uploaded_by_id == person_id)
            .order_by(FileName.id)
        )
    ).all()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "records.json",
            json.dumps({"person_id": person_id, "records": records}, ensure_ascii=False, indent=1),
        )
        count = 0
        for file_id, name, sha in sent:
            path = files.path_for(sha)
            if path.exists():
                archive.write(path, f"files/{file_id}-{Path(name).name}")
                count += 1
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("xb") as out:  # never over another file; private: it holds IIN, phone and works
        target.chmod(0o600)
        out.write(buffer.getvalue())
    return count


@dataclass(frozen=True)
class Erased:
    accounts: int  # messenger accounts forgotten
    messages: int  # web chat messages deleted


async def erase(session: AsyncSession, person: Person, actor_id: int | None = None) -> Erased:
    """Erases what identifies the person; orders, grades, enrolments and their works stay, pseudonymous."""
    # Only facts, never the erased values: the audit chain must not keep what was erased.
    before = {"phone": person.phone is not None, "iin": person.iin is not None, "accounts": 0}
    account_ids = list(
        (
            await session.scalars(select(MessengerAccount.id).where(MessengerAccount.person_id == person.id))
        ).all()
    )
    messages = 0
    if account_ids:
        messages = rowcount(
            await session.execute(delete(WebchatMessage).where(WebchatMessage.account_id.in_(account_ids)))
        )
        await session.execute(delete(WebSession).where(WebSession.account_id.in_(account_ids)))
        # The messenger ids (Telegram user, phone number) are personal data: the accounts go, and the
        # outbox and inbox rows that point at them lose the link by their foreign keys.
        await session.execute(
            update(LinkCode)
            .where(LinkCode.used_by_account_id.in_(account_ids))
            .values(used_by_account_id=None)
        )
        await session.execute(
            update(Invite).where(Invite.used_by_account_id.in_(account_ids)).values(used_by_account_id=None)
        )
        await session.execute(delete(MessengerAccount).where(MessengerAccount.id.in_(account_ids)))
        before["accounts"] = len(account_ids)
    # Dialogs, chat history and sessions went with the accounts (their foreign keys cascade).
    await session.execute(delete(NotificationPreference).where(NotificationPreference.person_id == person.id))
    await session.execute(delete(WebSignInCode).where(WebSignInCode.person_id == person.id))
    await session.execute(delete(LinkCode).where(LinkCode.person_id == person.id))
    await session.execute(delete(Invite).where(Invite.person_id == person.id, Invite.used_at.is_(None)))
    # Who is whose parent is not a record the rules require: a parent no longer follows an erased child.
    await session.execute(
        delete(ParentLink).where(or_(ParentLink.parent_id == person.id, ParentLink.child_id == person.id))
    )
    person.full_name = f"#{person.id}"
    person.phone = person.iin = person.birth_date = None
    person.erased_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor_id,
        "person",
        person.id,
        "erase",
        before,
        {"phone": False, "iin": False, "accounts": 0},
        organization_id=person.organization_id,
    )
    return Erased(len(account_ids), messages)
