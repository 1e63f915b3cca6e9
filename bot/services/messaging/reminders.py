"""Deadline and lesson reminders: planned as rows, moved into the outbox by a scheduler tick.

Planning is one INSERT ... SELECT per organization and kind (set-based: a million
students is one statement, not a million ORM objects); the dedupe key (what, who,
offset, the deadline itself) makes planning idempotent, and a changed deadline plans
afresh. The tick, in one transaction per batch:

1. skips what has expired, is no longer needed (work handed in, assignment closed,
   deadline moved, lesson cancelled) or was switched off: checked again at sending;
2. holds reminders in the organization's quiet hours until they end, unless the
   deadline would pass first (then it goes now rather than never);
3. claims due rows (PostgreSQL: FOR UPDATE SKIP LOCKED, so two instances never take the
   same one; SQLite serializes writers) and merges everything one person has due into one
   message, built once per distinct content, language and zone, then copied into the
   outbox by INSERT ... SELECT.

A wave too big for the channel's rate (organization setting, Telegram's 30 a second by
default) is planned back from its deadline so that its last message leaves on time.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import astuple, dataclass
from typing import Any

from sqlalchemy import bindparam, column, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.actions.student import Submit
from bot.core.actions import link_button
from bot.core.messages import Button, Reply, shorten
from bot.i18n import Translator
from bot.labels import days_phrase, hours_phrase
from db.base import UTCDateTime, utcnow
from db.models import Assignment, Channel, Course, Lesson, Organization
from db.session import is_postgres, rowcount

# NotificationPreference kinds a student can switch off.
DEADLINE_REMINDERS = "reminder_deadline"
LESSON_REMINDERS = "reminder_lesson"

LESSON_HORIZON = dt.timedelta(days=8)  # lesson reminders are planned for the coming week
BATCH = 250_000


@dataclass(frozen=True)
class ReminderSettings:
    deadline_minutes: tuple[int, ...] = (72 * 60, 24 * 60, 2 * 60)
    lesson_minutes: tuple[int, ...] = (30,)
    quiet_start: dt.time = dt.time(22, 0)
    quiet_end: dt.time = dt.time(8, 0)
    rate_per_second: float = 30.0  # the slowest channel's rate: Telegram's ~30 messages a second

    @classmethod
    def of(cls, org_settings: Mapping[str, Any] | None) -> ReminderSettings:
        """Organization.settings["reminders"] over the defaults."""
        own = dict((org_settings or {}).get("reminders") or {})
        base = cls()
        return cls(
            deadline_minutes=tuple(int(m) for m in own.get("deadline_minutes", base.deadline_minutes)),
            lesson_minutes=tuple(int(m) for m in own.get("lesson_minutes", base.lesson_minutes)),
            quiet_start=dt.time.fromisoformat(own["quiet_start"])
            if "quiet_start" in own
            else base.quiet_start,
            quiet_end=dt.time.fromisoformat(own["quiet_end"]) if "quiet_end" in own else base.quiet_end,
            rate_per_second=float(own.get("rate_per_second", base.rate_per_second)),
        )


def quiet_until(now: dt.datetime, zone: str, settings: ReminderSettings) -> dt.datetime | None:
    """When the quiet hours around `now` end (UTC), or None if `now` is not in them."""
    tz = zoneinfo.ZoneInfo(zone)
    local = now.astimezone(tz)
    start, end, t = settings.quiet_start, settings.quiet_end, local.time()
    if start == end:
        return None
    overnight = start > end
    inside = (t >= start or t < end) if overnight else (start <= t < end)
    if not inside:
        return None
    day = local.date() + dt.timedelta(days=1) if overnight and t >= start else local.date()
    return dt.datetime.combine(day, end, tz).astimezone(dt.UTC)


# -- SQL that differs between the two databases ------------------------------------------
@dataclass(frozen=True)
class _Dialect:
    pg: bool

    def minus(self, moment: str, minutes: str, seconds: str = "0") -> str:
        """`moment` - minutes - seconds, in the column's own storage form."""
        if self.pg:
            return f"({moment} - ({minutes}) * interval '1 minute' - ({seconds}) * interval '1 second')"
        # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' text (see db.base.UTCDateTime).
        return (
            f"(strftime('%Y-%m-%d %H:%M:%f', {moment}, '-' || ({minutes}) || ' minutes', "
            f"'-' || ({seconds}) || ' seconds') || '000')"
        )

    def epoch(self, moment: str) -> str:
        return (
            f"CAST(extract(epoch FROM {moment}) AS BIGINT)"
            if self.pg
            else f"CAST(strftime('%s', {moment}) AS INTEGER)"
        )

    def fdiv(self, a: str, b: str) -> str:
        return f"(CAST({a} AS double precision) / {b})" if self.pg else f"(({a}) * 1.0 / {b})"


def _offsets(minutes: Iterable[int]) -> str:
    """A one-column table of offsets; literals (ints from settings), as SQLite has no VALUES aliases."""
    return (
        " UNION ALL ".join(f"SELECT {int(m)} AS minutes" for m in sorted(set(minutes)))
        or "SELECT 0 WHERE 1=0"
    )


def _params(stmt: str, **types: Any) -> Any:
    return text(stmt).bindparams(*(bindparam(name, type_=type_) for name, type_ in types.items()))


async def _no_commit_flush(session: AsyncSession) -> None:
    """PostgreSQL: this transaction's commit does not wait for its WAL to reach the disk.

    Safe for reminders: a crash can lose only the last moments' committed batches, never
    corrupt them, and what is lost is recovered by itself: planning is idempotent and
    re-runs every tick (lost planned rows are planned again), and a lost queue batch loses
    its outbox rows together with its reminders' status change, so the next tick queues
    those reminders again.
    """
    await session.execute(text("SET LOCAL synchronous_commit = off"))


# -- planning -----------------------------------------------------------------------------
async def plan(
    session: AsyncSession, now: dt.datetime | None = None, organization_id: int | None = None
) -> int:
    """Plans every future deadline and lesson reminder not planned yet; returns how many it added."""
    now = now or utcnow()
    query = select(Organization.id, Organization.settings)
    if organization_id is not None:
        query = query.where(Organization.id == organization_id)
    added = 0
    for org_id, org_settings in (await session.execute(query)).all():
        settings = ReminderSettings.of(org_settings)
        added += await _plan_deadlines(session, org_id, settings, now)
        added += await _plan_lessons(session, org_id, settings, now)
    return added


async def _plan_deadlines(
    session: AsyncSession, org_id: int, settings: ReminderSettings, now: dt.datetime
) -> int:
    if not settings.deadline_minutes:
        return 0
    d = _Dialect(is_postgres(session))
    if d.pg:  # the wave's window sorts every planned row: in memory rather than on disk
        await session.execute(text("SET LOCAL work_mem = '256MB'"))
        await _no_commit_flush(session)
    wave = max(1, int(settings.rate_per_second * 60))  # under a minute's worth goes out as planned
    shift = f"CASE WHEN cnt > {wave} THEN {d.fdiv('cnt - rn', ':rate')} ELSE 0 END"
    deadline = "COALESCE(e.deadline, a.deadline)"
    stmt = f"""
        INSERT INTO reminder (person_id, kind, assignment_id, lesson_id, due_at, expires_at,
                              offset_minutes, status, dedupe_key)
        SELECT person_id, 'deadline', assignment_id, NULL, {d.minus("deadline", "minutes", shift)},
               deadline, minutes, 'planned',
               'd:' || assignment_id || ':' || person_id || ':' || minutes || ':' || {d.epoch("deadline")}
        FROM (
            SELECT pr.person_id AS person_id, a.id AS assignment_id, o.minutes AS minutes,
                   {deadline} AS deadline,
                   count(*) OVER (PARTITION BY {deadline}, o.minutes) AS cnt,
                   row_number() OVER (PARTITION BY {deadline}, o.minutes
                                      ORDER BY pr.person_id, a.id) AS rn
            FROM assignment a
            JOIN course c ON c.id = a.course_id
            JOIN person_role pr ON pr.group_id = c.group_id AND pr.role = 'student'
            CROSS JOIN ({_offsets(settings.deadline_minutes)}) o
            LEFT JOIN extension e ON e.assignment_id = a.id AND e.student_id = pr.person_id
            WHERE c.organization_id = :org AND a.status = 'published'
              AND {deadline} > :now
              AND {d.minus(deadline, "o.minutes")} > :now
              AND NOT EXISTS (SELECT 1 FROM submission s WHERE s.assignment_id = a.id
                              AND s.student_id = pr.person_id AND s.status <> 'draft')
              AND NOT EXISTS (SELECT 1 FROM notification_preference np WHERE np.person_id = pr.person_id
                              AND np.kind = '{DEADLINE_REMINDERS}' AND np.enabled = false)
        ) planned
        WHERE true  -- SQLite needs a WHERE before an upsert's ON CONFLICT
        ON CONFLICT (dedupe_key) DO NOTHING
    """
    result = await session.execute(
        _params(stmt, now=UTCDateTime()), {"org": org_id, "now": now, "rate": settings.rate_per_second}
    )
    return max(rowcount(result) or 0, 0)


async def _plan_lessons(
    session: AsyncSession, org_id: int, settings: ReminderSettings, now: dt.datetime
) -> int:
    if not settings.lesson_minutes:
        return 0
    d = _Dialect(is_postgres(session))
    filters = "c.organization_id = :org AND l.mode = 'online' AND l.cancelled = false "
    filters += "AND l.starts_at > :now AND l.starts_at < :horizon"
    stmt = f"""
        INSERT INTO reminder (person_id, kind, assignment_id, lesson_id, due_at, expires_at,
                              offset_minutes, status, dedupe_key)
        SELECT person_id, 'lesson', NULL, lesson_id, {d.minus("starts", "o.minutes")}, starts, o.minutes,
               'planned',
               'l:' || lesson_id || ':' || person_id || ':' || o.minutes || ':' || {d.epoch("starts")}
        FROM (
            SELECT pr.person_id AS person_id, l.id AS lesson_id, l.starts_at AS starts
            FROM lesson l JOIN course c ON c.id = l.course_id
            JOIN person_role pr ON pr.group_id = c.group_id AND pr.role = 'student'
            WHERE l.student_id IS NULL AND {filters}
            UNION ALL
            SELECT l.student_id, l.id, l.starts_at
            FROM lesson l JOIN course c ON c.id = l.course_id
            WHERE l.student_id IS NOT NULL AND {filters}
        ) x
        CROSS JOIN ({_offsets(settings.lesson_minutes)}) o
        WHERE {d.minus("starts", "o.minutes")} > :now
          AND NOT EXISTS (SELECT 1 FROM notification_preference np WHERE np.person_id = x.person_id
                          AND np.kind = '{LESSON_REMINDERS}' AND np.enabled = false)
        ON CONFLICT (dedupe_key) DO NOTHING
    """
    result = await session.execute(
        _params(stmt, now=UTCDateTime(), horizon=UTCDateTime()),
        {"org": org_id, "now": now, "horizon": now + LESSON_HORIZON},
    )
    return max(rowcount(result) or 0, 0)


# -- the tick: due rows into the outbox --------------------------------------------------------
@dataclass(frozen=True)
class TickResult:
    claimed: int = 0  # reminders moved into the outbox
    messages: int = 0  # outbox rows (several reminders of one person merge into one)
    skipped: int = 0
    held: int = 0  # delayed by quiet hours

    def __add__(self, other: TickResult) -> TickResult:
        return TickResult(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


async def tick(
    sessions: async_sessionmaker[AsyncSession], now: dt.datetime | None = None, batch: int = BATCH
) -> TickResult:
    """Moves every due reminder into the outbox, batch by batch, one transaction each."""
    now = now or utcnow()
    async with sessions() as session, session.begin():
        total = TickResult(held=await _hold_quiet(session, now))
    while True:
        async with sessions() as session, session.begin():
            done = await _queue_batch(session, now, batch)
        total += done
        if done.claimed + done.skipped < batch:
            return total


async def _hold_quiet(session: AsyncSession, now: dt.datetime) -> int:
    """Moves what falls in an organization's quiet hours to their end, unless the deadline comes first."""
    held = 0
    for org_id, zone, org_settings in (
        await session.execute(select(Organization.id, Organization.timezone, Organization.settings))
    ).all():
        until = quiet_until(now, zone, ReminderSettings.of(org_settings))
        if until is None:
            continue
        hold = """
            UPDATE reminder SET due_at = :until
            WHERE status = 'planned' AND due_at <= :now AND expires_at > :until
              AND person_id IN (SELECT id FROM person WHERE organization_id = :org)
        """
        result = await session.execute(
            _params(hold, now=UTCDateTime(), until=UTCDateTime()), {"now": now, "until": until, "org": org_id}
        )
        held += rowcount(result) or 0
    return held


# Still wanted at the moment of sending: the person, assignment or lesson still exists (reminder
# has no foreign keys: a LEFT JOIN that finds nothing skips it), not expired, the work not
# handed in, the assignment still published with this very deadline (an extension counts), the
# lesson still on at the same time, and the student has not switched this kind of reminder off.
_WANTED = f"""(r.expires_at > :now AND pe.id IS NOT NULL AND CASE WHEN r.kind = 'deadline' THEN
        a.status = 'published' AND COALESCE(e.deadline, a.deadline) = r.expires_at
        AND NOT EXISTS (SELECT 1 FROM submission s WHERE s.assignment_id = r.assignment_id
                        AND s.student_id = r.person_id AND s.status <> 'draft')
        AND NOT EXISTS (SELECT 1 FROM notification_preference np WHERE np.person_id = r.person_id
                        AND np.kind = '{DEADLINE_REMINDERS}' AND np.enabled = false)
    ELSE
        l.cancelled = false AND l.starts_at = r.expires_at
        AND NOT EXISTS (SELECT 1 FROM notification_preference np WHERE np.person_id = r.person_id
                        AND np.kind = '{LESSON_REMINDERS}' AND np.enabled = false)
    END)"""


async def _queue_batch(session: AsyncSession, now: dt.datetime, batch: int) -> TickResult:
    """Claims up to `batch` due reminders, re-checks them, and queues one message per person.

    Set-based from end to end: the claimed rows, the people and the distinct messages are
    temporary tables; Python only renders each distinct message (content, language, zone)
    once, and the outbox rows are copied from it by one INSERT ... SELECT. Reminder.outbox_id
    stays empty: setting it costs a foreign-key check per row (+8 s a million, see bench/).
    """
    pg = is_postgres(session)
    d = _Dialect(pg)
    if pg:
        await _no_commit_flush(session)
    temp = "CREATE TEMP TABLE {} ON COMMIT DROP AS " if pg else "CREATE TEMP TABLE {} AS "
    if not pg:
        # Take SQLite's write lock first, so that what is read below stays true until the commit.
        await session.execute(text("UPDATE reminder SET status = status WHERE 0"))
        for table in ("tick_claim", "tick_person", "tick_payload"):
            await session.execute(text(f"DROP TABLE IF EXISTS temp.{table}"))
    pick = "SELECT * FROM reminder WHERE status = 'planned' AND due_at <= :now ORDER BY due_at LIMIT :batch"
    item = (
        f"CASE WHEN r.kind = 'deadline' THEN 'a' || r.assignment_id || '@' || {d.epoch('r.expires_at')} "
        "ELSE 'l' || r.lesson_id END"
    )
    await session.execute(
        _params(
            temp.format("tick_claim")
            + f"""SELECT r.id AS id, r.person_id AS person_id, {item} AS item,
                         r.assignment_id AS assignment_id, r.lesson_id AS lesson_id,
                         CASE WHEN {_WANTED} THEN 1 ELSE 0 END AS ok
                  FROM ({pick}{" FOR UPDATE SKIP LOCKED" if pg else ""}) r
                  LEFT JOIN person pe ON pe.id = r.person_id
                  LEFT JOIN assignment a ON a.id = r.assignment_id
                  LEFT JOIN extension e ON e.assignment_id = r.assignment_id AND e.student_id = r.person_id
                  LEFT JOIN lesson l ON l.id = r.lesson_id""",
            now=UTCDateTime(),
        ),
        {"now": now, "batch": batch},
    )
    claimed, wanted = (
        await session.execute(text("SELECT count(*), COALESCE(sum(ok), 0) FROM tick_claim"))
    ).one()
    if not claimed:
        return TickResult()

    # One line per person: the sorted, distinct items they have due, their language and zone.
    language = "COALESCE(p.locale, o.default_locale)"
    whatsapp = (
        "EXISTS (SELECT 1 FROM messenger_account ma WHERE ma.person_id = x.person_id "
        f"AND ma.channel = '{Channel.whatsapp.value}')"
    )
    if pg:
        per_person = (
            "SELECT person_id, min(id) AS first_id, string_agg(DISTINCT item, ',' ORDER BY item) AS sig "
            "FROM tick_claim WHERE ok = 1 GROUP BY person_id"
        )
    else:
        per_person = (
            "SELECT person_id, min(first_id) AS first_id, group_concat(item, ',') AS sig FROM "
            "(SELECT person_id, item, min(id) AS first_id FROM tick_claim WHERE ok = 1 "
            "GROUP BY person_id, item ORDER BY person_id, item) GROUP BY person_id"
        )
    await session.execute(
        text(
            temp.format("tick_person")
            + f"""SELECT x.person_id AS person_id, x.first_id AS first_id, x.sig AS sig,
                         {language} AS locale, o.timezone AS zone, {whatsapp} AS whatsapp
                  FROM ({per_person}) x
                  JOIN person p ON p.id = x.person_id JOIN organization o ON o.id = p.organization_id"""
        )
    )
    messages = 0
    if wanted:
        messages = await _insert_messages(session, pg, now)
    result = await session.execute(
        text(
            """UPDATE reminder SET status = CASE WHEN c.ok = 1 THEN 'queued' ELSE 'skipped' END
               FROM tick_claim c WHERE reminder.id = c.id AND reminder.status = 'planned'"""
        )
    )
    if (rowcount(result) or 0) != claimed:
        raise RuntimeError("reminders claimed by another tick: this batch is rolled back")
    return TickResult(claimed=int(wanted), messages=messages, skipped=int(claimed - wanted))


async def _insert_messages(session: AsyncSession, pg: bool, now: dt.datetime) -> int:
    """Renders each distinct message once and copies it into the outbox for everyone who gets it."""
    kinds = (await session.execute(text("SELECT DISTINCT sig, locale, zone FROM tick_person"))).tuples().all()
    rendered = await _build_payloads(session, kinds, now)
    json_type = "jsonb" if pg else "TEXT"
    await session.execute(
        text(
            f"CREATE TEMP TABLE tick_payload (sig text, locale text, zone text, payload {json_type}, "
            f"template_vars {json_type})" + (" ON COMMIT DROP" if pg else "")
        )
    )
    cast = "CAST({} AS jsonb)" if pg else "{}"
    await session.execute(
        text(
            f"INSERT INTO tick_payload VALUES (:sig, :locale, :zone, {cast.format(':payload')}, "
            f"{cast.format(':vars')})"
        ),
        [
            {"sig": s, "locale": lo, "zone": z, "payload": json.dumps(m.payload), "vars": json.dumps(m.vars)}
            for (s, lo, z), m in rendered.items()
        ],
    )
    if pg:  # temp tables have no statistics: without them the join below picks nested loops
        await session.execute(text("ANALYZE tick_person"))
        await session.execute(text("ANALYZE tick_payload"))
    result = await session.execute(
        _params(
            """INSERT INTO outbox_message (person_id, kind, priority, payload, template_vars, status,
                                           not_before, created_at, attempts, dedupe_key)
               SELECT tp.person_id, 'reminder', 0, pl.payload,
                      CASE WHEN tp.whatsapp THEN pl.template_vars END, 'pending', :now, :now, 0,
                      'rem:' || tp.person_id || ':' || tp.first_id
               FROM tick_person tp
               JOIN tick_payload pl ON pl.sig = tp.sig AND pl.locale = tp.locale AND pl.zone = tp.zone
               WHERE true
               ON CONFLICT (dedupe_key) DO NOTHING""",
            now=UTCDateTime(),
        ),
        {"now": now},
    )
    return int(rowcount(result) or 0)


# -- the message ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Due:
    title: str
    discipline: str
    deadline: dt.datetime


@dataclass(frozen=True)
class _LessonDue:
    discipline: str
    starts_at: dt.datetime
    link: str | None
    topic: str | None


@dataclass(frozen=True)
class _Rendered:
    payload: dict[str, Any]  # the Reply, without its empty fields (a million copies add up)
    vars: dict[str, str]  # WhatsApp template variables, for someone silent for 24 hours


async def _build_payloads(
    session: AsyncSession, kinds: Iterable[tuple[str, str, str]], now: dt.datetime
) -> dict[tuple[str, str, str], _Rendered]:
    kinds = list(kinds)
    claim = table("tick_claim", column("assignment_id"), column("lesson_id"), column("ok"))
    wanted = claim.c.ok == 1  # looked up through the claim table: a million ids are no bind list
    assignments = {
        a_id: (title, discipline)
        for a_id, title, discipline in (
            await session.execute(
                select(Assignment.id, Assignment.title, Course.discipline)
                .join(Course, Course.id == Assignment.course_id)
                .where(Assignment.id.in_(select(claim.c.assignment_id).where(wanted)))
            )
        ).all()
    }
    lessons = {
        lesson.id: _LessonDue(discipline, lesson.starts_at, lesson.link, lesson.topic)
        for lesson, discipline in (
            await session.execute(
                select(Lesson, Course.discipline)
                .join(Course, Course.id == Lesson.course_id)
                .where(Lesson.id.in_(select(claim.c.lesson_id).where(wanted)))
            )
        ).all()
    }
    out = {}
    for sig, locale, zone in kinds:
        due: list[tuple[int, _Due]] = []
        coming: list[_LessonDue] = []
        for i in sig.split(","):
            if i.startswith("a"):
                a_id, epoch = (int(x) for x in i[1:].split("@"))
                title, discipline = assignments.get(a_id, ("", ""))
                due.append((a_id, _Due(title, discipline, dt.datetime.fromtimestamp(epoch, dt.UTC))))
            elif int(i[1:]) in lessons:
                coming.append(lessons[int(i[1:])])
        t = Translator(locale, zone)
        out[(sig, locale, zone)] = _Rendered(
            compact_json(reminder_reply(t, due, coming, now)), template_variables(t, due, coming)
        )
    return out


def compact_json(reply: Reply) -> dict[str, Any]:
    """Reply.to_json() without the fields left at their defaults; Reply.from_json fills them back."""
    data = {k: v for k, v in reply.to_json().items() if v not in (None, False, [], "")}
    if "buttons" in data:
        data["buttons"] = [
            [{k: v for k, v in b.items() if v is not None} for b in row] for row in data["buttons"]
        ]
    return data


def template_variables(
    t: Translator, due: list[tuple[int, _Due]], coming: list[_LessonDue]
) -> dict[str, str]:
    """The approved "reminder" template's {{1}} (what is due) and {{2}} (the nearest moment).

    E.g. "Ustaz: {{1}} — {{2}}" approved in each language; the sender flattens and bounds them.
    """
    what = [f"«{d.title}» ({d.discipline})" for _, d in sorted(due, key=lambda x: x[1].deadline)]
    what += [lesson.discipline for lesson in sorted(coming, key=lambda x: x.starts_at)]
    moments = [d.deadline for _, d in due] + [lesson.starts_at for lesson in coming]
    return {"template": "reminder", "1": "; ".join(what), "2": t.datetime(min(moments)) if moments else ""}


def time_left(t: Translator, left: dt.timedelta) -> str:
    hours = left.total_seconds() / 3600
    if hours >= 48:
        return days_phrase(t, round(hours / 24))
    if hours >= 1:
        return hours_phrase(t, round(hours))
    minutes = max(1, math.ceil(left.total_seconds() / 60))
    return t.ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)


def reminder_reply(
    t: Translator, due: list[tuple[int, _Due]], coming: list[_LessonDue], now: dt.datetime
) -> Reply:
    lines: list[str] = []
    buttons: list[list[Button]] = []
    due.sort(key=lambda x: x[1].deadline)
    coming.sort(key=lambda x: x.starts_at)
    if len(due) == 1 and not coming:
        a_id, d = due[0]
        lines.append(
            t.gettext(
                "Reminder: the deadline of «{title}» ({course}) is {deadline}, {left} left. "
                "You have not handed in this work yet."
            ).format(
                title=d.title,
                course=d.discipline,
                deadline=t.datetime(d.deadline),
                left=time_left(t, d.deadline - now),
            )
        )
    elif due:
        lines.append(t.gettext("Reminder: deadlines are near, and this work is not handed in yet:"))
        for _, d in due:
            lines.append(
                "• "
                + t.gettext("«{title}» ({course}): {deadline}, {left} left").format(
                    title=d.title,
                    course=d.discipline,
                    deadline=t.datetime(d.deadline),
                    left=time_left(t, d.deadline - now),
                )
            )
    for a_id, d in due[:5]:
        label = (
            t.gettext("Submit work")
            if len(due) == 1
            else t.gettext("Submit: {title}").format(title=shorten(d.title, 40))
        )
        buttons.append([Submit(a_id).button(label)])
    for lesson in coming:
        if lines:
            lines.append("")
        lines.append(
            t.gettext("Online lesson {course} starts at {time} ({left}).").format(
                course=lesson.discipline,
                time=t.time(lesson.starts_at),
                left=time_left(t, lesson.starts_at - now),
            )
        )
        if lesson.topic:
            lines.append(t.gettext("Topic: {topic}").format(topic=lesson.topic))
        if lesson.link:
            lines.append(t.gettext("Link: {link}").format(link=lesson.link))
            buttons.append([link_button(t.gettext("Join the lesson"), lesson.link)])
    return Reply("\n".join(lines), buttons=buttons)


# -- the scheduler's entry points ------------------------------------------------------------------
async def delete_orphans(session: AsyncSession) -> int:
    """Deletes reminders whose person, assignment or lesson is gone (the table has no foreign keys).

    The tick's re-check already skips them; this only keeps the table from growing.
    """
    result = await session.execute(
        text(
            """DELETE FROM reminder WHERE id IN (
                   SELECT r.id FROM reminder r
                   LEFT JOIN person p ON p.id = r.person_id
                   LEFT JOIN assignment a ON a.id = r.assignment_id
                   LEFT JOIN lesson l ON l.id = r.lesson_id
                   WHERE p.id IS NULL OR (r.assignment_id IS NOT NULL AND a.id IS NULL)
                      OR (r.lesson_id IS NOT NULL AND l.id IS NULL))"""
        )
    )
    return max(rowcount(result) or 0, 0)


async def plan_tick(runtime: Any) -> int:
    async with runtime.sessions() as session, session.begin():
        await delete_orphans(session)
        return await plan(session)


async def queue_tick(runtime: Any) -> TickResult:
    return await tick(runtime.sessions)
