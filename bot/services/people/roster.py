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
E_UNSURE = N_(
    "«{value}» is already in the organization with another role: add the IIN or the birth date to tell "
    "whether it is the same person (it then gets this role too)"
)
E_UNSURE_IN_FILE = N_(
    "line {line} has the same full name with another role: add the IIN or the birth date to both lines "
    "to tell whether it is one person"
)
E_GROUP_UNKNOWN = N_(
    "the group «{value}» is not in the organization: create it in the set-up first, or confirm that "
    "the import creates it"
)
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
    unknown_groups: list[str] = field(default_factory=list)  # refused: not created without consent
    roles_added: int = 0  # people already in the organization who got another role

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
    create_groups: bool = False,
) -> ImportResult:
    """Checks every row, then imports all of them in the caller's transaction, or none.

    A person already in the organization (same IIN, or same full name and role) is
    not created twice; they still get an invite if they have not joined. A row with an IIN
    nobody has yet is the one person of that name and role (and group, for a student) who has
    no IIN, if there is exactly one: the IIN is filled in; several such people refuse the row.

    A row for someone already in the organization with another role (a teacher who is also a parent)
    gives that person the role when it is safely them: the same IIN, or the same full name and birth
    date. A namesake with another role and nothing to confirm it refuses the row, so a name-only row
    never silently makes a duplicate person; two rows of one file with the same name and different
    roles likewise need an IIN or a birth date.

    A group the organization does not have refuses the file unless `create_groups` (asked first).

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
        key = (
            ("iin", f"{line.role}:{line.iin}")
            if line.iin
            else ("name", f"{line.role}:{line.full_name.lower()}")
        )
        if key in seen:
            result.errors.append(RowError(row.line, E_DUPLICATE, {"line": seen[key]}))
            continue
        seen[key] = row.line
        lines.append(line)

    # One name, two roles in one file: the same person only if an IIN or the birth date says so.
    by_name: dict[str, _Line] = {}
    for ln in lines:
        other = by_name.setdefault(ln.full_name.lower(), ln)
        if other is not ln and other.role is not ln.role and not _same(other, ln):
            result.errors.append(RowError(ln.row.line, E_UNSURE_IN_FILE, {"line": other.row.line}))

    known_groups = set(
        await session.scalars(select(Group.name).where(Group.organization_id == organization_id))
    )
    unknown = sorted({ln.group for ln in lines if ln.group and ln.group not in known_groups})
    if unknown and not create_groups:
        result.unknown_groups = unknown
        for ln in lines:
            if ln.group in unknown:
                result.errors.append(RowError(ln.row.line, E_GROUP_UNKNOWN, {"value": ln.group}))

    existing_students = await _students(session, organization_id)
    in_file = {ln.full_name.lower() for ln in lines if ln.role is Role.student} | {
        ln.iin for ln in lines if ln.role is Role.student and ln.iin
    }
    for ln in lines:
        for child in ln.children:
            if child.lower() not in in_file and child.lower() not in existing_students:
                result.errors.append(RowError(ln.row.line, E_CHILD_UNKNOWN, {"value": child}))
    matched: dict[int, Person | None] = {}  # row line -> the person already in the organization
    taken: dict[tuple[int, Role], int] = {}  # (person id, role) -> the first line that is them
    for ln in lines:
        found = await _match(session, organization_id, ln)
        if isinstance(found, _Ambiguous):
            result.errors.append(RowError(ln.row.line, E_AMBIGUOUS, {"value": ln.full_name}))
            continue
        if isinstance(found, _Unsure):
            # Another row of the file that is surely this person (same IIN or birth date) may know them.
            sibling = None
            for other in lines:
                if other is not ln and _same(other, ln):
                    known = await _match(session, organization_id, other)
                    if isinstance(known, Person):
                        sibling = known
                        break
            if sibling is None:
                result.errors.append(RowError(ln.row.line, E_UNSURE, {"value": ln.full_name}))
                continue
            found = sibling
        if found is not None:
            if (found.id, ln.role) in taken:
                result.errors.append(
                    RowError(ln.row.line, E_SAME_PERSON, {"line": taken[(found.id, ln.role)]})
                )
                continue
            taken[(found.id, ln.role)] = ln.row.line
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
    same_in_file: dict[str, Person] = {}  # an IIN, or a name with a birth date -> the person made for it
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
        keys = [
            k for k in (ln.iin, f"{ln.full_name.lower()}|{ln.birth_date}" if ln.birth_date else None) if k
        ]
        known = matched[ln.row.line] or next((same_in_file[k] for k in keys if k in same_in_file), None)
        had_roles = (
            set(await session.scalars(select(PersonRole.role).where(PersonRole.person_id == known.id)))
            if known
            else set()
        )
        person, created = await _upsert(session, organization_id, ln, known, group, actor_id)
        for k in keys:
            same_in_file.setdefault(k, person)
        result.created += created
        result.existing += not created
        result.roles_added += bool(had_roles) and ln.role not in had_roles
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


class _Unsure:
    """A namesake with another role, and nothing (IIN, birth date) to say it is the same person."""


_UNSURE = _Unsure()


def _same(a: _Line, b: _Line) -> bool:
    """Two rows of one file are one person: the same IIN, or the same birth date with no IIN against it."""
    if a.iin and b.iin:
        return a.iin == b.iin
    return a.birth_date is not None and a.birth_date == b.birth_date


async def _match(
    session: AsyncSession, organization_id: int, ln: _Line
) -> Person | _Ambiguous | _Unsure | None:
    """The person of the organization this row is, None for someone new, _AMBIGUOUS or _UNSURE.

    By IIN first; else by full name and role (a row with an IIN only matches someone who has none yet,
    and a student in the same group: another IIN or another group is another person); else a namesake
    of another role when the birth date confirms it (or _UNSURE when nothing tells).
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
    if unique:
        return next(iter(unique.values()))
    if rows:
        return None  # namesakes of this very role who are not this row: another person
    return await _other_role(session, organization_id, ln)


async def _other_role(
    session: AsyncSession, organization_id: int, ln: _Line
) -> Person | _Ambiguous | _Unsure | None:
    """A person of the organization with this full name and another role: the same person when the birth
    date says so; someone else when their IIN or birth date differs; else unsure."""
    namesakes = list(
        await session.scalars(
            select(Person).where(Person.organization_id == organization_id, Person.full_name == ln.full_name)
        )
    )
    if ln.iin:
        namesakes = [p for p in namesakes if not p.iin]  # one with another IIN is someone else
    if ln.birth_date:
        namesakes = [p for p in namesakes if p.birth_date in (None, ln.birth_date)]
        confirmed = [p for p in namesakes if p.birth_date == ln.birth_date]
        if len(confirmed) == 1:
            return confirmed[0]
        if len(confirmed) > 1:
            return _AMBIGUOUS
    return _UNSURE if namesakes else None


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


class RoleRefused(Exception):
    """A role the giver may not give (permissions.GRANTS), or one the person already has."""


async def give_role(
    session: AsyncSession,
    organization_id: int,
    person_id: int,
    role: Role,
    group_id: int | None,
    *,
    actor_id: int,
    actor_roles: Iterable[Role],
) -> Person:
    """Gives an existing person of the organization another role (a teacher who is also a parent), with
    its audit record; the person switches to it with /role. No second person is made."""
    if role not in IMPORTABLE & permissions.grantable(actor_roles):
        raise RoleRefused(role)
    person = await session.get(Person, person_id)
    if person is None or person.organization_id != organization_id:
        raise RoleRefused(role)
    has = await session.scalar(
        select(PersonRole.id).where(PersonRole.person_id == person.id, PersonRole.role == role)
    )
    if has is not None:
        raise RoleRefused(role)
    if group_id is not None:
        group = await session.get(Group, group_id)
        if group is None or group.organization_id != organization_id:
            raise RoleRefused(role)
    session.add(PersonRole(person_id=person.id, role=role, group_id=group_id))
    entity = "enrolment" if role is Role.student else "role"
    await audit.record(
        session,
        actor_id,
        entity,
        person.id,
        "create",
        None,
        {"person": person.full_name, "role": role, "group_id": group_id},
        organization_id=organization_id,
    )
    await session.flush()
    return person
