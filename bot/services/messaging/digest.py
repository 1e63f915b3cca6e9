"""Parents' ticks: the missed-deadline notice and the weekly digest per child."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Reply
from bot.i18n import Translator
from bot.services.coursework import assignments
from bot.services.coursework.assignments import State
from bot.services.messaging import notices
from bot.services.messaging.notify import notify
from db.base import utcnow
from db.models import (
    Assignment,
    AssignmentStatus,
    Course,
    Extension,
    Organization,
    ParentLink,
    Person,
    Submission,
    SubmissionStatus,
)

log = logging.getLogger(__name__)

PARENT_MISSED = "parent_missed"
PARENT_DIGEST = "parent_digest"
MISSED_LOOKBACK = dt.timedelta(days=2)  # after downtime, older misses are not news any more
DIGEST_WEEKDAY, DIGEST_HOUR = 6, 18  # Sunday 18:00 in the organization's zone (settings override)
# A digest whose moment passed while no process ran is still sent this long after it, once.
DIGEST_CATCH_UP = dt.timedelta(days=3)


async def missed_deadlines(session: AsyncSession, now: dt.datetime | None = None) -> int:
    """Parents learn that a child let their own deadline (an extension counts) pass without handing
    anything in, once each, with that deadline."""
    now = now or utcnow()
    since = now - MISSED_LOOKBACK
    extended = select(Extension.assignment_id).where(Extension.deadline <= now, Extension.deadline > since)
    rows = (
        await session.execute(
            select(Assignment, Course)
            .join(Course, Course.id == Assignment.course_id)
            .where(
                Assignment.status == AssignmentStatus.published,
                or_(
                    (Assignment.deadline <= now) & (Assignment.deadline > since),
                    Assignment.id.in_(extended),
                ),
            )
        )
    ).all()
    count = 0
    for assignment, course in rows:
        students = await notices.group_students(session, course.group_id)
        handed_in = set(
            (
                await session.scalars(
                    select(Submission.student_id).where(
                        Submission.assignment_id == assignment.id, Submission.status != SubmissionStatus.draft
                    )
                )
            ).all()
        )
        for student_id in students:
            if student_id in handed_in:
                continue
            own = await assignments.view(session, student_id, assignment.id, now)
            if own is None or own.state != State.overdue or own.deadline <= since:
                continue  # still in time (an extension), or missed long ago: not news any more

            def build(
                t: Translator,
                child: str,
                a: Assignment = assignment,
                c: Course = course,
                due: dt.datetime = own.deadline,
            ) -> Reply:
                return Reply(
                    t.gettext(
                        "{child} did not hand in «{title}» ({course}) by the deadline, {deadline}."
                    ).format(child=child, title=a.title, course=c.discipline, deadline=t.datetime(due))
                )

            count += await notices.to_parents(
                session, [student_id], PARENT_MISSED, build, dedupe=f"miss:{assignment.id}"
            )
    return count


def _setting(own: dict[str, Any], key: str, default: int, high: int) -> int:
    """A whole number 0..high from the digest settings; a bad stored value is the default, and logged."""
    value = own.get(key, default)
    try:
        if isinstance(value, bool):
            raise ValueError(value)
        number = int(value)
        if not 0 <= number <= high:
            raise ValueError(value)
    except (TypeError, ValueError):
        log.warning(
            "digest.%s %r is not 0-%d: the default %d is used (fix it: ustaz org set)",
            key,
            value,
            high,
            default,
        )
        return default
    return number


def digest_due(now: dt.datetime, zone: str, settings: dict[str, Any] | None) -> str | None:
    """The tag (e.g. 2025-W07) of the week of the latest digest moment, from that moment until
    DIGEST_CATCH_UP after it, else None. A process that was down at the moment (Sunday 18:00 to
    midnight) sends it when it is back; the tag keeps it to once a week whenever it is sent.

    A bad stored setting falls back to the default (Sunday 18:00), so no organization is left without
    its digest and none breaks the tick for the others.
    """
    own = (settings or {}).get("digest")
    own = own if isinstance(own, dict) else {}
    weekday = _setting(own, "weekday", DIGEST_WEEKDAY, 6)
    hour = _setting(own, "hour", DIGEST_HOUR, 23)
    try:
        tz = zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        log.warning("time zone %r is not known: Asia/Almaty is used for the digest", zone)
        tz = zoneinfo.ZoneInfo("Asia/Almaty")
    local = now.astimezone(tz)
    day = local.date() - dt.timedelta(days=(local.weekday() - weekday) % 7)
    moment = dt.datetime.combine(day, dt.time(hour), tz)
    if moment > local:
        moment -= dt.timedelta(days=7)
    if local - moment > DIGEST_CATCH_UP:
        return None
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


async def weekly_digest(session: AsyncSession, now: dt.datetime | None = None) -> int:
    """Each parent gets, once a week, a digest per child: grades, hand-ins, misses, what is next."""
    now = now or utcnow()
    count = 0
    for org_id, zone, settings in (
        await session.execute(select(Organization.id, Organization.timezone, Organization.settings))
    ).all():
        week = digest_due(now, zone, settings)
        if week is None:
            continue
        links = (
            await session.execute(
                select(ParentLink.parent_id, ParentLink.child_id, Person.full_name)
                .join(Person, Person.id == ParentLink.child_id)
                .where(Person.organization_id == org_id)
            )
        ).all()
        by_child: dict[int, tuple[str, list[int]]] = {}
        for parent_id, child_id, name in links:
            by_child.setdefault(child_id, (name, []))[1].append(parent_id)
        for child_id, (name, parent_ids) in by_child.items():
            views = await assignments.views(session, child_id, now)
            wanted = [
                p for p in parent_ids if p not in await notices.switched_off(session, [p], PARENT_DIGEST)
            ]

            def build(
                t: Translator, name: str = name, views: list[assignments.AssignmentView] = views
            ) -> Reply:
                return Reply(digest_text(t, name, views, now))

            count += await notify(
                session, wanted, build, kind=PARENT_DIGEST, dedupe_prefix=f"digest:{week}:{child_id}"
            )
    return count


def digest_text(t: Translator, child: str, views: list[assignments.AssignmentView], now: dt.datetime) -> str:
    week_ago, week_ahead = now - dt.timedelta(days=7), now + dt.timedelta(days=7)
    # Grades given this week, whenever the work was due (a late grading still is this week's news).
    graded = [
        v for v in views if v.state == State.graded and v.graded_at is not None and v.graded_at > week_ago
    ]
    missed = [v for v in views if v.state == State.overdue and v.deadline > week_ago]
    handed = [v for v in views if v.state in (State.submitted, State.late) and v.deadline > week_ago]
    coming = [v for v in views if v.state == State.open and v.deadline <= week_ahead]
    lines = [t.gettext("Weekly digest for {child}").format(child=child)]
    if graded:
        lines += ["", t.gettext("Grades:")]
        lines += [
            f"• {v.title} ({v.discipline}): "
            + t.gettext("{score} of {max}").format(score=t.number(v.score or 0), max=v.max_score)
            for v in graded
        ]
    if handed:
        lines += ["", t.gettext("Handed in:")] + [f"• {v.title} ({v.discipline})" for v in handed]
    if missed:
        lines += ["", t.gettext("Deadlines missed:")]
        lines += [f"• {v.title} ({v.discipline}), {t.datetime(v.deadline)}" for v in missed]
    if coming:
        lines += ["", t.gettext("Deadlines in the coming week:")]
        lines += [f"• {v.title} ({v.discipline}), {t.datetime(v.deadline)}" for v in coming]
    if len(lines) == 1:
        lines += ["", t.gettext("Nothing new this week.")]
    return "\n".join(lines)


async def missed_tick(runtime: Any) -> int:
    async with runtime.sessions() as session, session.begin():
        return await missed_deadlines(session)


async def digest_tick(runtime: Any) -> int:
    async with runtime.sessions() as session, session.begin():
        return await weekly_digest(session)
