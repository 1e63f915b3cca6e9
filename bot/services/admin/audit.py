"""The audit trail: every change to grades, orders, enrolments and roles, chained by hashes.

Each record's hash is SHA-256 over a canonical JSON of its fields plus the previous
record's hash, so an edit, insert or deletion made behind the software's back
(a direct SQL UPDATE) breaks the chain and `ustaz audit verify` finds the first
broken record (001 item 28, 004 item 12: protection against falsification).
Each record also seals the protected rows its transaction touched (audit_rows), so a
row edited behind Ustaz's back shows too; and the chain's head is anchored outside the
database (audit_anchor), so deleting the newest records shows.

    await audit.record(session, actor_id, "grade", grade.id, "update",
                       before={"score": "70"}, after={"score": "85"})

Call it inside the transaction that makes the change: both commit or neither does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.i18n import N_, Translator
from bot.labels import AUDIT_ACTION_NAMES, AUDIT_ENTITY_NAMES, AUDIT_FIELD_NAMES, AUDIT_VALUE_NAMES
from bot.services.admin import audit_anchor, audit_rows
from bot.services.admin.audit_anchor import Anchor, AnchorFinding
from bot.services.admin.audit_rows import RowFinding, plain
from db.base import utcnow
from db.models import AuditRecord, Person

Finding = RowFinding | AnchorFinding

GENESIS = "0" * 64
# One chain for the whole database: writers take this lock so that two processes
# never both chain onto the same previous record (PostgreSQL; SQLite has one writer).
_PG_LOCK_KEY = 0x5553_5441_5A41  # "USTAZA"


def canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(plain(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _fields(rec: Any) -> dict[str, Any]:
    fields = {
        "organization_id": rec.organization_id,
        "at": rec.at,
        "actor_id": rec.actor_id,
        "entity": rec.entity,
        "entity_id": rec.entity_id,
        "action": rec.action,
        "before": rec.before,
        "after": rec.after,
    }
    if rec.rows is not None:  # records written before rows were sealed hash as they did
        fields["rows"] = rec.rows
    return fields


def compute_hash(rec: Any, prev_hash: str) -> str:
    """rec: an AuditRecord or a row with the same column names."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(_fields(rec))).hexdigest()


async def record(
    session: AsyncSession,
    actor_id: int | None,
    entity: str,
    entity_id: int | str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    organization_id: int | None = None,
) -> AuditRecord:
    """Appends one change to the chain, in the caller's transaction.

    entity: "grade", "order", "enrolment", "role", "application", "study_plan"...;
    action: "create", "update", "delete", "sign", "approve"...;
    before/after: plain dicts of the fields that changed (None for a creation/deletion).
    The protected rows the transaction has touched so far are sealed into this record.
    """
    if organization_id is None and actor_id is not None:
        organization_id = await session.scalar(select(Person.organization_id).where(Person.id == actor_id))
    return await session.run_sync(
        append, actor_id, entity, entity_id, action, before, after, organization_id=organization_id
    )


def append(
    session: Session,
    actor_id: int | None,
    entity: str,
    entity_id: int | str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    organization_id: int | None = None,
) -> AuditRecord:
    """record() on the synchronous session: also called at commit to seal rows (audit_rows)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    session.flush()  # earlier records of this transaction get their ids first
    rows = audit_rows.take(session)
    last = session.scalar(select(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1))
    prev = last or GENESIS
    rec = AuditRecord(
        organization_id=organization_id,
        at=utcnow(),
        actor_id=actor_id,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        before=plain(before) if before is not None else None,
        after=plain(after) if after is not None else None,
        rows=rows,
        prev_hash=prev,
    )
    rec.hash = compute_hash(rec, prev)
    session.add(rec)
    session.flush()
    return rec


audit_rows.seal_with(lambda session: append(session, None, "rows", "", "seal", None, None))

_COLUMNS = [
    getattr(AuditRecord, c)
    for c in ("id", "organization_id", "at", "actor_id", "entity", "entity_id", "action")
    + ("before", "after", "rows", "prev_hash", "hash")
]


@dataclass(frozen=True)
class Verdict:
    checked: int
    broken_id: int | None = None  # the first record that does not fit the chain
    reason: str = ""
    last_id: int = 0  # the newest record that fits (0: none)
    sealed: int = 0  # protected rows the intact chain knows
    # What else does not fit: rows changed behind Ustaz's back, records deleted after an anchor.
    findings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return self.broken_id is None and not self.findings


async def verify(session: AsyncSession, anchors: Sequence[Anchor] = (), batch: int = 1000) -> Verdict:
    """Walks the whole chain in order and stops at the first record that does not fit; then checks
    the chain against its anchors (kept outside the database) and, on an intact chain, every
    protected row against the content sealed in its latest record."""
    prev = GENESIS
    checked = 0
    last_id = 0
    sealed: dict[str, Any] = {}
    watched = {a.seq for a in anchors}
    seen: dict[int, str] = {}  # anchored record id -> its hash in the chain
    broken: tuple[int, str] | None = None
    while broken is None:
        rows = (
            await session.execute(  # plain rows, not ORM objects: a long chain must not pile up
                select(*_COLUMNS).where(AuditRecord.id > last_id).order_by(AuditRecord.id).limit(batch)
            )
        ).all()
        if not rows:
            break
        for rec in rows:
            if rec.prev_hash != prev:
                broken = (rec.id, N_("the previous record is missing or was changed"))
                break
            if compute_hash(rec, prev) != rec.hash:
                broken = (rec.id, N_("the record was changed after it was written"))
                break
            if rec.rows:
                sealed.update(rec.rows)
            if rec.id in watched:
                seen[rec.id] = rec.hash
            prev = rec.hash
            checked += 1
            last_id = rec.id
    found: list[Finding] = list(audit_anchor.check(anchors, last_id, seen, broken is not None))
    if broken is not None:
        return Verdict(checked, broken[0], broken[1], last_id, findings=tuple(found))
    found += await audit_rows.check(session, sealed, batch)
    return Verdict(checked, last_id=last_id, sealed=len(sealed), findings=tuple(found))


async def baseline(session: AsyncSession) -> int | None:
    """Seals every protected row as it stands into one record, once: on a database upgraded from before
    rows were sealed. None (and nothing written) when the chain is broken or already seals any row:
    then a baseline would only bless whatever was changed behind Ustaz's back."""
    verdict = await verify(session)
    if verdict.broken_id is not None or verdict.sealed:
        return None

    def seal(sync: Session) -> int:
        count = audit_rows.touch_all(sync)
        append(sync, None, "rows", "", "baseline", None, None)
        return count

    return await session.run_sync(seal)


async def explain(session: AsyncSession, t: Translator, verdict: Verdict) -> list[str]:
    """What verify found, a sentence each, in t's language; empty for a clean verdict."""
    lines = []
    if verdict.broken_id is not None:
        text = t.gettext(
            "The audit chain is BROKEN at record {id}: {reason} ({n} records before it are intact)."
        )
        lines.append(text.format(id=verdict.broken_id, reason=t.gettext(verdict.reason), n=verdict.checked))
    lines += [f.explain(t) for f in verdict.findings if isinstance(f, AnchorFinding)]
    rows = [f for f in verdict.findings if isinstance(f, RowFinding)]
    return lines + await audit_rows.explain(session, t, rows)


async def history(
    session: AsyncSession, *, organization_id: int | None = None, entity: str | None = None, limit: int = 20
) -> list[AuditRecord]:
    """The latest records, newest first, for staff to read."""
    query = (
        select(AuditRecord)
        .where(AuditRecord.action.not_in(("seal", "baseline")))  # rows sealed, not a change to read
        .order_by(AuditRecord.id.desc())
        .limit(limit)
    )
    if organization_id is not None:
        query = query.where(AuditRecord.organization_id == organization_id)
    if entity is not None:
        query = query.where(AuditRecord.entity == entity)
    return list((await session.scalars(query)).all())


# Fields holding the id of a person or a group: shown as the name.
_PERSON_FIELDS = frozenset({"student_id", "person_id"})
_PERSON_ENTITIES = frozenset({"enrolment", "role"})  # their entity_id is the person's


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


async def describe(session: AsyncSession, t: Translator, records: list[AuditRecord]) -> list[str]:
    """Each record as a line in t's language: names of entities, actions, fields and known values
    from bot/labels.py, people and groups by name; what no table knows is shown as stored."""
    _ = t.gettext
    person_ids: set[int] = set()
    group_ids: set[int] = set()
    for r in records:
        person_ids.add(r.actor_id or 0)
        if r.entity in _PERSON_ENTITIES:
            person_ids.add(_int(r.entity_id) or 0)
        for side in (r.before or {}, r.after or {}):
            for key, value in side.items():
                if key in _PERSON_FIELDS:
                    person_ids.add(_int(value) or 0)
                elif key == "group_id":
                    group_ids.add(_int(value) or 0)
    people, groups = await audit_rows.names_by_id(session, person_ids, group_ids)

    def value_text(key: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        table = AUDIT_VALUE_NAMES.get(key)
        if table is not None and value in table:
            return _(table[value])
        if key in _PERSON_FIELDS:
            return people.get(_int(value) or 0, str(value))
        if key == "group_id":
            return groups.get(_int(value) or 0, str(value))
        if key == "issued_on":
            try:
                return t.date(dt.date.fromisoformat(str(value)))
            except ValueError:
                return str(value)
        return str(value)

    lines = []
    for r in records:
        before, after = r.before or {}, r.after or {}
        change = ", ".join(
            f"{_(AUDIT_FIELD_NAMES[k]) if k in AUDIT_FIELD_NAMES else k}: "
            + (f"{value_text(k, before[k])} → " if k in before else "")
            + value_text(k, v)
            for k, v in after.items()
            if not isinstance(v, list | dict) and not (v in (None, "") and k not in before)
        )
        entity = _(AUDIT_ENTITY_NAMES[r.entity]) if r.entity in AUDIT_ENTITY_NAMES else r.entity
        if r.entity in _PERSON_ENTITIES:
            ref = people.get(_int(r.entity_id) or 0, f"№{r.entity_id}")
        else:
            ref = f"№{r.entity_id}"
        action = _(AUDIT_ACTION_NAMES[r.action]) if r.action in AUDIT_ACTION_NAMES else r.action
        lines.append(
            f"#{r.id} {t.datetime(r.at)} — {people.get(r.actor_id or 0, '—')} — {entity} {ref}: {action}"
            + (f" ({change})" if change else "")
        )
    return lines
