"""The student's conversations: timetable, assignments, handing in work, grades, questions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.actions.common import Notifications
from bot.actions.student import AskTeacher, Assignments, Grades, ParentCode, Span, Timetable, Topics
from bot.core.actions import Action
from bot.core.context import Joined
from bot.core.menus import menus
from bot.core.messages import Button
from bot.i18n import N_
from bot.services.coursework import assignments, grades_view
from bot.services.people import parents, student_scope
from bot.services.schedule import timetable
from db.base import utcnow
from db.models import Role
from handlers.common.settings import notification_settings
from handlers.student import router
from handlers.student import submit as student_submit
from handlers.views import assignments_text, days_text, grades_text, menu_row, topics_text

STUDENT = [Role.student]

menus.add(Role.student, N_("Timetable"), Timetable(), order=10)
menus.add(Role.student, N_("Assignments"), Assignments(), order=20)
menus.add(Role.student, N_("Grades"), Grades(), order=30)
menus.add(Role.student, N_("Ask the teacher"), AskTeacher(), order=40)
menus.add(Role.student, N_("Notifications"), Notifications(), order=60)
menus.add(Role.student, N_("Code for a parent"), ParentCode(), order=70)


def timetable_buttons(ctx: Joined, day: Callable[[Span], Action], topics: Topics) -> list[list[Button]]:
    """Today, tomorrow, the week (each built by `day`), and the thematic schedule."""
    return [
        [
            day(Span.today).button(ctx._("Today")),
            day(Span.tomorrow).button(ctx._("Tomorrow")),
            day(Span.week).button(ctx._("Week")),
        ],
        [topics.button(ctx._("Thematic schedule"))],
    ]


async def timetable_text(ctx: Joined, person_id: int, which: Span, who: str | None = None) -> str:
    today = ctx.t.local(utcnow()).date()
    if which is Span.week:
        first, days = today - dt.timedelta(days=today.weekday()), 7
        title = ctx._("Timetable for the week")
    elif which is Span.tomorrow:
        first, days = today + dt.timedelta(days=1), 1
        title = ctx._("Timetable for tomorrow")
    else:
        first, days = today, 1
        title = ctx._("Timetable for today")
    if who:
        title += f" — {who}"
    start, end = timetable.local_days(ctx.t, first, days)
    lessons = await timetable.lessons(ctx.session, person_id, start, end)
    return days_text(ctx.t, first, days, lessons, title)


@router.action(Timetable, roles=STUDENT)
async def show_timetable(ctx: Joined, action: Timetable) -> None:
    text = await timetable_text(ctx, ctx.person.id, action.span or Span.today)
    ctx.reply(text, buttons=timetable_buttons(ctx, Timetable, Topics()) + [menu_row(ctx)])


@router.action(Topics, roles=[Role.student, Role.parent])
async def show_topics(ctx: Joined, action: Topics) -> None:
    """Thematic schedules: one's own courses, or a parent's child's; then one course's topics."""
    student_id = await _student_for(ctx, action.child_id)
    if student_id is None:
        return
    courses = await student_scope.courses(ctx.session, student_id)
    if action.course_id is None:
        rows = [[Topics(action.child_id, c.id).button(c.discipline)] for c in courses]
        ctx.reply(
            ctx._("Choose the course:") if courses else ctx._("No courses yet."),
            buttons=rows + [menu_row(ctx)],
        )
        return
    course = next((c for c in courses if c.id == action.course_id), None)
    if course is None:
        ctx.reply(ctx._("This button is no longer active."), buttons=[menu_row(ctx)])
        return
    topics = await timetable.topics(ctx.session, course.id)
    ctx.reply(topics_text(ctx.t, course.discipline, topics), buttons=[menu_row(ctx)])


async def _student_for(ctx: Joined, child_id: int | None) -> int | None:
    """The student whose data is shown: oneself, or a parent's linked child (checked)."""
    if child_id is None:
        if Role.student not in ctx.roles:
            ctx.reply(ctx._("This action is not available in your role."), buttons=[menu_row(ctx)])
            return None
        return ctx.person.id
    child = await parents.child_of(ctx.session, ctx.person.id, child_id)
    if child is None:
        ctx.reply(ctx._("This button is no longer active."), buttons=[menu_row(ctx)])
        return None
    return child.id


@router.action(Assignments, roles=STUDENT)
async def show_assignments(ctx: Joined, action: Assignments) -> None:
    now = utcnow()
    if action.assignment_id is not None:
        await student_submit.show_assignment(ctx, action.assignment_id)
        return
    views = await assignments.open_list(ctx.session, ctx.person.id, now)
    rows = [
        [Assignments(v.id).button(f"{v.title} — {ctx.t.datetime(v.deadline)}")]
        for v in views
        if v.state != assignments.State.graded
    ][:10]
    ctx.reply(
        assignments_text(ctx.t, views, ctx._("Your assignments by deadline:")), buttons=rows + [menu_row(ctx)]
    )


@router.action(Grades, roles=STUDENT)
async def show_grades(ctx: Joined, action: Grades) -> None:
    course_id = action.course_id
    courses = await grades_view.course_grades(ctx.session, ctx.person.id, ctx.org.grading_scheme, course_id)
    if course_id is not None and not courses:  # an old or forged button: not one of the student's courses
        ctx.reply(
            ctx._("This course is not yours."), buttons=[[Grades().button(ctx._("Grades"))], menu_row(ctx)]
        )
        return
    rows = [] if course_id else [[Grades(c.course_id).button(c.discipline)] for c in courses]
    ctx.reply(
        grades_text(ctx.t, courses, ctx._("Your grades"), detailed=course_id is not None),
        buttons=rows + [menu_row(ctx)],
    )


@router.action(ParentCode, roles=STUDENT)
async def parent_code(ctx: Joined, _: ParentCode) -> None:
    invite = await parents.create_child_code(ctx.session, ctx.person)
    ctx.reply(
        ctx._(
            "Give this code to your parent: {code}\nThey send it to Ustaz (or choose «Link a child» "
            "in their menu) and will then see your timetable, assignments and grades. "
            "The code works once, for 7 days.",
            code=invite.code,
        ),
        buttons=[menu_row(ctx)],
    )


@router.action(Notifications, roles=[Role.student, Role.parent])
async def notifications(ctx: Joined, action: Notifications) -> None:
    await notification_settings(ctx, action.kind)
