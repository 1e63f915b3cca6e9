"""The protected rows (grades, orders, enrolments and roles, certificates) sealed into the audit chain.

Whatever Ustaz writes to a protected row through the ORM is noticed at flush; the next audit
record of that transaction carries the row's content as it now stands in the database (or
null for a deleted row), so the chain's hash covers it. When the transaction writes no audit
record of its own, a "seal" record is appended at commit. `ustaz audit verify` then reads every
protected row and compares it with the content in its latest record: a direct SQL UPDATE,
INSERT or DELETE shows (001 item 28: protection against falsification).

The contents are read back from the database, never from the Python objects, so that sealing
and verifying serialize the very same values. The session hooks below are installed when this
module is imported: bot.services.admin.audit imports it, and the handlers import that, so every
process that builds a runtime has them. Writes that bypass the ORM (Core UPDATEs, database
cascades) are not seen and show as findings: keep protected rows to the ORM.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction

from bot.i18n import N_, Translator
from bot.labels import AUDIT_FIELD_NAMES, AUDIT_VALUE_NAMES
from db.models import Assignment, Certificate, Grade, Group, Order, Person, PersonRole, Role

_PENDING = "audit_rows"  # session.info key: {(kind, id)} touched since the last audit record


@dataclass(frozen=True)
class Protected:
    kind: str  # the key's prefix, as in "grade:12"
    model: type[Any]
    columns: tuple[str, ...]  # the meaningful ones: no created_at/updated_at


PROTECTED = (
    Protected(
        "grade",
        Grade,
        ("assignment_id", "student_id", "submission_id", "score", "comment", "released", "graded_by_id")
        + ("graded_at",),
    ),
    Protected(
        "order",
        Order,
        ("organization_id", "number", "sequence", "issued_on", "kind", "student_id", "application_id")
        + ("grounds_key", "grounds", "signed_by_id", "details"),
    ),
    Protected("role", PersonRole, ("person_id", "role", "group_id")),
    Protected(
        "certificate",
        Certificate,
        ("code", "organization_id", "person_id", "course_name", "credits", "issued_on", "file_name_id"),
    ),
)
_BY_MODEL = {p.model: p for p in PROTECTED}
BY_KIND = {p.kind: p for p in PROTECTED}


def key(kind: str, row_id: int) -> str:
    return f"{kind}:{row_id}"


def plain(value: Any) -> Any:
    """A JSON value that reads back from either database exactly as it was written."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, Decimal | float):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return str(value)


def _value(value: Any) -> Any:
    if isinstance(value, Decimal):  # 85.00 from one database and 85 from another are one score
        return format(value.normalize(), "f")
    return plain(value)


def content(p: Protected, row: Any) -> dict[str, Any]:
    """A row's meaningful columns as plain JSON values (row: a result row with those names)."""
    return {c: _value(getattr(row, c)) for c in p.columns}


def rows_query(p: Protected) -> Select[Any]:
    model = p.model
    return select(model.id, *(getattr(model, c) for c in p.columns)).order_by(model.id)


def _touched(session: Session, flush_context: UOWTransaction) -> None:
    pending: set[tuple[str, int]] = session.info.setdefault(_PENDING, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        p = _BY_MODEL.get(type(obj))
        if p is not None and obj.id is not None:
            pending.add((p.kind, obj.id))


def take(session: Session) -> dict[str, Any] | None:
    """The contents of the rows touched since the last call, read from the database (flushed):
    {"grade:12": {...}, "role:7": None (deleted)}; None when no protected row was touched."""
    pending: set[tuple[str, int]] = session.info.pop(_PENDING, set())
    if not pending:
        return None
    rows: dict[str, Any] = {}
    for p in PROTECTED:
        ids = sorted(i for kind, i in pending if kind == p.kind)
        if not ids:
            continue
        found = {r.id: content(p, r) for r in session.execute(rows_query(p).where(p.model.id.in_(ids)))}
        rows.update({key(p.kind, i): found.get(i) for i in ids})
    return rows


# audit.append for a record of its own ("seal"); given by bot.services.admin.audit, which imports this
# module, so that the two do not import each other.
_seal: Callable[[Session], object] | None = None


def seal_with(append: Callable[[Session], object]) -> None:
    global _seal
    _seal = append


def touch_all(session: Session) -> int:
    """Marks every protected row as touched, for a baseline record (audit.baseline)."""
    pending: set[tuple[str, int]] = session.info.setdefault(_PENDING, set())
    for p in PROTECTED:
        pending.update((p.kind, i) for i in session.scalars(select(p.model.id)))
    return len(pending)


def _seal_at_commit(session: Session) -> None:
    """Rows touched after the transaction's last audit record (or in one that writes none)."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    if session.info.get(_PENDING) and _seal is not None:
        _seal(session)


def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended: committed or rolled back
        session.info.pop(_PENDING, None)


event.listen(Session, "after_flush", _touched)
event.listen(Session, "before_commit", _seal_at_commit)
event.listen(Session, "after_transaction_end", _forget)


@dataclass(frozen=True)
class RowFinding:
    key: str  # "grade:12"
    recorded: dict[str, Any] | None  # None: no record of the row (added outside Ustaz)
    now: dict[str, Any] | None  # None: the row is gone (deleted outside Ustaz)

    @property
    def kind(self) -> str:
        return self.key.split(":", 1)[0]

    @property
    def row_id(self) -> int:
        return int(self.key.split(":", 1)[1])

    @property
    def changed(self) -> list[str]:
        """The columns whose value differs, in the table's order."""
        before, after = self.recorded or {}, self.now or {}
        return [c for c in BY_KIND[self.kind].columns if before.get(c) != after.get(c)]


async def check(session: AsyncSession, sealed: dict[str, Any], batch: int = 1000) -> list[RowFinding]:
    """Every protected row against the content sealed in its latest record (sealed: key -> content,
    None for a row recorded as deleted)."""
    found = []
    left = dict(sealed)
    for p in PROTECTED:
        last_id = 0
        while rows := (await session.execute(rows_query(p).where(p.model.id > last_id).limit(batch))).all():
            for row in rows:
                k, now = key(p.kind, row.id), content(p, row)
                recorded = left.pop(k, None)
                if recorded != now:
                    found.append(RowFinding(k, recorded, now))
            last_id = rows[-1].id
    found += [RowFinding(k, recorded, None) for k, recorded in left.items() if recorded is not None]
    return found


# Sentences by (kind, what happened); {subject} fields come from the row (bot/services/admin/audit.py).
_SENTENCES = {
    ("grade", "changed"): N_(
        "The grade of {student} for «{assignment}» was changed outside Ustaz: {changes}."
    ),
    ("grade", "added"): N_(
        "The grade of {student} for «{assignment}» was added outside Ustaz: no audit record has it."
    ),
    ("grade", "deleted"): N_("The grade of {student} for «{assignment}» was deleted outside Ustaz."),
    ("order", "changed"): N_("Order No. {number} ({student}) was changed outside Ustaz: {changes}."),
    ("order", "added"): N_("Order No. {number} ({student}) was added outside Ustaz: no audit record has it."),
    ("order", "deleted"): N_("Order No. {number} ({student}) was deleted outside Ustaz."),
    ("enrolment", "changed"): N_(
        "The enrolment of {person} in group {group} was changed outside Ustaz: {changes}."
    ),
    ("enrolment", "added"): N_(
        "The enrolment of {person} in group {group} was added outside Ustaz: no audit record has it."
    ),
    ("enrolment", "deleted"): N_("The enrolment of {person} in group {group} was deleted outside Ustaz."),
    ("role", "changed"): N_("The role «{role}» of {person} was changed outside Ustaz: {changes}."),
    ("role", "added"): N_("The role «{role}» of {person} was given outside Ustaz: no audit record has it."),
    ("role", "deleted"): N_("The role «{role}» of {person} was taken away outside Ustaz."),
    ("certificate", "changed"): N_("Certificate {code} of {person} was changed outside Ustaz: {changes}."),
    ("certificate", "added"): N_(
        "Certificate {code} of {person} was added outside Ustaz: no audit record has it."
    ),
    ("certificate", "deleted"): N_("Certificate {code} of {person} was deleted outside Ustaz."),
}
# Columns bot/labels.AUDIT_FIELD_NAMES does not name.
_MORE_FIELDS = {
    "graded_by_id": N_("graded by"),
    "graded_at": N_("graded at"),
    "submission_id": N_("submitted work"),
    "sequence": N_("place in the register"),
    "application_id": N_("application"),
    "signed_by_id": N_("signed by"),
    "details": N_("details"),
    "organization_id": N_("organization"),
    "course_name": N_("course"),
    "file_name_id": N_("file"),
}
_PEOPLE = ("student_id", "person_id", "graded_by_id", "signed_by_id")


async def names_by_id(
    session: AsyncSession, person_ids: set[int], group_ids: set[int]
) -> tuple[dict[int, str], dict[int, str]]:
    """People's full names and groups' names by id, for findings and history lines alike."""
    people = dict(
        (await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(person_ids))))
        .tuples()
        .all()
    )
    groups = dict(
        (await session.execute(select(Group.id, Group.name).where(Group.id.in_(group_ids)))).tuples().all()
    )
    return people, groups


async def explain(session: AsyncSession, t: Translator, findings: Sequence[RowFinding]) -> list[str]:
    """Each finding as a sentence staff understand, in t's language, people and work by name."""
    _ = t.gettext
    sides = [c for f in findings for c in (f.recorded, f.now) if c]
    person_ids = {int(c[k]) for c in sides for k in _PEOPLE if c.get(k) is not None}
    group_ids = {int(c["group_id"]) for c in sides if c.get("group_id") is not None}
    work_ids = {int(c["assignment_id"]) for c in sides if c.get("assignment_id") is not None}
    people, groups = await names_by_id(session, person_ids, group_ids)
    works = dict(
        (await session.execute(select(Assignment.id, Assignment.title).where(Assignment.id.in_(work_ids))))
        .tuples()
        .all()
    )

    def shown(column: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if column in _PEOPLE:
            return people.get(int(value), f"№{value}")
        if column == "group_id":
            return groups.get(int(value), f"№{value}")
        table = AUDIT_VALUE_NAMES.get(column)
        if table is not None and value in table:
            return _(table[value])
        if column in ("graded_at",):
            return t.datetime(dt.datetime.fromisoformat(value))
        text = str(value)
        return text if len(text) <= 60 else text[:59] + "…"

    def field(column: str) -> str:
        label = AUDIT_FIELD_NAMES.get(column) or _MORE_FIELDS.get(column)
        return _(label) if label else column

    lines = []
    for f in findings:
        c = f.now or f.recorded or {}
        kind = "enrolment" if f.kind == "role" and c.get("role") == Role.student.value else f.kind
        what = "added" if f.recorded is None else "deleted" if f.now is None else "changed"
        changes = "; ".join(
            _("{field}: recorded {old}, now {new}").format(
                field=field(col), old=shown(col, (f.recorded or {}).get(col)), new=shown(col, c.get(col))
            )
            for col in f.changed
        )
        lines.append(
            _(_SENTENCES[kind, what]).format(
                student=shown("student_id", c.get("student_id")),
                person=shown("person_id", c.get("person_id")),
                assignment=works.get(int(c.get("assignment_id") or 0), "—"),
                group=shown("group_id", c.get("group_id")),
                role=shown("role", c.get("role")),
                number=c.get("number") or "—",
                code=c.get("code") or "—",
                changes=changes,
            )
        )
    return lines
