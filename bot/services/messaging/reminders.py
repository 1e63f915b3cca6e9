"""Deadline and lesson reminders: planned as rows, moved into the outbox by a scheduler tick.

Planning is one INSERT ... SELECT per organization and kind (set-based: a million
students is one statement, not a million ORM objects); the dedupe key (what, who,
offset, the deadline itself) makes planning idempotent, and a changed deadline plans
afresh. The tick, in one transaction per batch:

1. skips what has expired, is no longer needed (work handed in, assignment closed,
   deadline moved, lesson cancelled) or was switched off: checked again at sending;
2. holds reminders in the organization's quiet hours until they end, unless the
   deadline would pass first (then it goes now rather than never);
3. claims due rows (one tick at a time: PostgreSQL by an advisory lock, SQLite by its write
   lock, so two instances never take the same one) and merges everything one person has due into one
   message, rendered and stored once per distinct content, language and zone
   (outbox.share_payloads); each person's outbox row only points at it
   (outbox.enqueue_from_select), so a wave writes no million copies of a message.

Every statement is SQLAlchemy Core built from the models, the same on both databases;
what they spell differently (date arithmetic, an ordered string aggregate) is in
db.statements.

A wave too big for the channel's rate (organization setting, Telegram's 30 a second by
default) is planned back from its deadline so that its last message leaves on time.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Exists,
    Float,
    Integer,
    MetaData,
    Subquery,
    Table,
    Text,
    and_,
    case,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased
from sqlalchemy.schema import CreateTable, DropTable

from bot.actions.student import StartTest, Submit
from bot.core.actions import link_button
from bot.core.messages import Button, Reply, shorten
from bot.i18n import Translator
from bot.labels import days_phrase, hours_phrase
from bot.queues.outbox import REMINDER_KIND, enqueue_from_select, share_payloads
from db.base import utcnow
from db.models import (
    Assignment,
    AssignmentStatus,
    Course,
    Extension,
    Lesson,
    LessonMode,
    NotificationPreference,
    Organization,
    Person,
    PersonRole,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Role,
    Submission,
    SubmissionStatus,
    TestAttempt,
)
from db.session import is_postgres, rowcount
from db.statements import epoch_seconds, insert_or_ignore, joined_text, minutes_before, sorted_join

# NotificationPreference kinds a student can switch off.
DEADLINE_REMINDERS = "reminder_deadline"
LESSON_REMINDERS = "reminder_lesson"

LESSON_HORIZON = dt.timedelta(days=8)  # lesson reminders are planned for the coming week
BATCH = 250_000
RENDER_CHUNK = 2_000  # distinct messages rendered and stored at a time
FRESH_STATISTICS = 50_000  # planned rows after which planning refreshes the table's statistics


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


# -- pieces of the statements --------------------------------------------------------------
def _offsets(minutes: Iterable[int]) -> Subquery:
    """A one-column table of offsets; inline ints from settings, as SQLite has no VALUES aliases."""
    rows = [select(literal_column(str(int(m)), Integer).label("minutes")) for m in sorted(set(minutes))]
    if not rows:
        return select(literal_column("0", Integer).label("minutes")).where(false()).subquery("o")
    return union_all(*rows).subquery("o")


def _switched_off(person_id: Any, kind: str) -> Exists:
    """The person switched this kind of reminder off."""
    return exists().where(
        NotificationPreference.person_id == person_id,
        NotificationPreference.kind == kind,
        NotificationPreference.enabled == false(),
    )


def _handed_in(assignment_id: Any, student_id: Any) -> ColumnElement[bool]:
    """Work handed in, or, for a test, an attempt finished: either way nothing is left to remind of."""
    submitted = exists().where(
        Submission.assignment_id == assignment_id,
        Submission.student_id == student_id,
        Submission.status != SubmissionStatus.draft,
    )
    own = aliased(Assignment)  # its own alias: the outer query may hold Assignment already
    tested = (
        select(TestAttempt.id)
        .join(own, own.test_id == TestAttempt.test_id)
        .where(
            own.id == assignment_id,
            TestAttempt.student_id == student_id,
            TestAttempt.finished_at.is_not(None),
        )
        .exists()
    )
    return or_(submitted, tested)


handed_in = _handed_in  # the assignment's card names who is missing by the same rule


def _constant(column: str, value: Any) -> Any:
    """A value bound with the reminder column's own type (an enum as its string)."""
    return literal(value, Reminder.__table__.c[column].type)


# Written into the SQL rather than bound: only then may the planner use the partial index
# ix_reminder_planned (status = 'planned'), on SQLite and in PostgreSQL's generic plans alike.
_IS_PLANNED = Reminder.status == literal(
    ReminderStatus.planned, Reminder.__table__.c.status.type, literal_execute=True
)


# The columns planning writes, in the order of its SELECTs.
_PLANNED = (
    "person_id", "kind", "assignment_id", "lesson_id", "due_at", "expires_at", "offset_minutes", "status",
    "dedupe_key",
)  # fmt: skip


async def _no_commit_flush(session: AsyncSession) -> None:
    """PostgreSQL: this transaction's commit does not wait for its WAL to reach the disk.

    Safe for reminders: a crash can lose only the last moments' committed batches, never
    corrupt them, and what is lost is recovered by itself: planning is idempotent and
    re-runs every tick (lost planned rows are planned again), and a lost queue batch loses
    its outbox rows together with its reminders' status change, so the next tick queues
    those reminders again.
    """
    await session.execute(text("SET LOCAL synchronous_commit = off"))


async def _no_jit(session: AsyncSession) -> None:
    """PostgreSQL: no JIT compilation for this transaction's bulk statements.

    Their estimated cost (a million rows, the re-check's sub-queries) passes jit_above_cost, and
    compiling took 0.4-1.1 s per statement, more than it saved: ~3.5 s of a 1,000,000-reminder wave.
    """
    await session.execute(text("SET LOCAL jit = off"))


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
    if added >= FRESH_STATISTICS and is_postgres(session):
        # A wave just grew the table far past what autovacuum last saw: without fresh statistics
        # the tick's claim sorts every planned row of each batch instead of reading its index in order.
        await session.execute(text("ANALYZE reminder"))
    return added


async def plan_assignment(session: AsyncSession, assignment_id: int, now: dt.datetime | None = None) -> int:
    """One assignment's deadline reminders, planned in the caller's transaction when it is posted or its
    deadline (or a student's extension) is set: an offset due before the next planning tick is kept."""
    row = (
        await session.execute(
            select(Organization.id, Organization.settings)
            .join(Course, Course.organization_id == Organization.id)
            .join(Assignment, Assignment.course_id == Course.id)
            .where(Assignment.id == assignment_id)
        )
    ).first()
    if row is None:
        return 0
    return await _plan_deadlines(session, row[0], ReminderSettings.of(row[1]), now or utcnow(), assignment_id)


async def _plan_deadlines(
    session: AsyncSession,
    org_id: int,
    settings: ReminderSettings,
    now: dt.datetime,
    assignment_id: int | None = None,  # one assignment, in a teacher's transaction
) -> int:
    if not settings.deadline_minutes:
        return 0
    # The wave's window sorts every planned row: in memory rather than on disk; and the commit need not
    # wait for the disk, but not in a teacher's own transaction (one assignment).
    if is_postgres(session) and assignment_id is None:
        await session.execute(text("SET LOCAL work_mem = '256MB'"))
        await _no_commit_flush(session)
        await _no_jit(session)
    wave = max(1, int(settings.rate_per_second * 60))  # under a minute's worth goes out as planned
    o = _offsets(settings.deadline_minutes)
    deadline = func.coalesce(Extension.deadline, Assignment.deadline)
    moment = [deadline, o.c.minutes]
    planned = (
        select(
            PersonRole.person_id.label("person_id"),
            Assignment.id.label("assignment_id"),
            o.c.minutes.label("minutes"),
            deadline.label("deadline"),
            func.count().over(partition_by=moment).label("cnt"),
            func.row_number()
            .over(partition_by=moment, order_by=[PersonRole.person_id, Assignment.id])
            .label("rn"),
        )
        .select_from(Assignment)
        .join(Course, Course.id == Assignment.course_id)
        .join(PersonRole, and_(PersonRole.group_id == Course.group_id, PersonRole.role == Role.student))
        .join(o, true())
        .outerjoin(
            Extension,
            and_(Extension.assignment_id == Assignment.id, Extension.student_id == PersonRole.person_id),
        )
        .where(
            Course.organization_id == org_id,
            Assignment.status == AssignmentStatus.published,
            deadline > now,
            minutes_before(deadline, o.c.minutes) > now,
            ~_handed_in(Assignment.id, PersonRole.person_id),
            ~_switched_off(PersonRole.person_id, DEADLINE_REMINDERS),
            true() if assignment_id is None else Assignment.id == assignment_id,
        )
        .subquery("planned")
    )
    # A wave too big for the rate starts early: the n-th of cnt goes (cnt - n) / rate seconds sooner.
    rate = literal(settings.rate_per_second, Float)
    shift = case((planned.c.cnt > wave, cast(planned.c.cnt - planned.c.rn, Float) / rate), else_=0)
    rows = select(
        planned.c.person_id,
        _constant("kind", ReminderKind.deadline),
        planned.c.assignment_id,
        null(),
        minutes_before(planned.c.deadline, planned.c.minutes, shift),
        planned.c.deadline,
        planned.c.minutes,
        _constant("status", ReminderStatus.planned),
        joined_text(
            "d:",
            planned.c.assignment_id,
            ":",
            planned.c.person_id,
            ":",
            planned.c.minutes,
            ":",
            epoch_seconds(planned.c.deadline),
        ),
    ).where(true())  # SQLite needs a WHERE before an upsert's ON CONFLICT
    stmt = insert_or_ignore(session, Reminder, ["dedupe_key"]).from_select(_PLANNED, rows)
    return max(rowcount(await session.execute(stmt)), 0)


async def _plan_lessons(
    session: AsyncSession, org_id: int, settings: ReminderSettings, now: dt.datetime
) -> int:
    if not settings.lesson_minutes:
        return 0
    on = (
        Course.organization_id == org_id,
        Lesson.mode == LessonMode.online,
        Lesson.cancelled == false(),
        Lesson.starts_at > now,
        Lesson.starts_at < now + LESSON_HORIZON,
    )
    group_lessons = (
        select(
            PersonRole.person_id.label("person_id"),
            Lesson.id.label("lesson_id"),
            Lesson.starts_at.label("starts"),
        )
        .join(Course, Course.id == Lesson.course_id)
        .join(PersonRole, and_(PersonRole.group_id == Course.group_id, PersonRole.role == Role.student))
        .where(Lesson.student_id.is_(None), *on)
    )
    own_lessons = (
        select(Lesson.student_id, Lesson.id, Lesson.starts_at)
        .join(Course, Course.id == Lesson.course_id)
        .where(Lesson.student_id.is_not(None), *on)
    )
    x = union_all(group_lessons, own_lessons).subquery("x")
    o = _offsets(settings.lesson_minutes)
    rows = (
        select(
            x.c.person_id,
            _constant("kind", ReminderKind.lesson),
            null(),
            x.c.lesson_id,
            minutes_before(x.c.starts, o.c.minutes),
            x.c.starts,
            o.c.minutes,
            _constant("status", ReminderStatus.planned),
            joined_text(
                "l:", x.c.lesson_id, ":", x.c.person_id, ":", o.c.minutes, ":", epoch_seconds(x.c.starts)
            ),
        )
        .select_from(x)
        .join(o, true())
        .where(
            minutes_before(x.c.starts, o.c.minutes) > now,
            ~_switched_off(x.c.person_id, LESSON_REMINDERS),
        )
    )
    stmt = insert_or_ignore(session, Reminder, ["dedupe_key"]).from_select(_PLANNED, rows)
    return max(rowcount(await session.execute(stmt)), 0)


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
        await _one_tick_at_a_time(session)
        total = TickResult(held=await _hold_quiet(session, now))
    while True:
        async with sessions() as session, session.begin():
            done = await _queue_batch(session, now, batch)
        total += done
        if done.claimed + done.skipped < batch:
            return total


# The advisory lock that lets one tick at a time (of any instance) hold or claim reminders.
TICK_LOCK_KEY = 0x75737A05


async def _one_tick_at_a_time(session: AsyncSession) -> None:
    """PostgreSQL: waits for another instance's tick transaction, then holds the lock to the commit.

    Instead of a row lock on each claimed reminder (FOR UPDATE SKIP LOCKED wrote every row once
    more, ~1 s a million): each batch's statements start after the other's commit and see its
    statuses. SQLite serializes writers anyway.
    """
    if is_postgres(session):
        await session.execute(select(func.pg_advisory_xact_lock(TICK_LOCK_KEY)))


async def _hold_quiet(session: AsyncSession, now: dt.datetime) -> int:
    """Moves what falls in an organization's quiet hours to their end, unless the deadline comes first."""
    held = 0
    for org_id, zone, org_settings in (
        await session.execute(select(Organization.id, Organization.timezone, Organization.settings))
    ).all():
        until = quiet_until(now, zone, ReminderSettings.of(org_settings))
        if until is None:
            continue
        hold = (
            update(Reminder)
            .where(
                _IS_PLANNED,
                Reminder.due_at <= now,
                Reminder.expires_at > until,
                Reminder.person_id.in_(select(Person.id).where(Person.organization_id == org_id)),
            )
            .values(due_at=until)
            .execution_options(synchronize_session=False)
        )
        held += rowcount(await session.execute(hold)) or 0
    return held


# The tick's working tables, one transaction long (PostgreSQL drops them at the commit; SQLite
# keeps them for the connection, so each batch drops what a previous one left).
_TICK = MetaData()
_TEMP: dict[str, Any] = {"prefixes": ["TEMPORARY"], "postgresql_on_commit": "DROP"}
# The claimed reminders: `item` names what is due ("a<assignment>@<deadline epoch>" or
# "l<lesson>"); ok = 1 if it is still wanted; the person's language and zone, read by the same join
# that checks the person still exists.
_CLAIM = Table(
    "tick_claim",
    _TICK,
    Column("key", Text),  # the reminder's dedupe key, its primary key
    Column("person_id", BigInteger),
    Column("item", Text),
    Column("assignment_id", BigInteger),
    Column("lesson_id", BigInteger),
    Column("ok", Integer),
    Column("locale", Text),
    Column("zone", Text),
    **_TEMP,
)
# One line per person: the sorted, distinct items they have due, their language and zone.
_PERSON = Table(
    "tick_person",
    _TICK,
    Column("person_id", BigInteger),
    Column("sig", Text),
    Column("locale", Text),
    Column("zone", Text),
    **_TEMP,
)
# Each distinct message: its shared outbox payload, rendered once.
_PAYLOAD = Table(
    "tick_payload",
    _TICK,
    Column("sig", Text),
    Column("locale", Text),
    Column("zone", Text),
    Column("payload_id", BigInteger),
    **_TEMP,
)


async def _fresh(session: AsyncSession, temp: Table, pg: bool) -> None:
    if not pg:  # PostgreSQL dropped it at the last commit
        await session.execute(DropTable(temp, if_exists=True))
    await session.execute(CreateTable(temp))


def _wanted(r: Subquery, now: dt.datetime) -> ColumnElement[bool]:
    """Still wanted at the moment of sending.

    The person, assignment or lesson still exists (reminder has no foreign keys: a LEFT JOIN
    that finds nothing skips it), not expired, the work not handed in, the assignment still
    published with this very deadline (an extension counts), the lesson still on at the same
    time, and the student has not switched this kind of reminder off.
    """
    deadline_still = and_(
        Assignment.status == AssignmentStatus.published,
        func.coalesce(Extension.deadline, Assignment.deadline) == r.c.expires_at,
        ~_handed_in(r.c.assignment_id, r.c.person_id),
        ~_switched_off(r.c.person_id, DEADLINE_REMINDERS),
    )
    lesson_still = and_(
        Lesson.cancelled == false(),
        Lesson.starts_at == r.c.expires_at,
        ~_switched_off(r.c.person_id, LESSON_REMINDERS),
    )
    return and_(
        r.c.expires_at > now,
        Person.id.is_not(None),
        case((r.c.kind == ReminderKind.deadline, deadline_still), else_=lesson_still),
    )


async def _queue_batch(session: AsyncSession, now: dt.datetime, batch: int) -> TickResult:
    """Claims up to `batch` due reminders, re-checks them, and queues one message per person.

    Set-based from end to end: the claimed rows, the people and the distinct messages are
    temporary tables; Python only renders each distinct message (content, language, zone)
    once, and the outbox rows are copied from it by one INSERT ... SELECT. A reminder does not
    name its outbox row: linking them cost a write per row (+8 s a million, see bench/).
    """
    pg = is_postgres(session)
    if pg:
        await _no_commit_flush(session)
        # The batch's sorts and aggregates (per person, per item) in memory rather than on disk.
        await session.execute(text("SET LOCAL work_mem = '128MB'"))
        await _no_jit(session)
        await _one_tick_at_a_time(session)
    else:
        # Take SQLite's write lock first, so that what is read below stays true until the commit.
        await session.execute(
            update(Reminder)
            .where(false())
            .values(status=Reminder.status)
            .execution_options(synchronize_session=False)
        )
    for temp in (_CLAIM, _PERSON, _PAYLOAD):
        await _fresh(session, temp, pg)

    # No row locks: this transaction is the only tick (above). Anything else that changes these rows
    # meanwhile (the plan tick deleting orphans) makes the status update below miss some, and the
    # batch rolls back.
    r = (
        select(Reminder.__table__)
        .where(_IS_PLANNED, Reminder.due_at <= now)
        .order_by(Reminder.due_at)
        .limit(batch)
        .subquery("r")
    )
    item = case(
        (
            r.c.kind == ReminderKind.deadline,
            joined_text("a", r.c.assignment_id, "@", epoch_seconds(r.c.expires_at)),
        ),
        else_=joined_text("l", r.c.lesson_id),
    )
    claims = select(
        r.c.dedupe_key,
        r.c.person_id,
        item,
        r.c.assignment_id,
        r.c.lesson_id,
        case((_wanted(r, now), 1), else_=0),
        func.coalesce(Person.locale, Organization.default_locale),
        Organization.timezone,
    ).select_from(
        r.outerjoin(Person, Person.id == r.c.person_id)
        .outerjoin(Organization, Organization.id == Person.organization_id)
        .outerjoin(Assignment, Assignment.id == r.c.assignment_id)
        .outerjoin(
            Extension,
            and_(Extension.assignment_id == r.c.assignment_id, Extension.student_id == r.c.person_id),
        )
        .outerjoin(Lesson, Lesson.id == r.c.lesson_id)
    )
    await session.execute(insert(_CLAIM).from_select(list(_CLAIM.c.keys()), claims))
    if pg:  # temp tables have no statistics: the status update below would hash every planned row
        await session.execute(text("ANALYZE tick_claim"))
    claimed, wanted = (
        await session.execute(select(func.count(), func.coalesce(func.sum(_CLAIM.c.ok), 0)))
    ).one()
    if not claimed:
        return TickResult()

    # Distinct items per person, in order (sorted_join needs its input sorted on SQLite).
    # (A person's language and zone are the same on each of their rows: grouped by, not joined again.)
    c = _CLAIM.c
    items = (
        select(c.person_id, c.locale, c.zone, c.item)
        .where(c.ok == 1)
        .group_by(c.person_id, c.locale, c.zone, c.item)
        .order_by(c.person_id, c.locale, c.zone, c.item)
        .subquery("i")
    )
    people = select(
        items.c.person_id, sorted_join(items.c.item).label("sig"), items.c.locale, items.c.zone
    ).group_by(items.c.person_id, items.c.locale, items.c.zone)
    await session.execute(insert(_PERSON).from_select(list(_PERSON.c.keys()), people))
    messages = 0
    if wanted:
        messages = await _insert_messages(session, pg, now)
    status = case(
        (_CLAIM.c.ok == 1, _constant("status", ReminderStatus.queued)),
        else_=_constant("status", ReminderStatus.skipped),
    )
    result = await session.execute(
        update(Reminder)
        .where(Reminder.dedupe_key == _CLAIM.c.key, Reminder.status == ReminderStatus.planned)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    if (rowcount(result) or 0) != claimed:
        raise RuntimeError("reminders claimed by another tick: this batch is rolled back")
    return TickResult(claimed=int(wanted), messages=messages, skipped=int(claimed - wanted))


async def _insert_messages(session: AsyncSession, pg: bool, now: dt.datetime) -> int:
    """Renders each distinct message once, stores it once, and queues a row per person pointing at it.

    The rows carry no copy of the message (outbox_payload holds it) and no dedupe key: the
    claimed reminders turn `queued` in this same transaction, so none can be queued twice.
    """
    kinds = (
        (await session.execute(select(_PERSON.c.sig, _PERSON.c.locale, _PERSON.c.zone).distinct()))
        .tuples()
        .all()
    )
    lookups = await _lookups(session)
    # A few thousand messages at a time: a batch may hold tens of thousands of distinct ones, and
    # rendered all at once they alone took more memory than the rest of the process.
    for start in range(0, len(kinds), RENDER_CHUNK):
        chunk = kinds[start : start + RENDER_CHUNK]
        rendered = _render(chunk, lookups, now)
        ids = await share_payloads(session, [(m.payload, m.vars) for m in rendered])
        await session.execute(
            insert(_PAYLOAD),
            [
                {"sig": s, "locale": lo, "zone": z, "payload_id": i}
                for (s, lo, z), i in zip(chunk, ids, strict=True)
            ],
        )
    if pg:  # temp tables have no statistics: without them the join below picks nested loops
        await session.execute(text("ANALYZE tick_person"))
        await session.execute(text("ANALYZE tick_payload"))
    tp, pl = _PERSON.c, _PAYLOAD.c
    rows = select(tp.person_id.label("person_id"), pl.payload_id.label("payload_id")).join_from(
        _PERSON, _PAYLOAD, and_(pl.sig == tp.sig, pl.locale == tp.locale, pl.zone == tp.zone)
    )
    return await enqueue_from_select(
        session, rows, kind=REMINDER_KIND, not_before=now, created_at=now, dedupe=False
    )


# -- the message ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Due:
    title: str
    discipline: str
    deadline: dt.datetime
    is_test: bool = False  # taken, not handed in: its own words and a button that starts it


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


@dataclass(frozen=True)
class _Lookups:
    assignments: dict[int, tuple[str, str, bool]]  # title, discipline, is a test
    lessons: dict[int, _LessonDue]


async def _lookups(session: AsyncSession) -> _Lookups:
    """The claimed assignments and lessons a message names, read once per batch."""
    claim = _CLAIM
    wanted = claim.c.ok == 1  # looked up through the claim table: a million ids are no bind list
    assignments = {
        a_id: (title, discipline, test_id is not None)
        for a_id, title, discipline, test_id in (
            await session.execute(
                select(Assignment.id, Assignment.title, Course.discipline, Assignment.test_id)
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
    return _Lookups(assignments, lessons)


class _MemoTranslator(Translator):
    """Formats each moment once: a wave's messages name the same few deadlines tens of thousands
    of times, and babel's formatting was half the rendering."""

    def __init__(self, locale: str, timezone: str) -> None:
        super().__init__(locale, timezone)
        self._formatted: dict[tuple[dt.datetime, str | None, bool], str] = {}

    def datetime(self, moment: dt.datetime, fmt: str | None = None, *, year: bool = False) -> str:
        key = (moment, fmt, year)
        found = self._formatted.get(key)
        if found is None:
            found = self._formatted[key] = super().datetime(moment, fmt, year=year)
        return found


def _render(kinds: Sequence[tuple[str, str, str]], lookups: _Lookups, now: dt.datetime) -> list[_Rendered]:
    """Each distinct message (items due, language, zone), in the order of `kinds`."""
    translators: dict[tuple[str, str], Translator] = {}
    out = []
    for sig, locale, zone in kinds:
        due: list[tuple[int, _Due]] = []
        coming: list[_LessonDue] = []
        for i in sig.split(","):
            if i.startswith("a"):
                a_id, epoch = (int(x) for x in i[1:].split("@"))
                title, discipline, is_test = lookups.assignments.get(a_id, ("", "", False))
                deadline = dt.datetime.fromtimestamp(epoch, dt.UTC)
                due.append((a_id, _Due(title, discipline, deadline, is_test)))
            elif int(i[1:]) in lookups.lessons:
                coming.append(lookups.lessons[int(i[1:])])
        t = translators.get((locale, zone)) or translators.setdefault(
            (locale, zone), _MemoTranslator(locale, zone)
        )
        out.append(
            _Rendered(compact_json(reminder_reply(t, due, coming, now)), template_variables(t, due, coming))
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
            (
                t.gettext(
                    "Reminder: the test «{title}» ({course}) closes {deadline}, {left} left. "
                    "You have not taken it yet."
                )
                if d.is_test
                else t.gettext(
                    "Reminder: the deadline of «{title}» ({course}) is {deadline}, {left} left. "
                    "You have not handed in this work yet."
                )
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
        if d.is_test:
            label = (
                t.gettext("Take the test")
                if len(due) == 1
                else t.gettext("Take the test: {title}").format(title=shorten(d.title, 40))
            )
            buttons.append([StartTest(a_id).button(label)])
            continue
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
    r = aliased(Reminder)  # not correlated with the DELETE's own table
    orphans = (
        select(r.dedupe_key)
        .outerjoin(Person, Person.id == r.person_id)
        .outerjoin(Assignment, Assignment.id == r.assignment_id)
        .outerjoin(Lesson, Lesson.id == r.lesson_id)
        .where(
            or_(
                Person.id.is_(None),
                and_(r.assignment_id.is_not(None), Assignment.id.is_(None)),
                and_(r.lesson_id.is_not(None), Lesson.id.is_(None)),
            )
        )
    )
    result = await session.execute(
        delete(Reminder).where(Reminder.dedupe_key.in_(orphans)).execution_options(synchronize_session=False)
    )
    return max(rowcount(result) or 0, 0)


async def plan_tick(runtime: Any) -> int:
    async with runtime.sessions() as session, session.begin():
        await delete_orphans(session)
        return await plan(session)


async def queue_tick(runtime: Any) -> TickResult:
    return await tick(runtime.sessions)
