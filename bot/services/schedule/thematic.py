"""The thematic schedule (тақырыптық кесте / тематический график): topics with hours and deadlines,
kept as the course's plan (Topic rows) and sent to the group's students and parents (002 item 26-1).

One topic per line in chat: «Topic; hours; deadline» (hours and deadline may be left out);
a CSV/XLSX file has the same three columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Reply
from bot.i18n import Translator
from bot.labels import hours_phrase
from bot.services.coursework.deadlines import DeadlineError, parse
from bot.services.messaging.notices import group_students, parents_of
from bot.services.messaging.notify import notify
from bot.services.people.teacher_scope import own_course
from db.base import utcnow
from db.models import Course, Topic

DEFAULT_HOURS = 2


class PlanReason(enum.StrEnum):
    """Why a thematic plan is refused."""

    empty = "empty"
    no_title = "no_title"  # a line with hours or a deadline but no topic
    bad_hours = "bad_hours"
    bad_deadline = "bad_deadline"


class PlanError(ValueError):
    """Every bad line at once (`problems`: reason and 1-based line); `reason`/`line`: the first."""

    def __init__(
        self, reason: PlanReason, line: int = 0, more: Sequence[tuple[PlanReason, int]] = ()
    ) -> None:
        super().__init__(reason)
        self.reason, self.line = reason, line
        self.problems: list[tuple[PlanReason, int]] = [(reason, line), *more]


@dataclass(frozen=True)
class PlanLine:
    title: str
    hours: int
    deadline: dt.datetime | None


def parse_rows(rows: list[list[str]], timezone: str, now: dt.datetime | None = None) -> list[PlanLine]:
    """The plan's lines; every bad line is reported at once (PlanError.problems), not the first only."""
    now = now or utcnow()
    out = []
    problems: list[tuple[PlanReason, int]] = []
    for n, cells in enumerate(rows, start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        title = re.sub(r"^\d{1,3}[.)]\s*", "", cells[0])
        if not title:
            problems.append((PlanReason.no_title, n))
            continue
        hours = DEFAULT_HOURS
        if len(cells) > 1 and cells[1]:
            if not cells[1].isdigit() or not 0 < int(cells[1]) <= 200:
                problems.append((PlanReason.bad_hours, n))
            else:
                hours = int(cells[1])
        deadline = None
        if len(cells) > 2 and cells[2]:
            try:
                deadline = parse(cells[2], now, timezone).moment
            except DeadlineError:
                problems.append((PlanReason.bad_deadline, n))
        out.append(PlanLine(title[:500], hours, deadline))
    if problems:
        raise PlanError(problems[0][0], problems[0][1], problems[1:])
    if not out:
        raise PlanError(PlanReason.empty)
    return out


def parse_text(text: str, timezone: str) -> list[PlanLine]:
    rows = [re.split(r"\s*[;|\t]\s*", line) for line in text.splitlines()]
    return parse_rows(rows, timezone)


def parse_file(data: bytes, name: str, timezone: str) -> list[PlanLine]:
    if name.lower().endswith(".xlsx"):
        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        rows = [[_cell(v) for v in r] for r in sheet.iter_rows(values_only=True)]
    else:
        text = data.decode("utf-8-sig", errors="replace")
        delimiter = ";" if text.count(";") >= text.count(",") else ","
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if rows and len(rows[0]) > 1 and not rows[0][1].strip().isdigit():
        rows = rows[1:]  # a header row
    return parse_rows(rows, timezone)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def plan_text(t: Translator, course: Course, lines: Sequence[PlanLine | Topic]) -> str:
    out = [t.gettext("Thematic schedule: {course}").format(course=course.discipline), ""]
    for n, line in enumerate(lines, start=1):
        row = f"{n}. {line.title} — {hours_phrase(t, line.hours)}"
        if line.deadline:
            row += ", " + t.gettext("until {when}").format(when=t.datetime(line.deadline))
        out.append(row)
    return "\n".join(out)


async def save(session: AsyncSession, teacher_id: int, course_id: int, lines: list[PlanLine]) -> int:
    """Replaces the course's plan and sends it to the students and their parents; returns messages queued."""
    course = await own_course(session, teacher_id, course_id)
    await session.execute(delete(Topic).where(Topic.course_id == course.id))
    for n, line in enumerate(lines, start=1):
        session.add(
            Topic(course_id=course.id, position=n, title=line.title, hours=line.hours, deadline=line.deadline)
        )
    await session.flush()
    students = await group_students(session, course.group_id)
    parents = sorted({p for ps in (await parents_of(session, students)).values() for p in ps})
    stamp = int(utcnow().timestamp())
    return await notify(
        session,
        students + parents,
        lambda t: Reply(plan_text(t, course, lines)),
        kind="plan",
        dedupe_prefix=f"plan:{course.id}:{stamp}",
    )


async def topics(session: AsyncSession, course_id: int) -> list[Topic]:
    return list(
        (
            await session.scalars(select(Topic).where(Topic.course_id == course_id).order_by(Topic.position))
        ).all()
    )
