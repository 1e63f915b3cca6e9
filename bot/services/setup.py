"""Setting the organization up from files: programs, courses and the timetable.

Like the roster, each import checks every row first and writes all or nothing;
errors cite the line. The timetable's students and parents are told it changed
(002 item 26-1, methodists' duty 10).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Reply
from bot.i18n import N_, Translator
from bot.services import deadlines, lessons
from bot.services.notify import notify
from bot.services.roster import E_EMPTY, ImportResult, RowError, parse_date
from bot.services.study_plans import RESTRICTED_FIELDS
from bot.services.tables import parse_with, read_table
from db.models import (
    AcademicTerm,
    Course,
    CreditCapCategory,
    Group,
    Lesson,
    LessonMode,
    Organization,
    ParentLink,
    Person,
    PersonRole,
    Program,
    ProgramLevel,
    Role,
)

PROGRAM_COLUMNS = {
    "name": ("program", "программа", "бағдарлама", "название", "атауы"),
    "code": ("код", "шифр", "коды"),
    "level": ("уровень", "деңгей"),
    "field": ("область", "сала"),
    "basis": ("на базе", "негізінде", "base"),
    "group": ("groups", "группы", "топтар", "группа", "топ"),
}
COURSE_COLUMNS = {
    "group": ("группа", "топ"),
    "discipline": ("course", "дисциплина", "пән"),
    "teacher": ("педагог", "преподаватель", "оқытушы"),
    "credits": ("кредиты", "кредит"),
    "hours": ("часы", "сағат"),
    "term": ("семестр", "period", "период", "кезең"),
}
LESSON_COLUMNS = {
    "group": ("группа", "топ"),
    "discipline": ("course", "дисциплина", "пән"),
    "date": ("дата", "күні"),
    "start": ("starts", "начало", "басталуы"),
    "end": ("ends", "конец", "аяқталуы"),
    "mode": ("режим", "format", "формат"),
    "link": ("url", "ссылка", "сілтеме"),
    "room": ("аудитория", "кабинет"),
    "topic": ("тема", "тақырып"),
}
LEVELS = {
    **{w: ProgramLevel.secondary for w in ("secondary", "среднее", "орта")},
    **{w: ProgramLevel.tvet for w in ("tvet", "типо", "тжкб")},
    **{w: ProgramLevel.post_secondary for w in ("post_secondary", "послесреднее", "орта білімнен кейінгі")},
    **{w: ProgramLevel.bachelor for w in ("bachelor", "бакалавриат", "бакалавр")},
    **{w: ProgramLevel.master for w in ("master", "магистратура", "магистр")},
    "mba": ProgramLevel.mba,
    "emba": ProgramLevel.emba,
    "dba": ProgramLevel.dba,
}
BASES = {
    **{
        w: "general_secondary"
        for w in ("general_secondary", "общее среднее", "жалпы орта", "school", "школа")
    },
    **{w: "tvet" for w in ("tvet", "типо", "тжкб")},
    **{w: "higher" for w in ("higher", "высшее", "жоғары")},
}

E_MISSING = N_("the «{column}» column is empty")
E_LEVEL = N_("the level «{value}» is not known (bachelor, master, MBA, TVET...)")
E_NUMBER = N_("«{value}» is not a whole number")
E_GROUP_UNKNOWN = N_("there is no group «{value}»")
E_TEACHER_UNKNOWN = N_("there is no teacher «{value}»")
E_COURSE_UNKNOWN = N_("group {group} has no course «{value}»")
E_TIME = N_("«{value}» is not a time (09:00)")
E_DATE = N_("the date «{value}» is not a date (2026-09-01 or 01.09.2026)")
E_ORDER = N_("the lesson ends before it starts")
E_NO_COLUMNS_OF = N_("the file needs the columns: {columns}")


def _require(found: set[str], needed: tuple[str, ...], result: ImportResult) -> bool:
    if set(needed) <= found:
        return True
    result.errors.append(RowError(1, E_NO_COLUMNS_OF, {"columns": ", ".join(needed)}))
    return False


def cap_category(level: ProgramLevel, field: str, basis: str) -> CreditCapCategory:
    if level is ProgramLevel.mba:
        return CreditCapCategory.mba
    if level in (ProgramLevel.emba, ProgramLevel.dba):
        return CreditCapCategory.emba_dba
    if field in RESTRICTED_FIELDS:
        return CreditCapCategory.restricted_fields
    if level in (ProgramLevel.bachelor, ProgramLevel.master) and basis == "general_secondary":
        return CreditCapCategory.on_general_secondary
    return CreditCapCategory.none


async def import_programs(session: AsyncSession, org: Organization, data: bytes, name: str) -> ImportResult:
    rows, found = read_table(data, name, PROGRAM_COLUMNS)
    result = ImportResult()
    if not _require(found, ("name", "level"), result):
        return result
    if not rows:
        result.errors.append(RowError(1, E_EMPTY))
    groups = {g.name: g for g in await session.scalars(select(Group).where(Group.organization_id == org.id))}
    checked = []
    for row in rows:
        level = LEVELS.get(row.get("level").lower())
        if not row.get("name"):
            result.errors.append(RowError(row.line, E_MISSING, {"column": "name"}))
        if level is None:
            result.errors.append(RowError(row.line, E_LEVEL, {"value": row.get("level")}))
            continue
        group_names = [g.strip() for g in row.get("group").split(";") if g.strip()]
        for g in group_names:
            if g not in groups:
                result.errors.append(RowError(row.line, E_GROUP_UNKNOWN, {"value": g}))
        checked.append((row, level, group_names))
    if result.errors:
        return result
    for row, level, group_names in checked:
        field = row.get("field").lower().replace(" ", "_")
        basis = BASES.get(row.get("basis").lower(), "")
        program = await session.scalar(
            select(Program).where(Program.organization_id == org.id, Program.name == row.get("name"))
        )
        if program is None:
            program = Program(organization_id=org.id, name=row.get("name"))
            session.add(program)
            result.created += 1
        else:
            result.existing += 1
        program.code = row.get("code") or program.code
        program.level = level
        program.field = field or None
        program.on_higher_education_basis = basis == "higher"
        program.credit_cap_category = cap_category(level, field, basis)
        await session.flush()
        for g in group_names:
            groups[g].program_id = program.id
    await session.flush()
    return result


async def _teachers(session: AsyncSession, org_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Person.full_name, Person.id)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(Person.organization_id == org_id, PersonRole.role == Role.teacher)
    )
    return {n.lower(): i for n, i in rows.all()}


async def import_courses(session: AsyncSession, org: Organization, data: bytes, name: str) -> ImportResult:
    rows, found = read_table(data, name, COURSE_COLUMNS)
    result = ImportResult()
    if not _require(found, ("group", "discipline", "credits"), result):
        return result
    if not rows:
        result.errors.append(RowError(1, E_EMPTY))
    groups = {g.name: g for g in await session.scalars(select(Group).where(Group.organization_id == org.id))}
    teachers = await _teachers(session, org.id)
    terms = {
        t.name: t
        for t in await session.scalars(select(AcademicTerm).where(AcademicTerm.organization_id == org.id))
    }
    checked = []
    for row in rows:
        errors = []
        for column in ("group", "discipline"):
            if not row.get(column):
                errors.append(RowError(row.line, E_MISSING, {"column": column}))
        if row.get("group") and row.get("group") not in groups:
            errors.append(RowError(row.line, E_GROUP_UNKNOWN, {"value": row.get("group")}))
        teacher = row.get("teacher")
        if teacher and " ".join(teacher.split()).lower() not in teachers:
            errors.append(RowError(row.line, E_TEACHER_UNKNOWN, {"value": teacher}))
        numbers = {}
        for column in ("credits", "hours"):
            value = row.get(column)
            if value and not value.isdigit():
                errors.append(RowError(row.line, E_NUMBER, {"value": value}))
            numbers[column] = int(value) if value.isdigit() else None
        result.errors.extend(errors)
        if not errors:
            checked.append((row, numbers))
    if result.errors:
        return result
    for row, numbers in checked:
        group = groups[row.get("group")]
        course = await session.scalar(
            select(Course).where(Course.group_id == group.id, Course.discipline == row.get("discipline"))
        )
        if course is None:
            course = Course(organization_id=org.id, group_id=group.id, discipline=row.get("discipline"))
            session.add(course)
            result.created += 1
        else:
            result.existing += 1
        teacher = " ".join(row.get("teacher").split()).lower()
        course.teacher_id = teachers.get(teacher, course.teacher_id)
        course.credits = numbers["credits"] or 0
        course.hours = numbers["hours"] or course.hours
        term = terms.get(row.get("term"))
        course.term_id = term.id if term else course.term_id
    await session.flush()
    return result


def _time(text: str) -> dt.time | None:
    moment = parse_with(text, ("%H:%M", "%H.%M", "%H:%M:%S"))
    return moment.time() if moment else None


async def import_timetable(session: AsyncSession, org: Organization, data: bytes, name: str) -> ImportResult:
    rows, found = read_table(data, name, LESSON_COLUMNS)
    result = ImportResult()
    if not _require(found, ("group", "discipline", "date", "start", "end"), result):
        return result
    if not rows:
        result.errors.append(RowError(1, E_EMPTY))
    zone = zoneinfo.ZoneInfo(org.timezone)
    courses = {
        (g, d.lower()): c
        for c, g, d in (
            await session.execute(
                select(Course, Group.name, Course.discipline)
                .join(Group, Group.id == Course.group_id)
                .where(Course.organization_id == org.id)
            )
        ).all()
    }
    lessons = []
    for row in rows:
        errors = []
        course = courses.get((row.get("group"), row.get("discipline").lower()))
        if course is None:
            errors.append(
                RowError(
                    row.line, E_COURSE_UNKNOWN, {"group": row.get("group"), "value": row.get("discipline")}
                )
            )
        day = parse_date(row.get("date"))
        if day is None:
            errors.append(RowError(row.line, E_DATE, {"value": row.get("date")}))
        start, end = _time(row.get("start")), _time(row.get("end"))
        for value, parsed in ((row.get("start"), start), (row.get("end"), end)):
            if parsed is None:
                errors.append(RowError(row.line, E_TIME, {"value": value}))
        if start and end and end <= start:
            errors.append(RowError(row.line, E_ORDER))
        result.errors.extend(errors)
        if errors or course is None or day is None or start is None or end is None:
            continue
        mode = (
            LessonMode.offline
            if row.get("mode").lower() in ("offline", "офлайн", "off-line")
            else LessonMode.online
        )
        lessons.append(
            Lesson(
                course_id=course.id,
                starts_at=dt.datetime.combine(day, start, zone),
                ends_at=dt.datetime.combine(day, end, zone),
                mode=mode,
                link=row.get("link") or None,
                room=row.get("room") or None,
                topic=row.get("topic") or None,
            )
        )
    if result.errors:
        return result
    session.add_all(lessons)
    await session.flush()
    result.created = len(lessons)
    await _announce_timetable(session, org, lessons)
    return result


async def _announce_timetable(session: AsyncSession, org: Organization, lessons: list[Lesson]) -> None:
    """Students of each group, and their parents, are told the timetable changed (26-1, duty 10)."""
    by_group: dict[int, list[Lesson]] = defaultdict(list)
    group_of = dict((await session.execute(select(Course.id, Course.group_id))).all())
    for lesson in lessons:
        by_group[group_of[lesson.course_id]].append(lesson)
    for group_id, items in by_group.items():
        group = await session.get(Group, group_id)
        assert group is not None
        students = list(
            await session.scalars(
                select(PersonRole.person_id).where(
                    PersonRole.group_id == group_id, PersonRole.role == Role.student
                )
            )
        )
        parents = list(
            await session.scalars(select(ParentLink.parent_id).where(ParentLink.child_id.in_(students)))
        )
        first = min(les.starts_at for les in items)
        last = max(les.starts_at for les in items)

        def build(
            t: Translator,
            group: Group = group,
            n: int = len(items),
            first: dt.datetime = first,
            last: dt.datetime = last,
        ) -> Reply:
            text = t.ngettext(
                "The timetable of group {group} was updated: {n} lesson from {first} to {last}.",
                "The timetable of group {group} was updated: {n} lessons from {first} to {last}.",
                n,
            ).format(group=group.name, n=n, first=t.date(first), last=t.date(last))
            return Reply(text)

        await notify(session, students + parents, build, kind="timetable")


# -- setting up in chat, one thing at a time -------------------------------------------------

LESSON_RANGE_RE = re.compile(
    r"(?<![\d.])([01]?\d|2[0-3])[:.]([0-5]\d)\s*[-–—]\s*([01]?\d|2[0-3])[:.]([0-5]\d)(?!\d)"
)
DEFAULT_LESSON = dt.timedelta(minutes=90)


class SetupError(ValueError):
    """`reason`: exists (the name is taken), not_found, when (cannot read the time), past, order."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def create_program(
    session: AsyncSession, org_id: int, *, name: str, level: ProgramLevel, field: str = "", basis: str = ""
) -> Program:
    """A program whose credit-cap category follows from its level, field and basis (002 items 19-20)."""
    await _name_free(
        session, select(Program.id).where(Program.organization_id == org_id, Program.name == name)
    )
    program = Program(
        organization_id=org_id,
        name=name,
        level=level,
        field=field or None,
        on_higher_education_basis=basis == "higher",
        credit_cap_category=cap_category(level, field, basis),
    )
    session.add(program)
    await session.flush()
    return program


async def create_group(session: AsyncSession, org_id: int, *, name: str, program_id: int | None) -> Group:
    await _name_free(session, select(Group.id).where(Group.organization_id == org_id, Group.name == name))
    if program_id is not None:
        await _owned(session, Program, program_id, org_id)
    group = Group(organization_id=org_id, name=name, program_id=program_id)
    session.add(group)
    await session.flush()
    return group


async def create_course(
    session: AsyncSession,
    org_id: int,
    *,
    group_id: int,
    discipline: str,
    credits: int,
    teacher_id: int | None,
    term_id: int | None,
) -> Course:
    await _owned(session, Group, group_id, org_id)
    if term_id is not None:
        await _owned(session, AcademicTerm, term_id, org_id)
    await _name_free(
        session, select(Course.id).where(Course.group_id == group_id, Course.discipline == discipline)
    )
    course = Course(
        organization_id=org_id,
        group_id=group_id,
        discipline=discipline,
        credits=credits,
        teacher_id=teacher_id,
        term_id=term_id,
    )
    session.add(course)
    await session.flush()
    return course


async def _name_free(session: AsyncSession, query: Any) -> None:
    if await session.scalar(query.limit(1)) is not None:
        raise SetupError("exists")


async def _owned(session: AsyncSession, model: type[Any], row_id: int, org_id: int) -> Any:
    row = await session.get(model, row_id)
    if row is None or row.organization_id != org_id:
        raise SetupError("not_found")
    return row


def lesson_time(text: str, now: dt.datetime, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """A lesson's start and end typed naturally: "пятница 10:00-11:30", "27.11 14:30" (90 minutes)."""
    end_clock = None
    match = LESSON_RANGE_RE.search(text)
    if match:
        end_clock = dt.time(int(match.group(3)), int(match.group(4)))
        text = text.replace(match.group(0), f"{match.group(1)}:{match.group(2)}", 1)
    try:
        parsed = deadlines.parse(text, now, timezone)
    except deadlines.DeadlineError as exc:
        raise SetupError("when") from exc
    starts = parsed.moment
    if starts <= now:  # «кеше», «вчера» without a time: the day itself has passed
        raise SetupError("past")
    if not parsed.had_time:
        raise SetupError("when")
    if end_clock is None:
        return starts, starts + DEFAULT_LESSON
    zone = zoneinfo.ZoneInfo(timezone)
    ends = dt.datetime.combine(starts.astimezone(zone).date(), end_clock, zone).astimezone(dt.UTC)
    if ends <= starts:
        raise SetupError("order")
    return starts, ends


async def add_lesson(
    session: AsyncSession,
    org_id: int,
    *,
    course_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    mode: LessonMode,
    link: str | None = None,
    room: str | None = None,
) -> tuple[Lesson, Course]:
    """A timetable entry the methodist adds; the group's students and parents are told at once."""
    course = await _owned(session, Course, course_id, org_id)
    lesson = Lesson(
        course_id=course.id,
        starts_at=starts_at,
        ends_at=ends_at,
        mode=mode,
        link=link if mode is LessonMode.online else None,
        room=((room or "").strip()[:64] or None) if mode is LessonMode.offline else None,
    )
    session.add(lesson)
    await session.flush()
    await lessons.announce(session, course, lesson)
    return lesson, course
