"""Academic periods (terms) and the academic calendar: holidays, sessions, attestation weeks.

Entered in chat one by one or imported from a CSV/XLSX file; like the roster, an
import checks every row first and writes all or nothing, errors cited by line.
Everyone in the organization can read the calendar (002 item 26-1: participants
are informed of the study schedule).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import zoneinfo
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.files.tables import read_table
from bot.i18n import N_, Translator
from bot.services.coursework.deadlines import DeadlineError
from bot.services.coursework.deadlines import parse as parse_moment
from bot.services.people.roster import E_EMPTY, ImportResult, RowError, parse_date
from db.models import AcademicTerm, CalendarEvent

TERM = "term"
# What an entry of the calendar is; "term" rows of an import create academic periods.
EVENT_KINDS: dict[str, str] = {
    "holiday": N_("Holidays"),
    "session": N_("Examination session"),
    "attestation": N_("Attestation week"),
    "event": N_("Event"),
}
KIND_WORDS: dict[str, str] = {
    **{
        w: TERM
        for w in (
            "term",
            "semester",
            "academic period",
            "семестр",
            "период",
            "академический период",
            "четверть",
            "кезең",
            "академиялық кезең",
            "тоқсан",
        )
    },
    **{
        w: "holiday" for w in ("holiday", "holidays", "vacation", "каникулы", "праздник", "демалыс", "мереке")
    },
    **{
        w: "session"
        for w in ("session", "exam session", "сессия", "экзаменационная сессия", "емтихан сессиясы")
    },
    **{
        w: "attestation"
        for w in (
            "attestation",
            "attestation week",
            "аттестация",
            "промежуточная аттестация",
            "неделя аттестации",
            "аттестаттау",
            "аралық аттестаттау",
        )
    },
    **{w: "event" for w in ("event", "событие", "мероприятие", "іс-шара", "оқиға")},
}
COLUMNS = {
    "kind": ("type", "вид", "тип", "түрі"),
    "title": ("name", "название", "наименование", "атауы"),
    "starts_on": ("start", "from", "начало", "с", "басталуы"),
    "ends_on": ("end", "to", "конец", "окончание", "по", "аяқталуы"),
    "term": ("period", "семестр", "период", "кезең"),
}

E_KIND = N_("the kind «{value}» is not known (term, holiday, session, attestation, event)")
E_TITLE = N_("the name is missing")
E_DATE = N_("the date «{value}» is not a date (2026-09-01 or 01.09.2026)")
E_ORDER = N_("it ends before it starts")
E_TERM_UNKNOWN = N_("there is no academic period «{value}»")
E_OUTSIDE = N_("the dates are outside the academic period «{term}»")
E_NO_COLUMNS = N_("the file needs the columns: kind, name, start, end")

SEPARATOR_RE = re.compile(r"\s*(?:[–—]|\s-\s|\s+по\s+|\s+до\s+|\s+to\s+|\s+дейін\s*)\s*", re.IGNORECASE)
FULL_DATE_RE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{4}")


class CalendarReason(enum.StrEnum):
    """Why a period is refused."""

    dates = "dates"  # could not read them
    order = "order"  # ends before it starts


class CalendarError(ValueError):
    def __init__(self, reason: CalendarReason) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_period(text: str, now: dt.datetime, timezone: str) -> tuple[dt.date, dt.date]:
    """Two dates typed naturally ("01.09.2026 – 25.12.2026", "1 сентября по 25 декабря");

    one date alone is a one-day period (a holiday).
    """
    raw = " ".join(text.split())
    full = FULL_DATE_RE.findall(raw)
    if full:
        parsed = [parse_date(d.replace("/", ".")) for d in full]
        dates = [d for d in parsed if d is not None]
        if len(parsed) > 2 or len(dates) < len(parsed):
            raise CalendarError(CalendarReason.dates)
        return _ordered(dates[0], dates[-1])
    parts = [p for p in SEPARATOR_RE.split(raw) if p.strip()]
    if not 1 <= len(parts) <= 2:
        raise CalendarError(CalendarReason.dates)
    try:
        days = [parse_moment(p, now, timezone).moment.astimezone(_zone(timezone)).date() for p in parts]
    except DeadlineError as exc:
        raise CalendarError(CalendarReason.dates) from exc
    return _ordered(days[0], days[-1])


def _zone(timezone: str) -> dt.tzinfo:
    return zoneinfo.ZoneInfo(timezone)


def _ordered(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    if end < start:
        raise CalendarError(CalendarReason.order)
    return start, end


async def create_term(
    session: AsyncSession, organization_id: int, name: str, starts_on: dt.date, ends_on: dt.date
) -> tuple[AcademicTerm, bool]:
    """The academic period, created or (same name) given new dates; True when created."""
    _ordered(starts_on, ends_on)
    term = await session.scalar(
        select(AcademicTerm).where(AcademicTerm.organization_id == organization_id, AcademicTerm.name == name)
    )
    created = term is None
    if term is None:
        term = AcademicTerm(organization_id=organization_id, name=name, starts_on=starts_on, ends_on=ends_on)
        session.add(term)
    term.starts_on, term.ends_on = starts_on, ends_on
    await session.flush()
    return term, created


def _fits(kind: str, starts_on: dt.date, ends_on: dt.date, term_start: dt.date, term_end: dt.date) -> bool:
    """An entry lies within its period; holidays may run over its end or start (winter holidays from
    one term into the next), so they need only share a day with it."""
    if kind == "holiday":
        return starts_on <= term_end and ends_on >= term_start
    return term_start <= starts_on and ends_on <= term_end


async def containing_term(
    session: AsyncSession, organization_id: int, starts_on: dt.date, ends_on: dt.date
) -> AcademicTerm | None:
    return await session.scalar(
        select(AcademicTerm)
        .where(
            AcademicTerm.organization_id == organization_id,
            AcademicTerm.starts_on <= starts_on,
            AcademicTerm.ends_on >= ends_on,
        )
        .order_by(AcademicTerm.starts_on.desc())
        .limit(1)
    )


async def add_event(
    session: AsyncSession,
    organization_id: int,
    kind: str,
    title: str,
    starts_on: dt.date,
    ends_on: dt.date,
    term: AcademicTerm | None = None,
) -> tuple[CalendarEvent, bool]:
    """A calendar entry in the period that holds its dates; the same kind, name and start is updated."""
    if kind not in EVENT_KINDS:
        raise ValueError(kind)
    _ordered(starts_on, ends_on)
    term = term or await containing_term(session, organization_id, starts_on, ends_on)
    if term is None and kind == "holiday":
        # Holidays spanning two periods belong to the one they start in (or the first they touch).
        term = await session.scalar(
            select(AcademicTerm)
            .where(
                AcademicTerm.organization_id == organization_id,
                AcademicTerm.starts_on <= ends_on,
                AcademicTerm.ends_on >= starts_on,
            )
            .order_by(AcademicTerm.starts_on)
            .limit(1)
        )
    event = await session.scalar(
        select(CalendarEvent).where(
            CalendarEvent.organization_id == organization_id,
            CalendarEvent.kind == kind,
            CalendarEvent.title == title,
            CalendarEvent.starts_on == starts_on,
        )
    )
    created = event is None
    if event is None:
        event = CalendarEvent(organization_id=organization_id, kind=kind, title=title, starts_on=starts_on)
        session.add(event)
    event.ends_on = ends_on
    event.term_id = term.id if term else None
    await session.flush()
    return event, created


@dataclass
class _Entry:
    line: int
    kind: str
    title: str
    starts_on: dt.date
    ends_on: dt.date
    term: str


async def import_calendar(
    session: AsyncSession, organization_id: int, data: bytes, name: str
) -> ImportResult:
    """Academic periods and calendar entries from one table; all rows or none."""
    rows, found = read_table(data, name, COLUMNS)
    result = ImportResult()
    if not {"kind", "title", "starts_on", "ends_on"} <= found:
        result.errors.append(RowError(1, E_NO_COLUMNS))
        return result
    if not rows:
        result.errors.append(RowError(1, E_EMPTY))
        return result
    entries: list[_Entry] = []
    for row in rows:
        errors = []
        kind = KIND_WORDS.get(row.get("kind").lower())
        if kind is None:
            errors.append(RowError(row.line, E_KIND, {"value": row.get("kind")}))
        if not row.get("title"):
            errors.append(RowError(row.line, E_TITLE))
        days = []
        for column in ("starts_on", "ends_on"):
            day = parse_date(row.get(column))
            if day is None:
                errors.append(RowError(row.line, E_DATE, {"value": row.get(column)}))
            days.append(day)
        start, end = days
        if start and end and end < start:
            errors.append(RowError(row.line, E_ORDER))
        result.errors.extend(errors)
        if not errors and kind and start and end:
            entries.append(_Entry(row.line, kind, row.get("title")[:300], start, end, row.get("term")))
    known = {
        t.name: (t.starts_on, t.ends_on)
        for t in await session.scalars(
            select(AcademicTerm).where(AcademicTerm.organization_id == organization_id)
        )
    }
    known.update({e.title: (e.starts_on, e.ends_on) for e in entries if e.kind == TERM})
    for e in entries:
        if e.kind == TERM or not e.term:
            continue
        if e.term not in known:
            result.errors.append(RowError(e.line, E_TERM_UNKNOWN, {"value": e.term}))
        elif not _fits(e.kind, e.starts_on, e.ends_on, *known[e.term]):
            result.errors.append(RowError(e.line, E_OUTSIDE, {"term": e.term}))
    if result.errors:
        result.errors.sort(key=lambda err: err.line)
        return result
    # Periods first, so that the entries find theirs.
    terms: dict[str, AcademicTerm] = {}
    for e in sorted(entries, key=lambda x: x.kind != TERM):
        if e.kind == TERM:
            terms[e.title], created = await create_term(
                session, organization_id, e.title, e.starts_on, e.ends_on
            )
        else:
            term = terms.get(e.term) if e.term else None
            if e.term and term is None:
                term = await session.scalar(
                    select(AcademicTerm).where(
                        AcademicTerm.organization_id == organization_id, AcademicTerm.name == e.term
                    )
                )
            _event, created = await add_event(
                session, organization_id, e.kind, e.title, e.starts_on, e.ends_on, term
            )
        result.created += created
        result.existing += not created
    return result


@dataclass(frozen=True, slots=True)
class TermView:
    name: str | None  # None: entries outside any academic period
    starts_on: dt.date | None
    ends_on: dt.date | None
    events: list[tuple[str, str, dt.date, dt.date]]  # kind, title, start, end


async def upcoming(session: AsyncSession, organization_id: int, today: dt.date) -> list[TermView]:
    """The current and later academic periods with their entries, and entries of no period not yet over."""
    terms = list(
        await session.scalars(
            select(AcademicTerm)
            .where(AcademicTerm.organization_id == organization_id, AcademicTerm.ends_on >= today)
            .order_by(AcademicTerm.starts_on)
        )
    )
    events = list(
        await session.scalars(
            select(CalendarEvent)
            .where(
                CalendarEvent.organization_id == organization_id,
                or_(
                    CalendarEvent.term_id.in_([t.id for t in terms]) if terms else False,
                    CalendarEvent.ends_on >= today,
                ),
            )
            .order_by(CalendarEvent.starts_on, CalendarEvent.id)
        )
    )
    shown = {t.id for t in terms}
    views = [
        TermView(
            t.name,
            t.starts_on,
            t.ends_on,
            [(e.kind, e.title, e.starts_on, e.ends_on) for e in events if e.term_id == t.id],
        )
        for t in terms
    ]
    loose = [(e.kind, e.title, e.starts_on, e.ends_on) for e in events if e.term_id not in shown]
    if loose:
        views.append(TermView(None, None, None, loose))
    return views


def render(t: Translator, views: list[TermView]) -> str:
    if not views:
        return t.gettext("The academic calendar has no dates yet.")
    lines = [t.gettext("Academic calendar")]
    for view in views:
        lines.append("")
        if view.name is not None and view.starts_on and view.ends_on:
            lines.append(f"{view.name}: {t.period(view.starts_on, view.ends_on)}")
        else:
            lines.append(t.gettext("Other dates:"))
        for kind, title, start, end in view.events:
            lines.append(
                f"• {t.gettext(EVENT_KINDS.get(kind, EVENT_KINDS['event']))}: {title} — "
                f"{t.period(start, end)}"
            )
        if not view.events:
            lines.append("• " + t.gettext("no holidays, sessions or attestation weeks yet"))
    return "\n".join(lines)
