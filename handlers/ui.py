"""Small pieces the teacher's conversations share: choices, course pickers, refusals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions.common import Menu
from bot.core.actions import Action
from bot.core.context import Joined
from bot.core.messages import Button, OutFile, shorten
from bot.core.router import dialog_button
from bot.i18n import N_
from bot.services.attestation import admission
from bot.services.coursework.deadlines import DeadlineError, DeadlineReason, at_local, parse_future
from bot.services.messaging import reach
from bot.services.messaging.reach import GroupReach
from bot.services.people.teacher_scope import CourseLine, NotYours, courses_of, own_course
from db.base import utcnow
from db.models import AssignmentKind, ControlType, Course

T = TypeVar("T")

KIND_NAMES = {
    AssignmentKind.written: N_("written work"),
    AssignmentKind.test: N_("test"),
    AssignmentKind.creative: N_("creative work (audio, video, photo)"),
}

DEADLINE_PICKS = ((1, N_("Tomorrow 18:00")), (3, N_("In 3 days, 18:00")), (7, N_("In a week, 18:00")))


def choice(ctx: Joined) -> str | None:
    """The value of a pressed dialog button, or None for typed text and files."""
    return ctx.args[0] if ctx.incoming.button and ctx.args else None


def menu_row(ctx: Joined) -> list[Button]:
    return [Menu().button(ctx._("Main menu"))]


def not_yours(ctx: Joined) -> None:
    ctx.reply(ctx._("This is not one of your courses."), buttons=[menu_row(ctx)])


async def pick_course(
    ctx: Joined,
    dialog: str,
    step: str,
    question: str,
    extra_rows: list[list[Button]] | None = None,
    **data: object,
) -> bool:
    """Starts `dialog` at `step` with the teacher's courses as buttons (then `extra_rows`); False if
    they have none."""
    courses = await courses_of(ctx.session, ctx.person.id)
    if not courses:
        ctx.reply(
            ctx._("You have no courses yet. Ask your organization to assign them."), buttons=[menu_row(ctx)]
        )
        return False
    await ctx.start_dialog(dialog, step, **data)
    ctx.reply(question, buttons=course_buttons(courses) + (extra_rows or []))
    return True


def course_buttons(courses: list[CourseLine]) -> list[list[Button]]:
    return [[Button(c.label, dialog_button(c.id))] for c in courses]


def deadline_buttons(ctx: Joined) -> list[list[Button]]:
    return [[Button(ctx._(label), dialog_button(f"d{days}"))] for days, label in DEADLINE_PICKS]


def read_deadline(ctx: Joined) -> dt.datetime | None:
    """A deadline from a quick-pick button or typed text; explains the problem and returns None."""
    now = utcnow()
    picked = choice(ctx)
    if picked and picked.startswith("d") and picked[1:].isdigit():
        return at_local(int(picked[1:]), 18, now, ctx.org.timezone)
    try:
        return parse_future(ctx.incoming.text or "", now, ctx.org.timezone)
    except DeadlineError as exc:
        if exc.reason == DeadlineReason.past:
            ctx.reply(
                ctx._("This moment has already passed. Choose a later deadline."),
                buttons=deadline_buttons(ctx),
            )
        else:
            ctx.reply(
                ctx._(
                    "I could not read the date. Write it like «25.11 18:00», «tomorrow 18:00» "
                    "or «Friday 18:00», or press a button."
                ),
                buttons=deadline_buttons(ctx),
            )
        return None


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def unstamp(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def publish_buttons(ctx: Joined) -> list[list[Button]]:
    return [
        [Button(ctx._("Publish"), dialog_button("publish"))],
        [Button(ctx._("Cancel"), dialog_button("cancel"))],
    ]


async def confirmed(ctx: Joined) -> bool:
    """The preview step's answer: True to publish; a cancel ends the dialog, anything else asks again."""
    if choice(ctx) == "cancel":
        await ctx.end_dialog()
        ctx.reply(ctx._("Cancelled. Nothing was published."), buttons=[menu_row(ctx)])
        return False
    if choice(ctx) != "publish":
        ctx.ask_again(ctx._("Choose with a button."))
        return False
    return True


async def chosen_course(ctx: Joined) -> Course | None:
    """The teacher's own course picked with a button, or None after asking again."""
    try:
        return await own_course(ctx.session, ctx.person.id, choice(ctx) or "0")
    except (NotYours, ValueError):
        ctx.ask_again(ctx._("Choose the course with a button."))
        return None


async def go_on_with_course(ctx: Joined, step: str) -> bool:
    """The course step of a teacher's dialog: remembers the picked course and moves on to `step`."""
    course = await chosen_course(ctx)
    if course is None:
        return False
    await ctx.goto(step, course_id=course.id)
    return True


async def owned(
    ctx: Joined, lookup: Callable[[AsyncSession, int, int], Awaitable[T]], item_id: int
) -> T | None:
    """`lookup(session, teacher, item_id)`, or None after a polite refusal."""
    try:
        return await lookup(ctx.session, ctx.person.id, item_id)
    except (NotYours, ValueError):
        not_yours(ctx)
        return None


async def early_attestation_warning(
    ctx: Joined, course_id: int, control: ControlType, deadline: dt.datetime
) -> str | None:
    """An attestation due before the course's last control measure: students cannot be admitted
    in time (001 item 29). A warning, not a refusal: the teacher may move a measure's deadline."""
    if control not in admission.ATTESTATION:
        return None
    last = await admission.last_measure_deadline(ctx.session, course_id)
    if last is None or last <= deadline:
        return None
    return ctx._(
        "Warning: the attestation is due before the last control measure of the discipline "
        "(deadline {last}). A student is admitted only after all control measures (Order 169, item 29), "
        "so nobody may be admitted in time. Move the deadline, or publish anyway.",
        last=ctx.t.datetime(last),
    )


def reach_line(ctx: Joined, found: GroupReach) -> str:
    """«It reaches 9 of 10 students and 7 parents.»: what will really arrive (reach.py)."""
    return ctx.n_(
        "It reaches {reached} of {n} student; parents: {parents}.",
        "It reaches {reached} of {n} students; parents: {parents}.",
        found.students.total,
        reached=found.students.reached,
        parents=found.parents.reached,
    )


async def told_lines(ctx: Joined, student_ids: list[int], student_kind: str, parent_kind: str) -> str:
    """What a screen says after telling students and their parents: the honest count and, by name, who
    cannot be reached (reach.py), instead of «they have been told»."""
    found = await reach.group_reach(
        ctx.session, student_ids, student_kind, parent_kind, ctx.deps.settings.twilio_templates
    )
    return "\n".join([reach_line(ctx, found), reach.not_reached_text(ctx.t, found.everyone)]).strip()


def show_question(ctx: Joined, student: str, course: str, text: str | None, file_name_id: int | None) -> None:
    """A student's question opened for an answer (a teacher's or a tutor's): the text, its file, the ask."""
    ctx.reply(
        ctx._("Question from {student} ({course}):", student=student, course=course)
        + "\n\n"
        + (text or "")
        + "\n\n"
        + ctx._("Write your answer."),
        files=[OutFile(file_name_id)] if file_name_id else [],
    )


def list_questions(ctx: Joined, waiting: list[tuple[Action, str, str | None]]) -> None:
    """The questions waiting for an answer, oldest first: (the button's action, student, text) each; a
    question of a file alone shows a clip."""
    if not waiting:
        ctx.reply(ctx._("No questions are waiting for an answer."), buttons=[menu_row(ctx)])
        return
    ctx.reply(
        ctx._("Questions waiting for an answer, the oldest first:"),
        buttons=[
            [action.button(f"{student} · {shorten(text or '', 40) or '📎'}")]
            for action, student, text in waiting[:20]
        ]
        + [menu_row(ctx)],
    )
