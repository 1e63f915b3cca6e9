"""Reports on distance learning for the head and methodists (002 item 26-1, duty 16).

Students by distance-learning category, assignments and their on-time rate per
group and course, the grades distribution, students with missed deadlines and
parents not reached. A teacher's report covers only the teacher's own courses.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Sized
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.deps import Deps
from bot.core.messages import OutFile, Reply
from bot.files.store import FileStore
from bot.files.tables import XLSX_MIME, with_images, xlsx
from bot.i18n import LOCALES, N_, Translator
from bot.labels import message_kind
from bot.services.admin.applications import CATEGORIES
from bot.services.attestation import admission
from bot.services.coursework import gradebook, grading_scale
from bot.services.messaging.notify import notify
from db.base import utcnow
from db.models import (
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Attendance,
    Course,
    DistanceApplication,
    Grade,
    GradingScheme,
    Group,
    Lesson,
    MessengerAccount,
    Organization,
    OutboxMessage,
    OutboxStatus,
    ParentLink,
    Person,
    PersonRole,
    Role,
    Submission,
)


@dataclass(frozen=True)
class CourseLine:
    group: str
    discipline: str
    assignments: int  # whose deadline has passed
    expected: int  # students x those assignments
    on_time: int
    late: int
    students: int = 0
    admitted: int = 0  # admitted to attestation (admission.decide, 001 item 29)

    @property
    def missing(self) -> int:
        return self.expected - self.on_time - self.late

    @property
    def rate(self) -> int | None:
        """None when nothing was due: a course with no tasks is not «100 % on time»."""
        return round(100 * self.on_time / self.expected) if self.expected else None


@dataclass(frozen=True)
class RiskLine:
    """A student combining missed work, absences and failing grades (FX/F: under 50 %)."""

    student: str
    group: str
    missed: int
    absences: int
    failing: int

    @property
    def total(self) -> int:
        return self.missed + self.absences + self.failing


@dataclass
class Report:
    generated_at: dt.datetime
    since: dt.datetime | None = None  # a weekly report covers deadlines and grades from here on
    by_category: list[tuple[str, int]] = field(default_factory=list)
    courses: list[CourseLine] = field(default_factory=list)
    grades: list[tuple[str, int]] = field(default_factory=list)
    missed: list[tuple[str, str, str, str]] = field(default_factory=list)  # student, group, discipline, title
    parents_not_reached: list[str] = field(default_factory=list)
    absences: list[tuple[str, int]] = field(default_factory=list)  # group, lessons missed
    risk: list[RiskLine] = field(default_factory=list)
    # WhatsApp messages held outside the 24-hour window for want of a template: (kind, count).
    waiting_template: list[tuple[str, int]] = field(default_factory=list)


async def build(
    session: AsyncSession,
    organization_id: int,
    *,
    teacher_id: int | None = None,
    since: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """The report up to `now`; with `since`, only what fell due and was graded from then on (a week)."""
    now = now or utcnow()
    report = Report(now, since)
    course_query = (
        select(Course, Group.name)
        .join(Group, Group.id == Course.group_id)
        .where(Course.organization_id == organization_id)
        .order_by(Group.name, Course.discipline)
    )
    if teacher_id is not None:
        course_query = course_query.where(Course.teacher_id == teacher_id)
    courses = (await session.execute(course_query)).all()
    group_ids = {c.group_id for c, _ in courses}
    # Each student with the moment they joined the group: a deadline before it is not theirs to miss.
    students_by_group: dict[int, list[tuple[int, str, dt.datetime]]] = defaultdict(list)
    for pid, name, gid, joined in await session.execute(
        select(Person.id, Person.full_name, PersonRole.group_id, PersonRole.created_at)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(PersonRole.role == Role.student, PersonRole.group_id.in_(group_ids))
        .order_by(Person.full_name)
    ):
        students_by_group[gid].append((pid, name, joined))

    org_settings = await session.scalar(
        select(Organization.settings).where(Organization.id == organization_id)
    )
    for course, group_name in courses:
        due = list(
            await session.scalars(
                select(Assignment).where(
                    Assignment.course_id == course.id,
                    Assignment.deadline <= now,
                    Assignment.deadline >= (since or dt.datetime.min.replace(tzinfo=dt.UTC)),
                    Assignment.status != AssignmentStatus.draft,
                )
            )
        )
        students = students_by_group[course.group_id]
        on_time = late = expected = 0
        for assignment in due:
            subs = {
                s.student_id: s
                for s in await session.scalars(
                    select(Submission).where(
                        Submission.assignment_id == assignment.id, Submission.submitted_at.is_not(None)
                    )
                )
            }
            for pid, name, joined in students:
                sub = subs.get(pid)
                if sub is None and joined > assignment.deadline:
                    continue  # joined after the due date: not expected of them
                expected += 1
                if sub is not None and not sub.late:
                    on_time += 1
                    continue
                late += sub is not None
                report.missed.append((name, group_name, course.discipline, assignment.title))
        columns = await admission.columns(session, course.id, now)
        missing = await admission.missing_by_student(session, columns, [pid for pid, *_ in students])
        settings = grading_scale.GradingSettings.of(org_settings)
        if settings.admission_threshold is None:
            admitted = sum(1 for pid, *_ in students if admission.decide(missing[pid], None, settings))
        else:  # the organization's threshold needs each student's rating: the gradebook has it
            admitted = sum(
                1 for row in (await gradebook.build(session, None, course.id)).rows if row.admitted
            )
        report.courses.append(
            CourseLine(
                group_name,
                course.discipline,
                len(due),
                expected,
                on_time,
                late,
                len(students),
                admitted,
            )
        )

    course_ids = [c.id for c, _ in courses]
    # Each grade on the organization's own scale (letters for colleges and universities, marks for schools).
    scheme = await session.scalar(
        select(Organization.grading_scheme).where(Organization.id == organization_id)
    )
    marks: Counter[tuple[Decimal, str]] = Counter()
    failing: Counter[int] = Counter()
    for score, max_score, student_id in await session.execute(
        select(Grade.score, Assignment.max_score, Grade.student_id)
        .join(Assignment, Assignment.id == Grade.assignment_id)
        .where(
            Assignment.course_id.in_(course_ids),
            Grade.released.is_(True),
            Grade.graded_at >= (since or dt.datetime.min.replace(tzinfo=dt.UTC)),
        )
    ):
        percent = grading_scale.percent(score, max_score)
        m = grading_scale.mark(percent, scheme or GradingScheme.letter)
        marks[(m.points, m.symbol)] += 1
        failing[student_id] += percent < 50
    report.grades = [(symbol, n) for (_points, symbol), n in sorted(marks.items(), reverse=True)]

    # Absences in the period, by group and by student; then the students at risk.
    absent: Counter[int] = Counter(
        await session.scalars(
            select(Attendance.student_id)
            .join(Lesson, Lesson.id == Attendance.lesson_id)
            .where(
                Lesson.course_id.in_(course_ids),
                Attendance.present.is_(False),
                Lesson.starts_at <= now,
                Lesson.starts_at >= (since or dt.datetime.min.replace(tzinfo=dt.UTC)),
            )
        )
    )
    group_of = {pid: g for g, people in students_by_group.items() for pid, _n, _j in people}
    names = {pid: name for people in students_by_group.values() for pid, name, _j in people}
    group_names = {c.group_id: g for c, g in courses}
    by_group: Counter[str] = Counter()
    for pid, n in absent.items():
        by_group[group_names.get(group_of.get(pid, 0), "—")] += n
    report.absences = sorted(by_group.items())
    missed_by: Counter[str] = Counter(m[0] for m in report.missed)
    risk = []
    for pid, name in names.items():
        line = RiskLine(name, group_names.get(group_of[pid], ""), missed_by[name], absent[pid], failing[pid])
        if sum(1 for part in (line.missed, line.absences, line.failing) if part) >= 2:
            risk.append(line)
    report.risk = sorted(risk, key=lambda r: (-r.total, r.student))

    if teacher_id is None:
        counts: Counter[str] = Counter(
            await session.scalars(
                select(DistanceApplication.category).where(
                    DistanceApplication.organization_id == organization_id,
                    DistanceApplication.status == ApplicationStatus.approved,
                )
            )
        )
        report.by_category = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        report.parents_not_reached = await parents_not_reached(session, organization_id)
        report.waiting_template = await waiting_for_template(session, organization_id)
    return report


async def waiting_for_template(session: AsyncSession, organization_id: int) -> list[tuple[str, int]]:
    """Messages the outbox holds because WhatsApp needs a template nobody configured, by kind."""
    rows = await session.execute(
        select(OutboxMessage.kind, func.count())
        .join(Person, Person.id == OutboxMessage.person_id)
        .where(
            Person.organization_id == organization_id, OutboxMessage.status == OutboxStatus.waiting_template
        )
        .group_by(OutboxMessage.kind)
        .order_by(OutboxMessage.kind)
    )
    return [(kind, n) for kind, n in rows.all()]


async def parents_not_reached(session: AsyncSession, organization_id: int) -> list[str]:
    """Parents with no messenger account that can be reached (never joined, or blocked the bot)."""
    parents = (
        await session.execute(
            select(Person.id, Person.full_name)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(Person.organization_id == organization_id, PersonRole.role == Role.parent)
            .order_by(Person.full_name)
        )
    ).all()
    reachable = set(
        await session.scalars(
            select(MessengerAccount.person_id).where(
                MessengerAccount.person_id.in_([p for p, _ in parents]),
                MessengerAccount.unreachable_at.is_(None),
            )
        )
    )
    linked = set(await session.scalars(select(ParentLink.parent_id)))
    return [name for pid, name in parents if pid not in reachable and pid in linked]


async def weekly_rates(
    session: AsyncSession,
    organization_id: int,
    *,
    weeks: int = 6,
    teacher_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[tuple[dt.datetime, list[CourseLine]]]:
    """The on-time rate of each course, week by week (the last `weeks` weeks, oldest first)."""
    end = now or utcnow()
    out = []
    for i in range(weeks - 1, -1, -1):
        week_end = end - dt.timedelta(days=7 * i)
        week = await build(
            session,
            organization_id,
            teacher_id=teacher_id,
            since=week_end - dt.timedelta(days=7),
            now=week_end,
        )
        out.append((week_end, week.courses))
    return out


def week_changes(t: Translator, weeks: list[tuple[dt.datetime, list[CourseLine]]]) -> list[str]:
    """This week's on-time rate against last week's, per course where both had something due."""
    if len(weeks) < 2:
        return []
    before = {(c.group, c.discipline): c.rate for c in weeks[-2][1]}
    out = []
    for c in weeks[-1][1]:
        old = before.get((c.group, c.discipline))
        if c.rate is not None and old is not None:
            out.append(
                t.gettext("{group}, {discipline}: {old}% → {new}% ({change:+d})").format(
                    group=c.group, discipline=c.discipline, old=old, new=c.rate, change=c.rate - old
                )
            )
    return out


def charts(
    t: Translator, report: Report, weeks: list[tuple[dt.datetime, list[CourseLine]]]
) -> list[tuple[str, bytes]]:
    """The head's charts: on-time rate over the weeks, grades, absences, the risk list: (name, PNG)."""
    from bot.files import charts as draw

    _ = t.gettext
    x = [t.date(t.local(end), "d.MM") for end, _c in weeks]
    series: dict[str, list[int | None]] = defaultdict(lambda: [None] * len(weeks))
    for i, (_end, courses) in enumerate(weeks):
        for c in courses:
            series[f"{c.group}, {c.discipline}"][i] = c.rate
    out = [
        (_("On time, %"), draw.lines(_("On-time rate by course over the weeks"), x, dict(series), "%")),
        (
            _("Grades"),
            draw.bars(
                _("Grade distribution"),
                [g for g, _n in report.grades],
                [n for _g, n in report.grades],
                _("Count"),
            ),
        ),
        (
            _("Absences"),
            draw.bars(
                _("Absences by group"),
                [g for g, _n in report.absences],
                [n for _g, n in report.absences],
                _("Lessons missed"),
            ),
        ),
    ]
    risk = report.risk[:15]
    out.append(
        (
            _("Students at risk"),
            draw.stacked(
                _("Students at risk: missed work, absences, FX"),
                [f"{r.student} ({r.group})" for r in risk],
                {
                    _("Missed work"): [r.missed for r in risk],
                    _("Absences"): [r.absences for r in risk],
                    _("FX or F"): [r.failing for r in risk],
                },
            ),
        )
    )
    return out


def category_name(t: Translator, key: str) -> str:
    return t.gettext(CATEGORIES[key]) if key in CATEGORIES else key


def _counted(text: str, items: Sized) -> str:
    """A counted heading of a list («{n} ...» already translated), with a colon when the list follows."""
    return "\n" + text.format(n=len(items)) + (":" if items else "")


PNG_MIME = "image/png"  # bot.files.charts draws them; matplotlib is imported only when a chart is drawn

REPORT_TITLE = N_("Report on distance learning")
WEEKLY_TITLE = N_("Weekly summary on distance learning")


def as_text(t: Translator, report: Report, *, title: str = REPORT_TITLE, limit: int = 10) -> str:
    """The report as a chat message: short lists, the rest is in the XLSX."""
    _ = t.gettext
    out = [_(title) + " — " + t.datetime(report.generated_at)]
    if report.since is not None:
        out.append(
            _("From {start} to {end}").format(
                start=t.datetime(report.since), end=t.datetime(report.generated_at)
            )
        )
    if report.by_category:
        out.append("\n" + _("Students studying by distance, by category:"))
        out += [f"• {category_name(t, k)}: {n}" for k, n in report.by_category]
    out.append("\n" + _("Assignments due so far and the on-time rate:"))
    for c in report.courses:
        out.append(
            "• "
            + _(
                "{group}, {discipline}: {assignments} assignments, "
                "on time {rate}%, {late} late, {missing} missing"
            ).format(
                group=c.group,
                discipline=c.discipline,
                assignments=c.assignments,
                rate=c.rate,
                late=c.late,
                missing=c.missing,
            )
            if c.rate is not None
            else _("{group}, {discipline}: nothing was due yet").format(
                group=c.group, discipline=c.discipline
            )
        )
    if not report.courses:
        out.append("• " + _("no courses"))
    else:
        out.append("\n" + _("Admitted to attestation (every control measure handed in, Order 169 item 29):"))
        out += [
            "• "
            + _("{group}, {discipline}: {admitted} of {students}").format(
                group=c.group, discipline=c.discipline, admitted=c.admitted, students=c.students
            )
            for c in report.courses
        ]
    out.append("\n" + _("Grades:") + " " + (", ".join(f"{m}: {n}" for m, n in report.grades) or "—"))
    missed = t.ngettext("{n} missed or late deadline", "{n} missed or late deadlines", len(report.missed))
    out.append(_counted(missed, report.missed))
    for name, group, discipline, title in report.missed[:limit]:
        out.append(f"• {name} ({group}) — {discipline}: {title}")
    if len(report.missed) > limit:
        out.append("• " + _("… and {n} more in the XLSX file").format(n=len(report.missed) - limit))
    if report.risk:
        out.append(
            _counted(t.ngettext("{n} student at risk", "{n} students at risk", len(report.risk)), report.risk)
        )
        out += [
            "• "
            + _("{student} ({group}): missed {missed}, absences {absences}, FX/F {failing}").format(
                student=r.student, group=r.group, missed=r.missed, absences=r.absences, failing=r.failing
            )
            for r in report.risk[:limit]
        ]
    if report.parents_not_reached or report.by_category:
        parents = report.parents_not_reached
        out.append(
            _counted(t.ngettext("{n} parent not reached", "{n} parents not reached", len(parents)), parents)
        )
        out += [f"• {name}" for name in report.parents_not_reached[:limit]]
    if report.waiting_template:
        waiting = sum(n for _, n in report.waiting_template)
        out.append(
            "\n"
            + t.ngettext(
                "{n} WhatsApp message waits for an approved template (set USTAZ_TWILIO_TEMPLATES):",
                "{n} WhatsApp messages wait for an approved template (set USTAZ_TWILIO_TEMPLATES):",
                waiting,
            ).format(n=waiting)
        )
        out += [f"• {message_kind(t, kind)}: {n}" for kind, n in report.waiting_template]
    return "\n".join(out)


def as_xlsx(t: Translator, report: Report) -> bytes:
    _ = t.gettext
    return xlsx(
        [
            (
                _("Courses"),
                [
                    _("Group"),
                    _("Discipline"),
                    _("Assignments"),
                    _("Expected"),
                    _("On time"),
                    _("Late"),
                    _("Missing"),
                    _("On time, %"),
                    _("Students"),
                    _("Admitted to attestation"),
                ],
                [
                    [
                        c.group,
                        c.discipline,
                        c.assignments,
                        c.expected,
                        c.on_time,
                        c.late,
                        c.missing,
                        c.rate if c.rate is not None else "—",
                        c.students,
                        c.admitted,
                    ]
                    for c in report.courses
                ],
            ),
            (
                _("Missed deadlines"),
                [_("Student"), _("Group"), _("Discipline"), _("Assignment")],
                [list(m) for m in report.missed],
            ),
            (_("Grades"), [_("Grade"), _("Count")], [list(g) for g in report.grades]),
            (
                _("Students at risk"),
                [_("Student"), _("Group"), _("Missed work"), _("Absences"), _("FX or F")],
                [[r.student, r.group, r.missed, r.absences, r.failing] for r in report.risk],
            ),
            (_("Absences"), [_("Group"), _("Lessons missed")], [list(a) for a in report.absences]),
            (
                _("By category"),
                [_("Category"), _("Students")],
                [[category_name(t, k), n] for k, n in report.by_category],
            ),
            (_("Parents not reached"), [_("Parent")], [[n] for n in report.parents_not_reached]),
            (
                _("Waiting for a template"),
                [_("Kind"), _("Count")],
                [[message_kind(t, k), n] for k, n in report.waiting_template],
            ),
        ]
    )


async def send_weekly(
    session: AsyncSession, files: FileStore, org_id: int, *, now: dt.datetime | None = None
) -> int:
    """The week's summary to the organization's heads, once per ISO week, from Monday 08:00 local time.

    Returns how many messages were queued (0 before Monday 08:00 or when already sent).
    """
    org = await session.get(Organization, org_id)
    assert org is not None
    local = (now or utcnow()).astimezone(Translator("kk", org.timezone).tz)
    if local.weekday() == 0 and local.hour < 8:
        return 0
    year, week, _ = local.isocalendar()
    heads = list(
        await session.scalars(
            select(PersonRole.person_id)
            .join(Person, Person.id == PersonRole.person_id)
            .where(Person.organization_id == org_id, PersonRole.role == Role.head)
        )
    )
    if not heads:
        return 0

    key = f"weekly:{org_id}:{year}-{week:02d}"
    if await _already_sent(session, key, heads):
        return 0
    report = await build(session, org_id, since=(now or utcnow()) - dt.timedelta(days=7), now=now)
    weeks = await weekly_rates(session, org_id, now=now)
    texts: dict[str, str] = {}
    attachments: dict[str, list[int]] = {}
    for locale in LOCALES:
        t = Translator(locale, org.timezone)
        texts[locale] = as_text(t, report, title=WEEKLY_TITLE)
        changes = week_changes(t, weeks)
        if changes:
            texts[locale] += "\n\n" + t.gettext("Changes over the week (on time):") + "\n"
            texts[locale] += "\n".join(f"• {c}" for c in changes)
        images = charts(t, report, weeks)
        book = with_images(as_xlsx(t, report), t.gettext("Charts"), images)
        name = t.gettext("Report {date}").format(date=local.date().isoformat()) + ".xlsx"
        saved = [await files.save(session, book, name, "document", trusted_mime=XLSX_MIME)]
        for title, png in images:
            saved.append(await files.save(session, png, title + ".png", "photo", trusted_mime=PNG_MIME))
        attachments[locale] = [f.id for f in saved]
    return await notify(
        session,
        heads,
        lambda t: Reply(texts[t.locale], files=[OutFile(i) for i in attachments[t.locale]]),
        kind="report",
        dedupe_prefix=key,
    )


async def publish(session: AsyncSession, files: FileStore, org_id: int, sender_id: int) -> int:
    """A methodist or deputy informs the participants of the results (002 item 26-1, duties 10 and 16):
    the head gets the organization's report, each teacher the report on their own courses, in each one's
    language with the XLSX. Returns how many people it was sent to."""
    org = await session.get(Organization, org_id)
    assert org is not None
    now = utcnow()
    heads = set(
        await session.scalars(
            select(PersonRole.person_id)
            .join(Person, Person.id == PersonRole.person_id)
            .where(Person.organization_id == org_id, PersonRole.role == Role.head)
        )
    )
    teachers = {
        t
        for t in await session.scalars(
            select(Course.teacher_id).where(Course.organization_id == org_id, Course.teacher_id.is_not(None))
        )
        if t is not None
    }
    sent = 0
    stamp = now.strftime("%Y%m%d%H%M%S")
    audiences: list[tuple[list[int], int | None]] = [(sorted(heads - {sender_id}), None)]
    audiences += [([t], t) for t in sorted(teachers - {sender_id})]
    for people, teacher_id in audiences:
        if not people:
            continue
        report = await build(session, org_id, teacher_id=teacher_id)
        texts, attachments = {}, {}
        for locale in LOCALES:
            t = Translator(locale, org.timezone)
            texts[locale] = as_text(t, report)
            name = t.gettext("Report {date}").format(date=t.local(now).date().isoformat()) + ".xlsx"
            saved = await files.save(session, as_xlsx(t, report), name, "document", trusted_mime=XLSX_MIME)
            attachments[locale] = saved.id
        sent += await notify(
            session,
            people,
            _with_file(texts, attachments),
            kind="report",
            dedupe_prefix=f"published:{org_id}:{stamp}",
        )
    return sent


def _with_file(texts: dict[str, str], attachments: dict[str, int]) -> Callable[[Translator], Reply]:
    return lambda t: Reply(texts[t.locale], files=[OutFile(attachments[t.locale])])


async def _already_sent(session: AsyncSession, key: str, person_ids: list[int]) -> bool:
    keys = [f"{key}:{p}" for p in person_ids]
    return (
        await session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key.in_(keys)).limit(1))
        is not None
    )


async def weekly_tick(deps: Deps) -> None:
    async with deps.sessions() as session:
        org_ids = list(await session.scalars(select(Organization.id)))
    for org_id in org_ids:
        async with deps.sessions() as session, session.begin():
            await send_weekly(session, deps.files, org_id)
    deps.wake_sender()
