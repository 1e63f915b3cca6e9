"""Texts shared by the student's and the parent's screens: the timetable, assignments, grades."""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from bot.actions.common import Menu
from bot.core.context import Joined
from bot.core.messages import Button
from bot.i18n import N_, Translator
from bot.services.attestation.admission import Admission
from bot.services.coursework.assignments import AssignmentView, State
from bot.services.coursework.grades_view import CourseGrades
from bot.services.schedule.timetable import LessonView, TopicView
from db.models import LessonMode


def menu_row(ctx: Joined) -> list[Button]:
    """The row that leads back to the main menu, under every screen."""
    return [Menu().button(ctx._("Main menu"))]


STATE_NAMES = {
    State.open: N_("not handed in"),
    State.overdue: N_("deadline passed, not handed in"),
    State.submitted: N_("handed in"),
    State.late: N_("handed in late"),
    State.returned: N_("returned for revision"),
    State.graded: N_("graded"),
}
STATE_MARKS = {
    State.open: "⏳",
    State.overdue: "⚠️",
    State.submitted: "✅",
    State.late: "🕓",
    State.returned: "↩️",
    State.graded: "⭐",
}


def lesson_line(t: Translator, lesson: LessonView) -> str:
    when = f"{t.time(lesson.starts_at)}–{t.time(lesson.ends_at)}"
    if lesson.mode == LessonMode.online:
        where = t.gettext("online") + (f": {lesson.link}" if lesson.link else "")
    else:
        where = t.gettext("offline work") + (
            ", " + t.gettext("room {room}").format(room=lesson.room) if lesson.room else ""
        )
    line = f"{when} {lesson.discipline} — {where}"
    if lesson.topic:
        line += f"\n    {lesson.topic}"
    if lesson.individual:
        line += " " + t.gettext("(individual schedule)")
    return line


def days_text(t: Translator, first: dt.date, days: int, lessons: list[LessonView], title: str) -> str:
    lines = [title]
    by_day = {day: list(items) for day, items in groupby(lessons, key=lambda x: t.local(x.starts_at).date())}
    for n in range(days):
        day = first + dt.timedelta(days=n)
        if days > 1 and day not in by_day and day.weekday() >= 5:
            continue  # an empty weekend says nothing
        lines += ["", t.weekday_date(day).capitalize()]
        lines += [lesson_line(t, x) for x in by_day.get(day, [])] or [t.gettext("No lessons.")]
    return "\n".join(lines)


def topics_text(t: Translator, discipline: str, topics: list[TopicView]) -> str:
    lines = [t.gettext("Thematic schedule: {course}").format(course=discipline), ""]
    if not topics:
        lines.append(t.gettext("The teacher has not published the thematic schedule yet."))
    for topic in topics:
        hours = t.ngettext("{n} hour", "{n} hours", topic.hours).format(n=topic.hours)
        line = f"{topic.position}. {topic.title} — {hours}"
        if topic.deadline:
            line += ", " + t.gettext("deadline {deadline}").format(deadline=t.datetime(topic.deadline))
        lines.append(line)
    return "\n".join(lines)


def assignment_line(t: Translator, v: AssignmentView) -> str:
    state = t.gettext(STATE_NAMES[v.state])
    line = f"{STATE_MARKS[v.state]} {v.title} ({v.discipline}) — {t.datetime(v.deadline)}: {state}"
    if v.state == State.graded and v.score is not None:
        line += " " + t.gettext("{score} of {max}").format(score=t.number(v.score), max=v.max_score)
    if v.closed and v.state in (State.open, State.overdue):
        line += " " + t.gettext("(closed)")
    return line


def assignments_text(t: Translator, views: list[AssignmentView], title: str) -> str:
    if not views:
        return title + "\n\n" + t.gettext("No assignments.")
    return title + "\n\n" + "\n".join(assignment_line(t, v) for v in views)


def grades_text(t: Translator, courses: list[CourseGrades], title: str, detailed: bool = False) -> str:
    lines = [title]
    for course in courses:
        lines += ["", course.discipline]
        if course.rating is not None and course.mark is not None:
            lines.append(
                t.gettext("Current rating: {percent}% — {mark}").format(
                    percent=t.number(course.rating), mark=course.mark.label(t)
                )
            )
        else:
            lines.append(t.gettext("No grades yet."))
        if not detailed:
            continue
        for g in course.lines:
            if g.returned or g.score is None:  # a line without a score is a returned one
                lines.append(f"• {g.title}: " + t.gettext("returned for revision"))
                continue
            lines.append(
                f"• {g.title}: "
                + t.gettext("{score} of {max}").format(score=t.number(g.score), max=g.max_score)
            )
            if g.comment:
                lines.append("    " + t.gettext("Teacher's comment: {comment}").format(comment=g.comment))
    return "\n".join(lines)


def not_admitted_text(t: Translator, admission: Admission) -> str:
    """Why a student may not sit an attestation yet (001 item 29), in the student's language."""
    if admission.missing:
        return t.gettext(
            "You are not admitted to this attestation yet: first do every control measure of the discipline. "
            "Still to do: {missing}."
        ).format(missing="; ".join(f"«{m}»" for m in admission.missing))
    return t.gettext(
        "You are not admitted to this attestation yet: your admission rating is {rating}%, "
        "the organization admits from {threshold}%."
    ).format(
        rating=t.number(admission.rating) if admission.rating is not None else "0",
        threshold=t.number(admission.threshold) if admission.threshold is not None else "0",
    )
