"""Changing the timetable in chat: group → one of its coming lessons → move it, change its link or
room, or cancel it. Those who keep the timetable (bot/services/permissions.py) change any lesson;
a teacher changes the lessons of their own courses, starting from "Schedule a lesson"."""

from __future__ import annotations

from bot.actions.staff import AddLesson, ChangeTimetable
from bot.actions.teacher import ChangeMyLesson, ScheduleLesson
from bot.core.context import Joined
from bot.core.messages import Button
from bot.core.router import Dialog, dialog_button
from bot.services.admin import setup
from bot.services.admin.setup import SetupError
from bot.services.messaging import notices
from bot.services.people.permissions import Action, may, roles_for
from bot.services.schedule import changes as timetable_changes
from bot.services.schedule import lessons
from bot.services.schedule.changes import ChangeError
from bot.services.schedule.lessons import LessonError, clean_link
from db.base import utcnow
from db.models import LessonMode, Role
from handlers.staff import router
from handlers.staff.widgets import ask_when, chosen_group, refuse_lesson_time, start_with_group, typed_text
from handlers.ui import choice, menu_row, told_lines

TIMETABLE = roles_for(Action.edit_timetable)
edit_dialog = router.add_dialog(Dialog("edit_lesson", roles=TIMETABLE | {Role.teacher}))


def own_only(ctx: Joined) -> int | None:
    """None for whoever keeps the timetable; a teacher's id, to keep them to their own courses."""
    return None if may(ctx.roles, Action.edit_timetable) else ctx.person.id


def again_row(ctx: Joined) -> list[Button]:
    if own_only(ctx) is not None:
        return [ChangeMyLesson().button(ctx._("Change a scheduled lesson"))]
    return [ChangeTimetable().button(ctx._("Change the timetable"))]


def lesson_buttons(
    ctx: Joined, coming: list[timetable_changes.UpcomingLesson], with_group: bool
) -> list[list[Button]]:
    def label(item: timetable_changes.UpcomingLesson) -> str:
        text = f"{ctx.t.datetime(item.starts_at, 'EEE d MMM, HH:mm')} · {item.discipline}"
        text += f" · {item.group}" if with_group else ""
        return text + (" · " + ctx._("individual") if item.individual else "")

    return [[Button(label(item), dialog_button(item.id))] for item in coming]


@router.action(ChangeMyLesson, roles=[Role.teacher])
async def teacher_change_start(ctx: Joined, _: ChangeMyLesson) -> None:
    coming = await timetable_changes.upcoming(ctx.session, ctx.org.id, utcnow(), teacher_id=ctx.person.id)
    if not coming:
        ctx.reply(
            ctx._("None of your courses has a coming lesson to change."),
            buttons=[[ScheduleLesson().button(ctx._("Schedule a lesson"))], menu_row(ctx)],
        )
        return
    await ctx.start_dialog("edit_lesson", "lesson")
    ctx.reply(ctx._("Which lesson? The nearest ones:"), buttons=lesson_buttons(ctx, coming, with_group=True))


@router.action(ChangeTimetable, roles=TIMETABLE)
async def change_start(ctx: Joined, _: ChangeTimetable) -> None:
    await start_with_group(ctx, "edit_lesson", ctx._("Change the timetable: which group?"))


@edit_dialog.step("group")
async def change_group(ctx: Joined) -> None:
    group = await chosen_group(ctx)
    if group is None:
        return
    coming = await timetable_changes.upcoming(ctx.session, ctx.org.id, utcnow(), group_id=group.id)
    if not coming:
        await ctx.end_dialog()
        ctx.reply(
            ctx._("Group {group} has no coming lessons to change.", group=group.name),
            buttons=[[AddLesson().button(ctx._("Add a lesson to the timetable"))], menu_row(ctx)],
        )
        return
    await ctx.goto("lesson")
    ctx.reply(
        ctx._("Which lesson of group {group}? The nearest ones:", group=group.name),
        buttons=lesson_buttons(ctx, coming, with_group=False),
    )


@edit_dialog.step("lesson")
async def change_lesson(ctx: Joined) -> None:
    lesson = await _picked_lesson(ctx, choice(ctx))
    if lesson is None:
        return
    online = lesson.mode is LessonMode.online
    await ctx.goto("what", lesson_id=lesson.id, online=online)
    ctx.reply(
        ctx._("What changes?"),
        buttons=[
            [Button(ctx._("Move to another time"), dialog_button("move"))],
            [Button(ctx._("New link") if online else ctx._("Another room"), dialog_button("place"))],
            [Button(ctx._("Cancel the lesson"), dialog_button("cancel"))],
        ],
    )


@edit_dialog.step("what")
async def change_what(ctx: Joined) -> None:
    what = choice(ctx)
    if what == "move":
        await ctx.goto("when")
        ctx.reply(ask_when(ctx))
    elif what == "place":
        await ctx.goto("place")
        ctx.reply(
            ctx._("The link to the lesson (https://...)?") if ctx.data["online"] else ctx._("Which room?")
        )
    elif what == "cancel":
        await ctx.goto("confirm")
        ctx.reply(
            ctx._("Cancel the lesson? Its students and their parents will be told."),
            buttons=[
                [Button(ctx._("Yes, cancel the lesson"), dialog_button("yes"))],
                [Button(ctx._("No, keep it"), dialog_button("no"))],
            ],
        )
    else:
        ctx.ask_again(ctx._("Choose with a button."))


@edit_dialog.step("when")
async def change_when(ctx: Joined) -> None:
    now = utcnow()
    try:
        starts, ends = setup.lesson_time(ctx.incoming.text or "", now, ctx.org.timezone)
        lesson, course, was = await timetable_changes.move(
            ctx.session, ctx.org.id, ctx.data["lesson_id"], starts, ends, now, own_only(ctx)
        )
    except SetupError as exc:
        refuse_lesson_time(ctx, exc.reason)
        return
    except ChangeError:
        await _gone(ctx)
        return
    await ctx.end_dialog()
    ctx.reply(
        ctx._(
            "Moved: {course}, {was} → {when}–{end}.",
            course=course.discipline,
            was=ctx.t.datetime(was),
            when=ctx.t.datetime(starts),
            end=ctx.t.time(ends),
        )
        + "\n"
        + await _told(ctx, lesson.id),
        buttons=[again_row(ctx), menu_row(ctx)],
    )


@edit_dialog.step("place")
async def change_place(ctx: Joined) -> None:
    if ctx.data["online"]:
        try:
            place = clean_link(ctx.incoming.text)
        except LessonError:
            ctx.reply(ctx._("Send a link that starts with https://."))
            return
    else:
        room = typed_text(ctx, 64)
        if room is None:
            return
        place = room
    try:
        lesson, course = await timetable_changes.change_place(
            ctx.session, ctx.org.id, ctx.data["lesson_id"], place, utcnow(), own_only(ctx)
        )
    except ChangeError:
        await _gone(ctx)
        return
    await ctx.end_dialog()
    ctx.reply(
        ctx._("Changed: {course}, {when}.", course=course.discipline, when=ctx.t.datetime(lesson.starts_at))
        + "\n"
        + await _told(ctx, lesson.id),
        buttons=[again_row(ctx), menu_row(ctx)],
    )


@edit_dialog.step("confirm")
async def change_confirm(ctx: Joined) -> None:
    answer = choice(ctx)
    if answer not in ("yes", "no"):
        ctx.ask_again(ctx._("Choose with a button."))
        return
    if answer == "no":
        await ctx.end_dialog()
        ctx.reply(ctx._("The lesson stays as it was."), buttons=[again_row(ctx), menu_row(ctx)])
        return
    try:
        lesson, course = await timetable_changes.cancel(
            ctx.session, ctx.org.id, ctx.data["lesson_id"], utcnow(), own_only(ctx)
        )
    except ChangeError:
        await _gone(ctx)
        return
    await ctx.end_dialog()
    ctx.reply(
        ctx._("Cancelled: {course}, {when}.", course=course.discipline, when=ctx.t.datetime(lesson.starts_at))
        + "\n"
        + await _told(ctx, lesson.id),
        buttons=[again_row(ctx), menu_row(ctx)],
    )


async def _told(ctx: Joined, lesson_id: int) -> str:
    """Who the change really reaches (reach.py): the lesson's students and their parents."""
    students = await lessons.audience(ctx.session, lesson_id)
    return await told_lines(ctx, students, "timetable", notices.PARENT_TIMETABLE)


async def _picked_lesson(ctx: Joined, picked: str | None) -> timetable_changes.LessonRef | None:
    """The lesson of a pressed button, if it can still be changed; says why not otherwise."""
    if not (picked and picked.isdigit()):
        ctx.ask_again(ctx._("Choose with a button."))
        return None
    try:
        lesson, _ = await timetable_changes.changeable(
            ctx.session, ctx.org.id, int(picked), utcnow(), own_only(ctx)
        )
    except ChangeError:
        await _gone(ctx)
        return None
    return lesson


async def _gone(ctx: Joined) -> None:
    """Someone else cancelled it, or it began meanwhile: nothing to change any more."""
    await ctx.end_dialog()
    ctx.reply(
        ctx._("This lesson has already begun or was cancelled; it can't be changed any more."),
        buttons=[again_row(ctx), menu_row(ctx)],
    )
