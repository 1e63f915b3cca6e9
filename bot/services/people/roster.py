"""The roster import: students, parents, teachers and groups from a CSV or XLSX file.

Every row is checked before anything is written; one bad row and nothing is
imported, and each bad row is reported with its line and the reason. Everyone
imported gets an invite, which staff send out or print as a list.

Columns (any of the spellings in COLUMNS, any order): role, full name, group,
language, phone, IIN, birth date, child (a parent's child: full name or IIN; several
separated by ";").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.files.tables import Row, parse_with, read_table
from bot.i18n import N_
from bot.services.admin import audit
from bot.services.people import invites, permissions
from db.base import utcnow
from db.models import Group, Invite, MessengerAccount, ParentLink, Person, PersonRole, Role

COLUMNS: dict[str, tuple[str, ...]] = {
    "role": ("роль", "рөлі", "рөл"),
    "full_name": ("name", "full name", "фио", "ф.и.о.", "аты-жөні", "толық аты-жөні"),
    "group": ("группа", "топ", "class", "класс", "сынып"),
    "locale": ("language", "lang", "язык", "тіл"),
    "phone": ("телефон", "тел."),
    "iin": ("иин", "жсн"),
    "birth_date": ("birth date", "дата рождения", "туған күні"),
    "child": ("children", "ребенок", "ребёнок", "дети", "бала", "балалары"),
}

ROLE_WORDS: dict[str, Role] = {
    **{
        w: Role.student
        for w in ("student", "обучающийся", "студент", "ученик", "білім алушы", "студент", "оқушы")
    },
    **{w: Role.parent for w in ("parent", "родитель", "ата-ана")},
    **{w: Role.teacher for w in ("teacher", "педагог", "преподаватель", "оқытушы", "мұғалім", "учитель")},
    **{w: Role.tutor for w in ("tutor", "тьютор")},
    **{w: Role.methodist for w in ("methodist", "методист", "әдіскер")},
    **{w: Role.deputy for w in ("deputy", "заместитель", "орынбасар")},
    **{w: Role.admin for w in ("admin", "администратор", "әкімші")},
}
IMPORTABLE = frozenset(
    {Role.student, Role.parent, Role.teacher, Role.tutor, Role.methodist, Role.deputy, Role.admin}
)

E_NO_ROLE = N_("the role «{value}» is not known (student, parent, teacher...)")
E_NO_NAME = N_("the full name is missing or has only one word")
E_NO_GROUP = N_("a student needs a group")
E_PHONE = N_("the phone «{value}» is not a Kazakhstan number (+7 and 10 digits)")
E_IIN = N_("the IIN «{value}» must have 12 digits")
E_DATE = N_("the birth date «{value}» is not a date (2008-05-31 or 31.05.2008)")
E_LOCALE = N_("the language «{value}» must be kk or ru")
E_NO_CHILD = N_("a parent needs a child (the child's full name or IIN)")
E_CHILD_UNKNOWN = N_("the child «{value}» is neither in this file nor among the organization's students")
E_DUPLICATE = N_("the same person is already on line {line}")
E_ROLE_NOT_YOURS = N_("your role may not give the role «{value}»: ask the head of the organization")
E_AMBIGUOUS = N_(
    "«{value}» matches several people of the organization with this role: add the IIN to tell them apart"
)
E_SAME_PERSON = N_("line {line} is already this person of the organization")
E_NO_COLUMNS = N_("the file has no «role» and «full name» columns")
E_EMPTY = N_("the file has no rows")


class Label(str):
    """A value of an error's params that is itself an English msgid, translated when shown."""


class Labels(tuple):
    """Several msgids, translated and joined with ", " when shown (the columns a file needs)."""


@dataclass(frozen=True)
class RowError:
    line: int
    message: str  # an English msgid with {placeholders}
    params: dict[str, Any] = field(default_factory=dict)

    def reason(self, gettext: Callable[[str], str]) -> str:
        """The reason in the person's language: the message and the params that are labels."""

        def shown(value: Any) -> Any:
            if isinstance(value, Label):
                return gettext(value)
            if isinstance(value, Labels):
                return ", ".join(gettext(v) for v in value)
            return value

        return gettext(self.message).format(**{k: shown(v) for k, v in self.params.items()})


@dataclass(frozen=True)
class Imported:
    person_id: int
    full_name: str
    role: Role
    group: str | None
    code: str | None  # the invite code; None for someone who already joined


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    people: list[Imported] = field(default_factory=list)
    created: int = 0
    existing: int = 0
    groups_created: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Line:
    row: Row
    role: Role
    full_name: str
    group: str | None
    locale: str | None
    phone: str | None
    iin: str | None
    birth_date: dt.date | None
    children: list[str]


def normalize_phone(text: str) -> str | None:
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits[0] in "78":
        digits = "7" + digits[1:]
    elif len(digits) == 10:
        digits = "7" + digits
    return f"+{digits}" if len(digits) == 11 and digits[0] == "7" else None


def parse_date(text: str) -> dt.date | None:
    moment = parse_with(text, ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"))
    return moment.date() if moment else None


def _name(text: str) -> str:
    return " ".join(text.split())


def _check(row: Row, allowed: frozenset[Role]) -> tuple[_Line | None, list[RowError]]:
    errors: list[RowError] = []
    role = ROLE_WORDS.get(row.get("role").lower())
    if role is None or role not in IMPORTABLE:
        errors.append(RowError(row.line, E_NO_ROLE, {"value": row.get("role")}))
    elif role not in allowed:
        errors.append(RowError(row.line, E_ROLE_NOT_YOURS, {"value": row.get("role")}))
    full_name = _name(row.get("full_name"))
    if len(full_name.split()) < 2:
        errors.append(RowError(row.line, E_NO_NAME))
    group = row.get("group") or None
    if role is Role.student and not group:
        errors.append(RowError(row.line, E_NO_GROUP))
    phone = None
    if row.get("phone"):
        phone = normalize_phone(row.get("phone"))
        if phone is None:
            errors.append(RowError(row.line, E_PHONE, {"value": row.get("phone")}))
    iin = row.get("iin") or None
    if iin and not re.fullmatch(r"\d{12}", iin):
        errors.append(RowError(row.line, E_IIN, {"value": iin}))
    birth = None
    if row.get("birth_date"):
        birth = parse_date(row.get("birth_date"))
        if birth is None:
            errors.append(RowError(row.line, E_DATE, {"value": row.get("birth_date")}))
    locale = row.get("locale").lower() or None
    locale = {"қазақша": "kk", "казахский": "kk", "русский": "ru", "орысша": "ru"}.get(locale or "", locale)
    if locale and locale not in ("kk", "ru"):
        errors.append(RowError(row.line, E_LOCALE, {"value": row.get("locale")}))
    children = [_name(c) for c in row.get("child").split(";") if c.strip()]
    if role is Role.parent and not children:
        errors.append(RowError(row.line, E_NO_CHILD))
    if errors or role is None:
        return None, errors
    return _Line(
        row,
        role,
        full_name,
        group if role in (Role.student, Role.tutor) else None,
        locale,
        phone,
        iin,
        birth,
        children,
    ), []


async def import_roster(
    session: AsyncSession,
    organization_id: int,
    data: bytes,
    name: str,
    *,
    actor_id: int | None = None,
    actor_roles: Iterable[Role] | None = None,
) -> ImportResult:
    """Checks every row, then imports all of them in the caller's transaction, or none.

    A person already in the organization (same IIN, or same full name and role) is
    not created twice; they still get an invite if they have not joined. A row with an IIN
    nobody has yet is the one person of that name and role (and group, for a student) who has
    no IIN, if there is exactly one: the IIN is filled in; several such people refuse the row.

    actor_roles: the importer's roles; a row giving a role beyond them (permissions.GRANTS)
    refuses the file. None (the command line, run by whoever runs the server) allows every role.
    """
    allowed = IMPORTABLE if actor_roles is None else IMPORTABLE & permissions.grantable(actor_roles)
    rows, columns = read_table(data, name, COLUMNS)
    result = ImportResult()
    if not {"role", "full_name"} <= columns:
        result.errors.append(RowError(1, E_NO_COLUMNS))
        return result
    if not rows:
        result.errors.append(RowError(1, E_EMPTY))
        return result

    lines: list[_Line] = []
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        line, errors = _check(row, allowed)
        result.errors.extend(errors)
        if line is None:
            continue
        key = ("iin", line.iin) if line.iin else ("name", f"{line.role}:{line.full_name.lower()}")
        if key in seen:
            result.errors.append(RowError(row.line, E_DUPLICATE, {"line": seen[key]}))
            continue
        seen[key] = row.line
        lines.append(line)

    existing_students = await _students(session, organization_id)
    in_file = {ln.full_name.lower() for ln in lines if ln.role is Role.student} | {
        ln.iin for ln in lines if ln.role is Role.student and ln.iin
    }
    for ln in lines:
        for child in ln.children:
            if child.lower() not in in_file and child.lower() not in existing_students:
                result.errors.append(RowError(ln.row.line, E_CHILD_UNKNOWN, {"value": child}))
    matched: dict[int, Person | None] = {}  # row line -> the person already in the organization
    taken: dict[int, int] = {}  # person id -> the first line that is them
    for ln in lines:
        found = await _match(session, organization_id, ln)
        if isinstance(found, _Ambiguous):
            result.errors.append(RowError(ln.row.line, E_AMBIGUOUS, {"value": ln.full_name}))
            continue
        if found is not None:
            if found.id in taken:
                result.errors.append(RowError(ln.row.line, E_SAME_PERSON, {"line": taken[found.id]}))
                continue
            taken[found.id] = ln.row.line
        matched[ln.row.line] = found
    if result.errors:
        result.errors.sort(key=lambda e: e.line)
        return result

    # Everything checked: now write, students first so that parents can link to them.
    groups = {
        g.name: g
        for g in (await session.scalars(select(Group).where(Group.organization_id == organization_id)))
    }
    persons: dict[str, Person] = {}
    for ln in sorted(lines, key=lambda x: x.role is Role.parent):
        group = None
        if ln.group:
            group = groups.get(ln.group)
            if group is None:
                group = Group(organization_id=organization_id, name=ln.group)
                session.add(group)
                await session.flush()
                groups[ln.group] = group
                result.groups_created.append(ln.group)
        person, created = await _upsert(session, organization_id, ln, matched[ln.row.line], group, actor_id)
        result.created += created
        result.existing += not created
        persons[ln.full_name.lower()] = person
        if ln.iin:
            persons[ln.iin] = person
        for child in ln.children:
            child_person = persons.get(child.lower()) or existing_students[child.lower()]
            linked = await session.scalar(
                select(ParentLink.id).where(
                    ParentLink.parent_id == person.id, ParentLink.child_id == child_person.id
                )
            )
            if linked is None:
                session.add(ParentLink(parent_id=person.id, child_id=child_person.id))
        code = await _invite(session, person, ln.role, actor_id)
        result.people.append(Imported(person.id, person.full_name, ln.role, ln.group, code))
    await session.flush()
    return result


async def _students(session: AsyncSession, organization_id: int) -> dict[str, Person]:
    rows = await session.scalars(
        select(Person)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(Person.organization_id == organization_id, PersonRole.role == Role.student)
    )
    out: dict[str, Person] = {}
    for p in rows:
        out[p.full_name.lower()] = p
        if p.iin:
            out[p.iin] = p
    return out


class _Ambiguous:
    """Several people of the organization fit a row: it cannot say which one it is."""


_AMBIGUOUS = _Ambiguous()


async def _match(session: AsyncSession, organization_id: int, ln: _Line) -> Person | _Ambiguous | None:
    """The person of the organization this row is, None for someone new, or _AMBIGUOUS.

    By IIN first; else by full name and role (a row with an IIN only matches someone who has none yet,
    and a student in the same group: another IIN or another group is another person).
    """
    if ln.iin:
        person = await session.scalar(
            select(Person).where(Person.organization_id == organization_id, Person.iin == ln.iin).limit(1)
        )
        if person is not None:
            return person
    rows = (
        await session.execute(
            select(Person, PersonRole.group_id, Group.name)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .outerjoin(Group, Group.id == PersonRole.group_id)
            .where(
                Person.organization_id == organization_id,
                Person.full_name == ln.full_name,
                PersonRole.role == ln.role,
            )
        )
    ).all()
    same_group = [p for p, _gid, group in rows if group == ln.group]
    if ln.iin:
        candidates = [
            p for p in (same_group if ln.role is Role.student else [r[0] for r in rows]) if not p.iin
        ]
    else:
        candidates = [r[0] for r in rows]
        if len(candidates) > 1 and ln.role is Role.student and same_group:
            candidates = same_group
    unique = {p.id: p for p in candidates}
    if len(unique) > 1:
        return _AMBIGUOUS
    return next(iter(unique.values()), None)


async def _upsert(
    session: AsyncSession,
    organization_id: int,
    ln: _Line,
    person: Person | None,
    group: Group | None,
    actor_id: int | None,
) -> tuple[Person, bool]:
    created = person is None
    if person is None:
        person = Person(organization_id=organization_id, full_name=ln.full_name, active_role=ln.role)
        session.add(person)
    person.locale = ln.locale or person.locale
    person.phone = ln.phone or person.phone
    person.iin = ln.iin or person.iin
    person.birth_date = ln.birth_date or person.birth_date
    await session.flush()
    role = await session.scalar(
        select(PersonRole).where(PersonRole.person_id == person.id, PersonRole.role == ln.role)
    )
    group_id = group.id if group else None
    if role is None:
        session.add(PersonRole(person_id=person.id, role=ln.role, group_id=group_id))
        entity = "enrolment" if ln.role is Role.student else "role"
        after = {"person": person.full_name, "role": ln.role, "group": ln.group}
        await audit.record(
            session, actor_id, entity, person.id, "create", None, after, organization_id=organization_id
        )
    elif role.group_id != group_id and ln.role is Role.student:
        before = {"group_id": role.group_id}
        role.group_id = group_id
        await audit.record(
            session,
            actor_id,
            "enrolment",
            person.id,
            "update",
            before,
            {"group_id": group_id},
            organization_id=organization_id,
        )
    await session.flush()
    return person, created


async def _invite(session: AsyncSession, person: Person, role: Role, actor_id: int | None) -> str | None:
    joined = await session.scalar(
        select(MessengerAccount.id).where(MessengerAccount.person_id == person.id).limit(1)
    )
    if joined is not None:
        return None
    pending = await session.scalar(
        select(Invite).where(
            Invite.person_id == person.id,
            Invite.role == role,
            Invite.used_at.is_(None),
            Invite.expires_at > utcnow(),
        )
    )
    if pending is not None:
        return pending.code
    return (await invites.create_invite(session, person, role, created_by_id=actor_id)).code


def invite_rows(people: Iterable[Imported], bot_username: str | None) -> list[list[str]]:
    return [
        [
            p.full_name,
            p.role.value,
            p.group or "",
            p.code or "",
            (invites.deep_link(bot_username, p.code) or "") if p.code else "",
        ]
        for p in people
    ]
