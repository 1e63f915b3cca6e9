"""Private calendar feeds (RFC 5545): a person's lessons and deadlines, a parent's of their children.

The URL is `/calendar/<person>.<version>.<mac>.ics`, signed with the file-link key. The version is
kept in `calendar_feed`: «new link» bumps it, so the old URL stops working at once. Times are written
in the organization's zone with its VTIMEZONE, so a phone shows them as the school means them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.files.links import LinkSigner
from bot.i18n import Translator
from bot.services.people import parents, student_scope
from bot.services.schedule import timetable
from db.base import utcnow
from db.models import (
    Assignment,
    AssignmentStatus,
    CalendarFeed,
    Course,
    Extension,
    Lesson,
    LessonMode,
    Organization,
    Person,
    Role,
)

PURPOSE = "calendar"
PAST = dt.timedelta(days=30)  # what a calendar keeps of the past
AHEAD = dt.timedelta(days=180)


@dataclass(frozen=True, slots=True)
class Entry:
    uid: str
    summary: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    description: str = ""
    url: str | None = None
    location: str | None = None


async def _feed(session: AsyncSession, person_id: int) -> CalendarFeed:
    feed = await session.scalar(select(CalendarFeed).where(CalendarFeed.person_id == person_id))
    if feed is None:
        feed = CalendarFeed(person_id=person_id, version=1)
        session.add(feed)
        await session.flush()
    return feed


def _token(links: LinkSigner, person_id: int, version: int) -> str:
    message = f"{person_id}.{version}"
    return f"{message}.{links.sign(PURPOSE, message)}"


async def url(session: AsyncSession, links: LinkSigner, person_id: int) -> str:
    feed = await _feed(session, person_id)
    return f"{links.base_url}/calendar/{_token(links, person_id, feed.version)}.ics"


async def revoke(session: AsyncSession, links: LinkSigner, person_id: int) -> str:
    """The old link stops working; returns the new one."""
    feed = await _feed(session, person_id)
    feed.version += 1
    await session.flush()
    return await url(session, links, person_id)


async def verify(session: AsyncSession, links: LinkSigner, token: str) -> int | None:
    """The person whose current link this is, else None (a bad, tampered or revoked token)."""
    token = token.removesuffix(".ics")
    parts = token.split(".")
    if len(parts) != 3 or not all(p.isascii() for p in parts):
        return None
    person, version, mac = parts
    if not (person.isdigit() and version.isdigit()) or len(person) > 18 or len(version) > 9:
        return None
    expected = links.sign(PURPOSE, f"{person}.{version}")
    if not hmac.compare_digest(mac.encode(), expected.encode()):
        return None
    feed = await session.scalar(select(CalendarFeed).where(CalendarFeed.person_id == int(person)))
    return int(person) if feed is not None and feed.version == int(version) else None


async def render(session: AsyncSession, person_id: int, default_locale: str) -> bytes | None:
    """The person's calendar as an .ics file, in their language and their organization's zone."""
    person = await session.scalar(
        select(Person).options(selectinload(Person.roles)).where(Person.id == person_id)
    )
    if person is None:
        return None
    org = await session.get(Organization, person.organization_id)
    assert org is not None
    t = Translator(person.locale or org.default_locale or default_locale, org.timezone)
    now = utcnow()
    start, end = now - PAST, now + AHEAD
    roles = {r.role for r in person.roles}
    entries: dict[str, Entry] = {}
    if Role.student in roles:
        for e in await _student(session, t, person.id, start, end, prefix=""):
            entries[e.uid] = e
    if Role.parent in roles:
        for child in await parents.children(session, person.id):
            for e in await _student(session, t, child.id, start, end, prefix=child.name + ": "):
                # One event per child: a lesson of two children in one group is two UIDs, not one twice.
                own = dataclasses.replace(e, uid=e.uid.replace("@", f"-c{child.id}@"))
                entries[own.uid] = own
    if Role.teacher in roles:
        for e in await _teacher(session, t, person.id, start, end):
            entries.setdefault(e.uid, e)
    return _calendar(t, org.name, list(entries.values()))


def _calendar(t: Translator, org_name: str, entries: list[Entry]) -> bytes:
    # Imported here, not with the web server: icalendar and dateutil weigh some 15 MB of memory that a
    # process serving no calendar (a Telegram worker, the CLI) should not carry.
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//Ustaz//Ustaz calendar//" + t.locale.upper())
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"Ustaz — {org_name}")
    cal.add("x-wr-timezone", str(t.tz))
    stamp = utcnow()
    for entry in sorted(entries, key=lambda e: (e.starts_at, e.uid)):
        event = Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", stamp)
        event.add("summary", entry.summary)
        event.add("dtstart", entry.starts_at.astimezone(t.tz))
        event.add("dtend", entry.ends_at.astimezone(t.tz))
        if entry.description:
            event.add("description", entry.description)
        if entry.location:
            event.add("location", entry.location)
        if entry.url:
            event.add("url", entry.url)
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _lesson_entry(t: Translator, lesson_id: int, discipline: str, view: Lesson, prefix: str) -> Entry:
    online = view.mode == LessonMode.online
    summary = t.gettext("Lesson: {course}").format(course=discipline)
    description = view.topic or ""
    return Entry(
        uid=f"lesson-{lesson_id}@ustaz",
        summary=prefix + summary,
        starts_at=view.starts_at,
        ends_at=view.ends_at,
        description=description,
        url=view.link if online else None,
        location=view.room or (view.link if online else None),
    )


def _deadline_entry(
    t: Translator, assignment: Assignment, discipline: str, deadline: dt.datetime, prefix: str
) -> Entry:
    summary = t.gettext("Deadline: {title} ({course})").format(title=assignment.title, course=discipline)
    return Entry(
        uid=f"deadline-{assignment.id}@ustaz",
        summary=prefix + summary,
        starts_at=deadline,
        ends_at=deadline,
        description=assignment.text[:1000],
    )


async def _student(
    session: AsyncSession, t: Translator, student_id: int, start: dt.datetime, end: dt.datetime, prefix: str
) -> list[Entry]:
    groups = await student_scope.group_ids(session, student_id)
    entries: list[Entry] = []
    rows = (await session.execute(timetable.student_lessons(student_id, groups, start, end))).all()
    entries += [_lesson_entry(t, lesson.id, discipline, lesson, prefix) for lesson, discipline in rows]
    if not groups:
        return entries
    extended = dict(
        (
            await session.execute(
                select(Extension.assignment_id, Extension.deadline).where(Extension.student_id == student_id)
            )
        )
        .tuples()
        .all()
    )
    work = (
        await session.execute(
            select(Assignment, Course.discipline)
            .join(Course, Course.id == Assignment.course_id)
            .where(Course.group_id.in_(groups), Assignment.status != AssignmentStatus.draft)
        )
    ).all()
    for assignment, discipline in work:
        deadline = extended.get(assignment.id, assignment.deadline)
        if start <= deadline < end:
            entries.append(_deadline_entry(t, assignment, discipline, deadline, prefix))
    return entries


async def _teacher(
    session: AsyncSession, t: Translator, teacher_id: int, start: dt.datetime, end: dt.datetime
) -> list[Entry]:
    rows = (
        await session.execute(
            select(Lesson, Course.discipline)
            .join(Course, Course.id == Lesson.course_id)
            .where(
                Course.teacher_id == teacher_id,
                Lesson.starts_at >= start,
                Lesson.starts_at < end,
                Lesson.cancelled.is_(False),
            )
        )
    ).all()
    entries = [_lesson_entry(t, lesson.id, discipline, lesson, "") for lesson, discipline in rows]
    work = (
        await session.execute(
            select(Assignment, Course.discipline)
            .join(Course, Course.id == Assignment.course_id)
            .where(
                Course.teacher_id == teacher_id,
                Assignment.status != AssignmentStatus.draft,
                Assignment.deadline >= start,
                Assignment.deadline < end,
            )
        )
    ).all()
    entries += [_deadline_entry(t, a, discipline, a.deadline, "") for a, discipline in work]
    return entries
