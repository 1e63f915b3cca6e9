"""The thematic schedule, scheduling lessons, and attendance of online lessons."""

from __future__ import annotations

from bot.actions.teacher import Attendance, ChangeMyLesson, SaveAttendance, ScheduleLesson, ThematicPlan
from bot.core.context import Joined
from bot.core.menus import menus
from bot.core.messages import Button
from bot.core.router import Dialog, dialog_button
from bot.i18n import N_
from bot.services.coursework.deadlines import DeadlineError, DeadlineReason, parse_future
from bot.services.messaging.notices import group_students
from bot.services.people.teacher_scope import NotYours
from bot.services.schedule import lessons, thematic
from bot.services.schedule.lessons import LessonError, LessonReason
from bot.services.schedule.thematic import PlanError, PlanLine, PlanReason
from db.base import utcnow
from db.models import Course, LessonMode, Role
from handlers.teacher import router
from handlers.ui import (
    choice,
    confirmed,
    go_on_with_course,
    menu_row,
    not_yours,
    pick_course,
    publish_buttons,
    stamp,
    told_lines,
    unstamp,
)

TEACHER = [Role.teacher]
planning = router.add_dialog(Dialog("plan", roles=TEACHER))
scheduling = router.add_dialog(Dialog("lesson", roles=TEACHER))

menus.add(Role.teacher, N_("Thematic schedule"), ThematicPlan(), order=70)
menus.add(Role.teacher, N_("Schedule a lesson"), ScheduleLesson(), order=75)
menus.add(Role.teacher, N_("Attendance"), Attendance(), order=80)

PLAN_ERRORS = {
    PlanReason.empty: N_("I found no topics. One topic per line: «Topic; hours; deadline»."),
    PlanReason.no_title: N_("Line {n}: the topic is missing."),
    PlanReason.bad_hours: N_("Line {n}: the hours must be a whole number."),
    PlanReason.bad_deadline: N_("Line {n}: I could not read the deadline. Write it like «25.11 18:00»."),
}


@router.action(ThematicPlan, roles=TEACHER)
async def begin_plan(ctx: Joined, _: ThematicPlan) -> None:
    await pick_course(ctx, "plan", "course", ctx._("Thematic schedule: choose the course and group:"))


@planning.step("course")
async def plan_course(ctx: Joined) -> None:
    if not await go_on_with_course(ctx, "lines"):
        return
    ctx.reply(
        ctx._(
            "Send the thematic schedule: one topic per line as «Topic; hours; deadline» "
            "(for example «Functions; 4; 04.12 18:00»), or a CSV/XLSX file with these three columns."
        )
    )


@planning.step("lines")
async def plan_lines(ctx: Joined) -> None:
    try:
        if ctx.incoming.attachments:
            stored = await ctx.deps.files.load(ctx.session, ctx.incoming.attachments[0].file_name_id or 0)
            lines = thematic.parse_file(stored.data, stored.name, ctx.org.timezone)
        else:
            lines = thematic.parse_text(ctx.incoming.text or "", ctx.org.timezone)
    except PlanError as exc:  # every bad line, each on its own line
        ctx.reply("\n".join(ctx._(PLAN_ERRORS[reason], n=line) for reason, line in exc.problems))
        return
    except Exception:  # a damaged spreadsheet
        ctx.reply(ctx._("I could not read this file. Send CSV or XLSX."))
        return
    course = await ctx.session.get(Course, ctx.data["course_id"])
    assert course is not None
    await ctx.goto(
        "confirm",
        lines=[[line.title, line.hours, stamp(line.deadline) if line.deadline else None] for line in lines],
    )
    ctx.reply(
        thematic.plan_text(ctx.t, course, lines),
        buttons=publish_buttons(ctx),
    )


@planning.step("confirm")
async def plan_confirm(ctx: Joined) -> None:
    if not await confirmed(ctx):
        return
    lines = [
        PlanLine(title, hours, unstamp(when) if when else None) for title, hours, when in ctx.data["lines"]
    ]
    course_id = ctx.data["course_id"]
    await thematic.save(ctx.session, ctx.person.id, course_id, lines)
    await ctx.end_dialog()
    course = await ctx.session.get(Course, course_id)
    students = await group_students(ctx.session, course.group_id) if course else []
    ctx.reply(
        ctx._("The thematic schedule is saved as the course's plan.")
        + "\n"
        + await told_lines(ctx, students, "plan", "plan"),
        buttons=[menu_row(ctx)],
    )


# -- lessons ------------------------------------------------------------------------------------


@router.action(ScheduleLesson, roles=TEACHER)
async def begin_lesson(ctx: Joined, _: ScheduleLesson) -> None:
    change = [[ChangeMyLesson().button(ctx._("Change a scheduled lesson"))]]
    await pick_course(
        ctx, "lesson", "course", ctx._("Schedule a lesson: choose the course and group:"), change
    )


@scheduling.step("course")
async def lesson_course(ctx: Joined) -> None:
    if not await go_on_with_course(ctx, "mode"):
        return
    ctx.reply(
        ctx._("An online lesson with a link, or offline work?"),
        buttons=[
            [Button(ctx._("Online lesson"), dialog_button("online"))],
            [Button(ctx._("Offline work"), dialog_button("offline"))],
        ],
    )


@scheduling.step("mode")
async def lesson_mode(ctx: Joined) -> None:
    if choice(ctx) not in ("online", "offline"):
        ctx.ask_again(ctx._("Choose with a button."))
        return
    await ctx.goto("when", mode=choice(ctx))
    ctx.reply(ctx._("When? For example «tomorrow 10:00» or «27.11 14:30»."))


@scheduling.step("when")
async def lesson_when(ctx: Joined) -> None:
    try:
        starts = parse_future(ctx.incoming.text or "", utcnow(), ctx.org.timezone)
    except DeadlineError as exc:
        ctx.reply(
            ctx._("This moment has already passed. Choose a later one.")
            if exc.reason == DeadlineReason.past
            else ctx._("I could not read the date. Write it like «27.11 14:30» or «tomorrow 10:00».")
        )
        return
    await ctx.goto("detail", starts=stamp(starts))
    if ctx.data["mode"] == "online":
        ctx.reply(ctx._("The link to the lesson (https://...)?"))
    else:
        ctx.reply(ctx._("What should the students do? Send the task."))


@scheduling.step("detail")
async def lesson_detail(ctx: Joined) -> None:
    mode = LessonMode(ctx.data["mode"])
    try:
        link = lessons.clean_link(ctx.incoming.text) if mode == LessonMode.online else None
        lesson = await lessons.schedule(
            ctx.session,
            ctx.person.id,
            ctx.data["course_id"],
            unstamp(ctx.data["starts"]),
            mode,
            link=link,
            task=ctx.incoming.text if mode == LessonMode.offline else None,
        )
    except LessonError as exc:
        ctx.reply(
            ctx._("Send a link that starts with https://.")
            if exc.reason == LessonReason.bad_link
            else ctx._("What should the students do? Send the task.")
        )
        return
    except DeadlineError:
        await ctx.goto("when")
        ctx.reply(ctx._("This moment has already passed. Choose a later one."))
        return
    await ctx.end_dialog()
    ctx.reply(
        ctx._("Scheduled for {when}.", when=ctx.t.datetime(lesson.starts_at))
        + "\n"
        + await told_lines(ctx, await lessons.audience(ctx.session, lesson.id), "lesson", "lesson"),
        buttons=[menu_row(ctx)],
    )


# -- attendance ------------------------------------------------------------------------------------


@router.action(Attendance, roles=TEACHER)
async def attendance(ctx: Joined, action: Attendance) -> None:
    try:
        if action.lesson_id is not None and action.student_id is not None:  # toggles one student
            await lessons.toggle(ctx.session, ctx.person.id, action.lesson_id, action.student_id)
        if action.lesson_id is not None:
            await show_roll(ctx, action.lesson_id, toggled=action.student_id is not None)
            return
    except (NotYours, ValueError):
        not_yours(ctx)
        return
    recent = await lessons.recent_online(ctx.session, ctx.person.id)
    if not recent:
        ctx.reply(ctx._("You had no online lessons in the last week."), buttons=[menu_row(ctx)])
        return
    ctx.reply(
        ctx._("Attendance: choose the lesson:"),
        buttons=[
            [Attendance(lesson.id).button(f"{name} · {ctx.t.datetime(lesson.starts_at, 'd.MM HH:mm')}")]
            for lesson, name in recent[:15]
        ]
        + [menu_row(ctx)],
    )


async def show_roll(ctx: Joined, lesson_id: int, toggled: bool) -> None:
    """The lesson's roll; after a toggle, it replaces the message that was tapped."""
    lesson, course = await lessons.own_lesson(ctx.session, ctx.person.id, lesson_id)
    roll = await lessons.roll(ctx.session, ctx.person.id, lesson_id)
    absent = sum(1 for *_, present in roll if not present)
    ctx.reply(
        ctx._(
            "{course}, {when}. Everyone is present unless you tap them. Absent: {n}.",
            course=course.discipline,
            when=ctx.t.datetime(lesson.starts_at),
            n=absent,
        ),
        buttons=[
            [Attendance(lesson_id, student_id).button(("✅ " if present else "❌ ") + name)]
            for student_id, name, present in roll
        ]
        + [[SaveAttendance(lesson_id).button(ctx._("Save"))]],
        edit=toggled,
    )


@router.action(SaveAttendance, roles=TEACHER)
async def save_attendance(ctx: Joined, action: SaveAttendance) -> None:
    try:
        absent = await lessons.save(ctx.session, ctx.person.id, action.lesson_id)
    except (NotYours, ValueError):
        not_yours(ctx)
        return
    if absent:
        text = ctx._(
            "Attendance is saved. Absent: {names}. Their parents have been told.", names=", ".join(absent)
        )
    else:
        text = ctx._("Attendance is saved: everyone was present.")
    ctx.reply(text, buttons=[menu_row(ctx)])
