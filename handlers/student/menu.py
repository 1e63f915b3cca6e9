"""The student's conversations: timetable, assignments, handing in work, grades, questions."""

from __future__ import annotations

import datetime as dt

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

menus.add(Role.student, N_("Timetable"), "tt", order=10)
menus.add(Role.student, N_("Assignments"), "asg", order=20)
menus.add(Role.student, N_("Grades"), "grd", order=30)
menus.add(Role.student, N_("Ask the teacher"), "ask", order=40)
menus.add(Role.student, N_("Notifications"), "ntf", order=60)
menus.add(Role.student, N_("Code for a parent"), "pcode", order=70)


def timetable_buttons(ctx: Joined, prefix: str) -> list[list[Button]]:
    return [
        [
            Button(ctx._("Today"), f"{prefix}:today"),
            Button(ctx._("Tomorrow"), f"{prefix}:tomorrow"),
            Button(ctx._("Week"), f"{prefix}:week"),
        ],
        [Button(ctx._("Thematic schedule"), f"top:{prefix.partition(':')[2]}".rstrip(":"))],
    ]


async def timetable_text(ctx: Joined, person_id: int, which: str, who: str | None = None) -> str:
    today = ctx.t.local(utcnow()).date()
    if which == "week":
        first, days = today - dt.timedelta(days=today.weekday()), 7
        title = ctx._("Timetable for the week")
    elif which == "tomorrow":
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


@router.button("tt", roles=STUDENT)
async def show_timetable(ctx: Joined) -> None:
    which = ctx.args[0] if ctx.args else "today"
    text = await timetable_text(ctx, ctx.person.id, which)
    ctx.reply(text, buttons=timetable_buttons(ctx, "tt") + [menu_row(ctx)])


@router.button("top", roles=[Role.student, Role.parent])
async def show_topics(ctx: Joined) -> None:
    """Thematic schedules: `top` (own courses), `top:<child>` (a parent's child), `top:<child>:<course>`."""
    student_id = await _student_for(ctx, ctx.args[0] if ctx.args else "")
    if student_id is None:
        return
    courses = await student_scope.courses(ctx.session, student_id)
    if len(ctx.args) < 2:
        prefix = f"top:{ctx.args[0]}" if ctx.args and ctx.args[0] else "top:"
        rows = [[Button(c.discipline, f"{prefix}:{c.id}")] for c in courses]
        ctx.reply(
            ctx._("Choose the course:") if courses else ctx._("No courses yet."),
            buttons=rows + [menu_row(ctx)],
        )
        return
    course = next((c for c in courses if str(c.id) == ctx.args[1]), None)
    if course is None:
        ctx.reply(ctx._("This button is no longer active."), buttons=[menu_row(ctx)])
        return
    topics = await timetable.topics(ctx.session, course.id)
    ctx.reply(topics_text(ctx.t, course.discipline, topics), buttons=[menu_row(ctx)])


async def _student_for(ctx: Joined, child_arg: str) -> int | None:
    """The student whose data is shown: oneself, or a parent's linked child (checked)."""
    if not child_arg:
        if Role.student not in ctx.roles:
            ctx.reply(ctx._("This action is not available in your role."), buttons=[menu_row(ctx)])
            return None
        return ctx.person.id
    child = (
        await parents.child_of(ctx.session, ctx.person.id, int(child_arg)) if child_arg.isdigit() else None
    )
    if child is None:
        ctx.reply(ctx._("This button is no longer active."), buttons=[menu_row(ctx)])
        return None
    return child.id


@router.button("asg", roles=STUDENT)
async def show_assignments(ctx: Joined) -> None:
    now = utcnow()
    if ctx.args and ctx.args[0].isdigit():
        await student_submit.show_assignment(ctx, int(ctx.args[0]))
        return
    views = await assignments.open_list(ctx.session, ctx.person.id, now)
    rows = [
        [Button(f"{v.title} — {ctx.t.datetime(v.deadline)}", f"asg:{v.id}")]
        for v in views
        if v.state != assignments.State.graded
    ][:10]
    ctx.reply(
        assignments_text(ctx.t, views, ctx._("Your assignments by deadline:")), buttons=rows + [menu_row(ctx)]
    )


@router.button("grd", roles=STUDENT)
async def show_grades(ctx: Joined) -> None:
    course_id = int(ctx.args[0]) if ctx.args and ctx.args[0].isdigit() else None
    courses = await grades_view.course_grades(ctx.session, ctx.person.id, ctx.org.grading_scheme, course_id)
    if course_id is not None and not courses:  # an old or forged button: not one of the student's courses
        ctx.reply(
            ctx._("This course is not yours."), buttons=[[Button(ctx._("Grades"), "grd")], menu_row(ctx)]
        )
        return
    rows = [] if course_id else [[Button(c.discipline, f"grd:{c.course_id}")] for c in courses]
    ctx.reply(
        grades_text(ctx.t, courses, ctx._("Your grades"), detailed=course_id is not None),
        buttons=rows + [menu_row(ctx)],
    )


@router.button("pcode", roles=STUDENT)
async def parent_code(ctx: Joined) -> None:
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


@router.button("ntf", roles=[Role.student, Role.parent])
async def notifications(ctx: Joined) -> None:
    await notification_settings(ctx)
