"""Setting the organization up from files: programs, courses and the timetable.

Like the roster, each import checks every row first and writes all or nothing;
errors cite the line. The timetable's students and parents are told it changed
(002 item 26-1, methodists' duty 10).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Reply
from bot.files.tables import Row, parse_with, read_table_with_header
from bot.i18n import LOCALES, N_, Translator
from bot.labels import BASIS_NAMES, FIELD_NAMES, PROGRAM_LEVEL_NAMES
from bot.services.admin.study_plans import RESTRICTED_FIELDS
from bot.services.coursework import deadlines
from bot.services.messaging.notify import notify
from bot.services.people.roster import E_EMPTY, ImportResult, Label, Labels, RowError, parse_date
from bot.services.refs import CourseBrief, CourseFacts, GroupRef
from bot.services.schedule import lessons
from bot.services.schedule.lessons import LessonError, LessonRef, clean_link
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
        for w in (
            "general_secondary",
            "general secondary",
            "общее среднее",
            "общего среднего",
            "на базе общего среднего",
            "жалпы орта",
            "жалпы орта білім",
            "school",
            "школа",
            "мектеп",
        )
    },
    **{w: "tvet" for w in ("tvet", "типо", "тжкб", "на базе типо", "тжкб негізінде")},
    **{
        w: "higher"
        for w in ("higher", "высшее", "высшего", "на базе высшего", "жоғары", "жоғары білім", "вуз", "жоо")
    },
}
# A field outside item 19 is written as «other» or left empty.
OTHER_FIELD = ("other", "another field", "другая", "другое", "иная", "басқа")
# Timetable modes as people write them; an empty cell is an online lesson.
MODES = {
    **{
        w: LessonMode.online
        for w in ("", "online", "on-line", "онлайн", "он-лайн", "дистанционно", "қашықтан", "qashyqtan")
    },
    **{
        w: LessonMode.offline
        for w in (
            "offline",
            "off-line",
            "офлайн",
            "оффлайн",
            "офф-лайн",
            "оф-лайн",
            "очно",
            "очный",
            "очная",
            "аудитория",
            "аудиторно",
            "в аудитории",
            "бетпе-бет",
            "бетпе бет",
            "аудиторияда",
        )
    },
}


def _word(text: str) -> str:
    return " ".join(text.replace("ё", "е").replace("Ё", "Е").split()).lower()


@functools.cache
def _vocabulary() -> tuple[dict[str, str], dict[str, ProgramLevel], dict[str, str]]:
    """Fields, levels and bases by every word a file may use: the English key and label, and the labels
    in both catalogs (any case)."""
    translators = [Translator(locale) for locale in LOCALES]

    def spellings(key: str, label: str) -> list[str]:
        return [key, key.replace("_", " "), label, *(t.gettext(label) for t in translators)]

    fields = {_word(w): key for key, label in FIELD_NAMES.items() for w in spellings(key, label)}
    fields.update({_word(w): "" for w in OTHER_FIELD})
    fields.update({_word(t.gettext("Another field")): "" for t in translators})
    levels = {_word(w): level for w, level in LEVELS.items()}
    levels.update(
        {
            _word(w): level
            for level, label in PROGRAM_LEVEL_NAMES.items()
            for w in spellings(level.value, label)
        }
    )
    bases = {_word(w): basis for w, basis in BASES.items()}
    bases.update({_word(w): key for key, label in BASIS_NAMES.items() for w in spellings(key, label)})
    return fields, levels, bases


# What a column is called in the errors when the file has no header for it.
COLUMN_LABELS = {
    "name": N_("name"),
    "level": N_("level"),
    "group": N_("group"),
    "discipline": N_("discipline"),
    "credits": N_("credits"),
    "date": N_("date"),
    "start": N_("start"),
    "end": N_("end"),
}
MAX_CREDITS = 300

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
E_FIELD = N_("the field «{value}» is not known: write one of {fields}, or leave it empty for another field")
E_BASIS = N_("the basis «{value}» is not known (general secondary, TVET, higher)")
E_BASIS_NEEDED = N_(
    "a bachelor's or master's program needs its basis (general secondary, TVET, higher): it decides the "
    "credit cap (002 items 17, 19)"
)
E_TERM_UNKNOWN = N_("there is no academic period «{value}»")
E_CREDITS = N_("the credits «{value}» must be a whole number from 1 to 300")
E_MODE = N_("the mode «{value}» is not known (online or offline)")
E_LINK = N_("an online lesson needs its link (https://...), not «{value}»")


def _require(found: dict[str, str], needed: tuple[str, ...], result: ImportResult) -> bool:
    """The file has the columns; else one error naming them in the person's language."""
    if set(needed) <= found.keys():
        return True
    result.errors.append(RowError(1, E_NO_COLUMNS_OF, {"columns": Labels(COLUMN_LABELS[c] for c in needed)}))
    return False


def _column(header: dict[str, str], key: str) -> str | Label:
    """A column as the file's header wrote it, else its label in the person's language."""
    return header.get(key) or Label(COLUMN_LABELS[key])


def _missing(row: Row, header: dict[str, str], key: str) -> RowError:
    return RowError(row.line, E_MISSING, {"column": _column(header, key)})


def cap_category(level: ProgramLevel, field: str, basis: str) -> CreditCapCategory:
    """The credit cap of Rules No. 137 (002) a program falls under.

    Item 17: higher education on the basis of general secondary school is not studied by distance,
    whatever the field; item 19 caps its fields on the basis of higher education; item 20: MBA, EMBA, DBA.
    """
    if level is ProgramLevel.mba:
        return CreditCapCategory.mba
    if level in (ProgramLevel.emba, ProgramLevel.dba):
        return CreditCapCategory.emba_dba
    if level in (ProgramLevel.bachelor, ProgramLevel.master) and basis == "general_secondary":
        return CreditCapCategory.on_general_secondary
    if field in RESTRICTED_FIELDS and basis == "higher":
        return CreditCapCategory.restricted_fields
    return CreditCapCategory.none


async def import_programs(session: AsyncSession, org: Organization, data: bytes, name: str) -> ImportResult:
    rows, header = read_table_with_header(data, name, PROGRAM_COLUMNS)
    result = ImportResult()
    if not _require(header, ("name", "level"), result):
        return result
    if not rows:
        result.errors.append(RowError(1, E_EMPTY))
    fields, levels, bases = _vocabulary()
    groups = {g.name: g for g in await session.scalars(select(Group).where(Group.organization_id == org.id))}
    checked = []
    for row in rows:
        errors = []
        if not row.get("name"):
            errors.append(_missing(row, header, "name"))
        level = levels.get(_word(row.get("level")))
        if not row.get("level"):
            errors.append(_missing(row, header, "level"))
        elif level is None:
            errors.append(RowError(row.line, E_LEVEL, {"value": row.get("level")}))
        field = fields.get(_word(row.get("field")), None) if row.get("field") else ""
        if field is None:
            errors.append(
                RowError(
                    row.line, E_FIELD, {"value": row.get("field"), "fields": Labels(FIELD_NAMES.values())}
                )
            )
        basis = bases.get(_word(row.get("basis"))) if row.get("basis") else ""
        if basis is None:
            errors.append(RowError(row.line, E_BASIS, {"value": row.get("basis")}))
        elif not basis and level in (ProgramLevel.bachelor, ProgramLevel.master):
            errors.append(RowError(row.line, E_BASIS_NEEDED))
        group_names = [g.strip() for g in row.get("group").split(";") if g.strip()]
        for g in group_names:
            if g not in groups:
                errors.append(RowError(row.line, E_GROUP_UNKNOWN, {"value": g}))
        result.errors.extend(errors)
        if not errors and level is not None and field is not None and basis is not None:
            checked.append((row, level, field, basis, group_names))
    if result.errors:
        return result
    for row, level, field, basis, group_names in checked:
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
    rows, header = read_table_with_header(data, name, COURSE_COLUMNS)
    result = ImportResult()
    if not _require(header, ("group", "discipline", "credits"), result):
        return result
    if not rows:
        result.errors.append(RowError(1, E_EMPTY))
    groups = {g.name: g for g in await session.scalars(select(Group).where(Group.organization_id == org.id))}
    teachers = await _teachers(session, org.id)
    terms = {
        _word(t.name): t
        for t in await session.scalars(select(AcademicTerm).where(AcademicTerm.organization_id == org.id))
    }
    checked = []
    for row in rows:
        errors = []
        for column in ("group", "discipline", "credits"):
            if not row.get(column):
                errors.append(_missing(row, header, column))
        if row.get("group") and row.get("group") not in groups:
            errors.append(RowError(row.line, E_GROUP_UNKNOWN, {"value": row.get("group")}))
        teacher = row.get("teacher")
        if teacher and " ".join(teacher.split()).lower() not in teachers:
            errors.append(RowError(row.line, E_TEACHER_UNKNOWN, {"value": teacher}))
        credits = row.get("credits")
        if credits and not (credits.isdigit() and 1 <= int(credits) <= MAX_CREDITS):
            errors.append(RowError(row.line, E_CREDITS, {"value": credits}))
        hours = row.get("hours")
        if hours and not hours.isdigit():
            errors.append(RowError(row.line, E_NUMBER, {"value": hours}))
        term = terms.get(_word(row.get("term"))) if row.get("term") else None
        if row.get("term") and term is None:
            errors.append(RowError(row.line, E_TERM_UNKNOWN, {"value": row.get("term")}))
        result.errors.extend(errors)
        if not errors:
            checked.append((row, int(credits), int(hours) if hours else None, term))
    if result.errors:
        return result
    for row, credit_count, hour_count, term in checked:
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
        course.credits = credit_count
        course.hours = hour_count or course.hours
        course.term_id = term.id if term else course.term_id
    await session.flush()
    return result


def _time(text: str) -> dt.time | None:
    moment = parse_with(text, ("%H:%M", "%H.%M", "%H:%M:%S"))
    return moment.time() if moment else None


async def import_timetable(session: AsyncSession, org: Organization, data: bytes, name: str) -> ImportResult:
    """New lessons are added and announced; a lesson already there (same course and start) is counted in
    `existing` and left as it is, so sending the same file again changes nothing."""
    rows, header = read_table_with_header(data, name, LESSON_COLUMNS)
    result = ImportResult()
    if not _require(header, ("group", "discipline", "date", "start", "end"), result):
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
        mode = MODES.get(_word(row.get("mode")))
        if mode is None:
            errors.append(RowError(row.line, E_MODE, {"value": row.get("mode")}))
        link = row.get("link") or None
        if mode is LessonMode.online:
            # 002 items 12-13: an online lesson is joined by its link; without one nobody can join.
            try:
                link = clean_link(link)
            except LessonError:
                errors.append(RowError(row.line, E_LINK, {"value": link or ""}))
        result.errors.extend(errors)
        if errors or course is None or day is None or start is None or end is None or mode is None:
            continue
        lessons.append(
            Lesson(
                course_id=course.id,
                starts_at=dt.datetime.combine(day, start, zone).astimezone(dt.UTC),
                ends_at=dt.datetime.combine(day, end, zone).astimezone(dt.UTC),
                mode=mode,
                link=link if mode is LessonMode.online else None,
                room=row.get("room") or None,
                topic=row.get("topic") or None,
            )
        )
    if result.errors:
        return result
    # A group's lesson is the same lesson when its course and start are (an individual one has a student).
    there = {
        (course_id, starts.astimezone(dt.UTC))
        for course_id, starts in (
            await session.execute(
                select(Lesson.course_id, Lesson.starts_at).where(
                    Lesson.course_id.in_({les.course_id for les in lessons}), Lesson.student_id.is_(None)
                )
            )
        ).all()
    }
    new = []
    for lesson in lessons:
        key = (lesson.course_id, lesson.starts_at)
        if key in there:
            result.existing += 1
            continue
        there.add(key)
        new.append(lesson)
    session.add_all(new)
    await session.flush()
    result.created = len(new)
    if new:
        await _announce_timetable(session, org, new)
    return result


async def _announce_timetable(session: AsyncSession, org: Organization, lessons: list[Lesson]) -> None:
    """Students of each group, and their parents, are told the timetable changed (26-1, duty 10)."""
    by_group: dict[int, list[Lesson]] = defaultdict(list)
    group_of = dict((await session.execute(select(Course.id, Course.group_id))).tuples().all())
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


class SetupReason(enum.StrEnum):
    """Why a setup step is refused."""

    exists = "exists"  # the name is taken
    not_found = "not_found"
    when = "when"  # cannot read the time
    past = "past"
    order = "order"  # ends before it starts


class SetupError(ValueError):
    def __init__(self, reason: SetupReason) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ProgramFacts:
    id: int
    name: str
    level: ProgramLevel
    field: str | None
    on_higher_education_basis: bool
    credit_cap_category: CreditCapCategory


async def create_program(
    session: AsyncSession, org_id: int, *, name: str, level: ProgramLevel, field: str = "", basis: str = ""
) -> ProgramFacts:
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
    return ProgramFacts(
        program.id,
        program.name,
        program.level,
        program.field,
        program.on_higher_education_basis,
        program.credit_cap_category,
    )


async def create_group(session: AsyncSession, org_id: int, *, name: str, program_id: int | None) -> GroupRef:
    await _name_free(session, select(Group.id).where(Group.organization_id == org_id, Group.name == name))
    if program_id is not None:
        await _owned(session, Program, program_id, org_id)
    group = Group(organization_id=org_id, name=name, program_id=program_id)
    session.add(group)
    await session.flush()
    return GroupRef.of(group)


async def create_course(
    session: AsyncSession,
    org_id: int,
    *,
    group_id: int,
    discipline: str,
    credits: int,
    teacher_id: int | None,
    term_id: int | None,
) -> CourseFacts:
    group = await _owned(session, Group, group_id, org_id)
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
    return CourseFacts.of(course, group)


async def _name_free(session: AsyncSession, query: Any) -> None:
    if await session.scalar(query.limit(1)) is not None:
        raise SetupError(SetupReason.exists)


async def _owned(session: AsyncSession, model: type[Any], row_id: int, org_id: int) -> Any:
    row = await session.get(model, row_id)
    if row is None or row.organization_id != org_id:
        raise SetupError(SetupReason.not_found)
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
        raise SetupError(SetupReason.when) from exc
    starts = parsed.moment
    if starts <= now:  # «кеше», «вчера» without a time: the day itself has passed
        raise SetupError(SetupReason.past)
    if not parsed.had_time:
        raise SetupError(SetupReason.when)
    if end_clock is None:
        return starts, starts + DEFAULT_LESSON
    zone = zoneinfo.ZoneInfo(timezone)
    ends = dt.datetime.combine(starts.astimezone(zone).date(), end_clock, zone).astimezone(dt.UTC)
    if ends <= starts:
        raise SetupError(SetupReason.order)
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
) -> tuple[LessonRef, CourseBrief]:
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
    return LessonRef.of(lesson), CourseBrief.of(course)
