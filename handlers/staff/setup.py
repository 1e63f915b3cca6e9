"""Setting the organization up in chat, one thing at a time: programs, groups, courses, timetable lessons,
and sending the roster's invites to WhatsApp. Academic periods and the calendar: handlers/calendar_ui.py;
moving, changing and cancelling lessons: handlers/timetable_edit.py; changing a course:
handlers/course_edit.py.

Who may do what comes from bot/services/permissions.py: programs, groups and courses are set-up
(deputy, methodist, admin); the timetable is the methodists' (002 item 26-1); invites go out from
those who import the roster.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.actions.staff import (
    AddLesson,
    ChangeCourse,
    ChangeTimetable,
    NewCourse,
    NewEvent,
    NewGroup,
    NewProgram,
    NewTerm,
    SendInvites,
    SetUp,
)
from bot.core.context import Joined
from bot.core.menus import menus
from bot.core.messages import Button
from bot.core.router import Dialog, dialog_button
from bot.i18n import N_
from bot.labels import BASIS_NAMES, FIELD_NAMES, PROGRAM_LEVEL_NAMES
from bot.services.admin import setup
from bot.services.admin.setup import SetupError, SetupReason
from bot.services.admin.study_plans import CAP_RULES
from bot.services.people import invite_sending
from bot.services.people.permissions import Action, may, roles_for
from bot.services.schedule import lessons
from bot.services.schedule.lessons import LessonError, clean_link
from db.base import utcnow
from db.models import (
    AcademicTerm,
    Course,
    CreditCapCategory,
    Group,
    LessonMode,
    PersonRole,
    Program,
    ProgramLevel,
    Role,
)
from handlers.staff import router
from handlers.staff.widgets import (
    ask_course_of,
    ask_when,
    chosen_group,
    group_buttons,
    optional_buttons,
    optional_id,
    pick_person,
    picked_course,
    refuse_lesson_time,
    start_with_group,
    typed_text,
)
from handlers.ui import choice, menu_row, told_lines

SETUP = roles_for(Action.setup)
TIMETABLE = roles_for(Action.edit_timetable)
INVITES = roles_for(Action.send_invites)
SETTERS = SETUP | TIMETABLE | roles_for(Action.edit_calendar)

menus.add(tuple(SETTERS), N_("Set up the organization"), SetUp(), order=15)

# What the set-up menu offers: (label, button action, the permission).
SETUP_ITEMS = (
    (N_("New program"), NewProgram(), Action.setup),
    (N_("New group"), NewGroup(), Action.setup),
    (N_("New course"), NewCourse(), Action.setup),
    (N_("Change a course"), ChangeCourse(), Action.setup),
    (N_("Add a lesson to the timetable"), AddLesson(), Action.edit_timetable),
    (N_("Change the timetable"), ChangeTimetable(), Action.edit_timetable),
    (N_("New academic period"), NewTerm(), Action.setup),
    (N_("Add to the academic calendar"), NewEvent(), Action.edit_calendar),
)
HIGHER = (ProgramLevel.bachelor, ProgramLevel.master)
CAP_NAMES = {
    CreditCapCategory.none: N_("no special cap on distance learning"),
    CreditCapCategory.restricted_fields: CAP_RULES["19"],
    CreditCapCategory.on_general_secondary: CAP_RULES["17"],
    CreditCapCategory.mba: CAP_RULES["20mba"],
    CreditCapCategory.emba_dba: CAP_RULES["20emba"],
}

program_dialog = router.add_dialog(Dialog("setup_program", roles=SETUP))
group_dialog = router.add_dialog(Dialog("setup_group", roles=SETUP))
course_dialog = router.add_dialog(Dialog("setup_course", roles=SETUP))
lesson_dialog = router.add_dialog(Dialog("setup_lesson", roles=TIMETABLE))


@router.action(SetUp, roles=SETTERS)
async def setup_menu(ctx: Joined, _: SetUp) -> None:
    rows = [
        [button.button(ctx._(label))] for label, button, allowed in SETUP_ITEMS if may(ctx.roles, allowed)
    ]
    ctx.reply(ctx._("What do you want to set up?"), buttons=rows + [menu_row(ctx)])


def exists(ctx: Joined, name: str) -> None:
    ctx.reply(ctx._("«{name}» already exists. Write another name.", name=name))


# -- programs ----------------------------------------------------------------------------------------


@router.action(NewProgram, roles=SETUP)
async def program_start(ctx: Joined, _: NewProgram) -> None:
    await ctx.start_dialog("setup_program", "name")
    ctx.reply(ctx._("The name of the program (for example «Nursing» or «6B06101 Information systems»)?"))


@program_dialog.step("name")
async def program_name(ctx: Joined) -> None:
    name = typed_text(ctx, 300)
    if name is None:
        return
    await ctx.goto("level", name=name)
    ctx.reply(
        ctx._("Its level?"),
        buttons=[
            [Button(ctx._(label), dialog_button(level.value))] for level, label in PROGRAM_LEVEL_NAMES.items()
        ],
    )


@program_dialog.step("level")
async def program_level(ctx: Joined) -> None:
    level = choice(ctx)
    if level not in {lv.value for lv in ProgramLevel}:
        ctx.ask_again(ctx._("Choose with a button."))
        return
    if ProgramLevel(level) not in HIGHER:
        # Caps by field and basis are for bachelor's and master's programs only (002 items 17, 19).
        await _program_done(ctx, level=level, field="", basis="")
        return
    await ctx.goto("field", level=level)
    ctx.reply(
        ctx._("Its field? The fields of 002 item 19 have a cap of 30 credits by distance."),
        buttons=[[Button(ctx._(label), dialog_button(key))] for key, label in FIELD_NAMES.items()]
        + [[Button(ctx._("Another field"), dialog_button("other"))]],
    )


@program_dialog.step("field")
async def program_field(ctx: Joined) -> None:
    field = choice(ctx)
    if field not in {*FIELD_NAMES, "other"}:
        ctx.ask_again(ctx._("Choose with a button."))
        return
    await ctx.goto("basis", field="" if field == "other" else field)
    ctx.reply(
        ctx._("On what basis do its students study?"),
        buttons=[[Button(ctx._(label), dialog_button(key))] for key, label in BASIS_NAMES.items()],
    )


@program_dialog.step("basis")
async def program_basis(ctx: Joined) -> None:
    basis = choice(ctx)
    if basis not in BASIS_NAMES:
        ctx.ask_again(ctx._("Choose with a button."))
        return
    await _program_done(ctx, level=ctx.data["level"], field=ctx.data["field"], basis=basis)


async def _program_done(ctx: Joined, *, level: str, field: str, basis: str) -> None:
    name = ctx.data["name"]
    try:
        program = await setup.create_program(
            ctx.session, ctx.org.id, name=name, level=ProgramLevel(level), field=field, basis=basis
        )
    except SetupError:
        await ctx.goto("name")
        exists(ctx, name)
        return
    await ctx.end_dialog()
    ctx.reply(
        ctx._(
            "The program «{name}» is created: {level}; {cap}.",
            name=program.name,
            level=ctx._(PROGRAM_LEVEL_NAMES[program.level]),
            cap=ctx._(CAP_NAMES[program.credit_cap_category]),
        ),
        buttons=[[NewGroup().button(ctx._("New group"))], menu_row(ctx)],
    )


# -- groups ------------------------------------------------------------------------------------------


@router.action(NewGroup, roles=SETUP)
async def group_start(ctx: Joined, _: NewGroup) -> None:
    await ctx.start_dialog("setup_group", "name")
    ctx.reply(ctx._("The name of the group (for example «ПО-23»)?"))


@group_dialog.step("name")
async def group_name(ctx: Joined) -> None:
    name = typed_text(ctx, 64)
    if name is None:
        return
    taken = await ctx.session.scalar(
        select(Group.id).where(Group.organization_id == ctx.org.id, Group.name == name)
    )
    if taken is not None:
        exists(ctx, name)
        return
    programs = list(
        await ctx.session.scalars(
            select(Program).where(Program.organization_id == ctx.org.id).order_by(Program.name)
        )
    )
    await ctx.goto("program", name=name)
    ctx.reply(
        ctx._("Which program does the group study?"),
        buttons=optional_buttons([(p.id, p.name) for p in programs[:30]], ctx._("No program yet")),
    )


@group_dialog.step("program")
async def group_program(ctx: Joined) -> None:
    ok, chosen_id = optional_id(ctx)
    if not ok:
        return
    try:
        group = await setup.create_group(
            ctx.session,
            ctx.org.id,
            name=ctx.data["name"],
            program_id=chosen_id,
        )
    except SetupError as exc:
        if exc.reason == SetupReason.exists:
            await ctx.goto("name")
            exists(ctx, ctx.data["name"])
        else:
            ctx.ask_again(ctx._("Choose with a button."))
        return
    await ctx.end_dialog()
    ctx.reply(
        ctx._(
            "The group {group} is created. Import its students with the roster, or add its courses.",
            group=group.name,
        ),
        buttons=[[NewCourse().button(ctx._("New course"))], menu_row(ctx)],
    )


# -- courses -----------------------------------------------------------------------------------------


@router.action(NewCourse, roles=SETUP)
async def course_start(ctx: Joined, _: NewCourse) -> None:
    buttons = await group_buttons(ctx)
    if not buttons:
        ctx.reply(ctx._("There are no groups yet. Create a group first."), buttons=[menu_row(ctx)])
        return
    await ctx.start_dialog("setup_course", "group")
    ctx.reply(ctx._("A new course: for which group?"), buttons=buttons)


@course_dialog.step("group")
async def course_group(ctx: Joined) -> None:
    group = await chosen_group(ctx)
    if group is None:
        return
    await ctx.goto("discipline", group_id=group.id, group=group.name)
    ctx.reply(ctx._("The discipline (for example «Mathematics»)?"))


@course_dialog.step("discipline")
async def course_discipline(ctx: Joined) -> None:
    name = typed_text(ctx, 300)
    if name is None:
        return
    taken = await ctx.session.scalar(
        select(Course.id).where(Course.group_id == ctx.data["group_id"], Course.discipline == name)
    )
    if taken is not None:
        exists(ctx, name)
        return
    await ctx.goto("credits", discipline=name)
    ctx.reply(ctx._("How many academic credits? Write a number (0 if the course has none)."))


@course_dialog.step("credits")
async def course_credits(ctx: Joined) -> None:
    text = (ctx.incoming.text or "").strip()
    if not text.isdigit() or int(text) > 300:
        ctx.reply(ctx._("Write the credits as a whole number, e.g. 5."))
        return
    await ctx.goto("teacher", credits=int(text))
    ctx.reply(ctx._("The teacher's full name (or a part of it)?"))


@course_dialog.step("teacher")
async def course_teacher(ctx: Joined) -> None:
    person = await pick_person(ctx, "teacher", Role.teacher)
    if person is None:
        return
    teaches = await ctx.session.scalar(
        select(PersonRole.id).where(PersonRole.person_id == person.id, PersonRole.role == Role.teacher)
    )
    if teaches is None:
        ctx.reply(ctx._("Nobody found by «{text}». Write the name again.", text=person.full_name))
        return
    terms = list(
        await ctx.session.scalars(
            select(AcademicTerm)
            .where(AcademicTerm.organization_id == ctx.org.id)
            .order_by(AcademicTerm.starts_on.desc())
        )
    )
    await ctx.goto("term", teacher_id=person.id, teacher=person.full_name)
    ctx.reply(
        ctx._("In which academic period?"),
        buttons=optional_buttons([(t.id, t.name) for t in terms[:12]], ctx._("No academic period")),
    )


@course_dialog.step("term")
async def course_term(ctx: Joined) -> None:
    ok, chosen_id = optional_id(ctx)
    if not ok:
        return
    data = ctx.data
    try:
        course = await setup.create_course(
            ctx.session,
            ctx.org.id,
            group_id=data["group_id"],
            discipline=data["discipline"],
            credits=data["credits"],
            teacher_id=data["teacher_id"],
            term_id=chosen_id,
        )
    except SetupError:
        ctx.ask_again(ctx._("Choose with a button."))
        return
    await ctx.end_dialog()
    ctx.reply(
        ctx.n_(
            "The course «{course}» of group {group} is created: {n} credit, teacher {teacher}.",
            "The course «{course}» of group {group} is created: {n} credits, teacher {teacher}.",
            course.credits,
            course=course.discipline,
            group=data["group"],
            teacher=data["teacher"],
        ),
        buttons=[[AddLesson().button(ctx._("Add a lesson to the timetable"))], menu_row(ctx)]
        if may(ctx.roles, Action.edit_timetable)
        else [menu_row(ctx)],
    )


# -- the timetable -----------------------------------------------------------------------------------


@router.action(AddLesson, roles=TIMETABLE)
async def lesson_start(ctx: Joined, _: AddLesson) -> None:
    await start_with_group(ctx, "setup_lesson", ctx._("A lesson for the timetable: which group?"))


@lesson_dialog.step("group")
async def lesson_group(ctx: Joined) -> None:
    group = await chosen_group(ctx)
    if group is not None:
        await ask_course_of(ctx, group)


@lesson_dialog.step("course")
async def lesson_course(ctx: Joined) -> None:
    course = await picked_course(ctx)
    if course is None:
        return
    await ctx.goto("when", course_id=course.id)
    ctx.reply(ask_when(ctx))


@lesson_dialog.step("when")
async def lesson_when(ctx: Joined) -> None:
    try:
        starts, ends = setup.lesson_time(ctx.incoming.text or "", utcnow(), ctx.org.timezone)
    except SetupError as exc:
        refuse_lesson_time(ctx, exc.reason)
        return
    await ctx.goto("mode", starts=starts.isoformat(), ends=ends.isoformat())
    ctx.reply(
        ctx._("Online with a link, or offline in a room?"),
        buttons=[
            [Button(ctx._("Online lesson"), dialog_button("online"))],
            [Button(ctx._("In a room"), dialog_button("offline"))],
        ],
    )


@lesson_dialog.step("mode")
async def lesson_mode(ctx: Joined) -> None:
    mode = choice(ctx)
    if mode not in ("online", "offline"):
        ctx.ask_again(ctx._("Choose with a button."))
        return
    await ctx.goto("place", mode=mode)
    ctx.reply(ctx._("The link to the lesson (https://...)?") if mode == "online" else ctx._("Which room?"))


@lesson_dialog.step("place")
async def lesson_place(ctx: Joined) -> None:
    mode = LessonMode(ctx.data["mode"])
    link = room = None
    if mode is LessonMode.online:
        try:
            link = clean_link(ctx.incoming.text)
        except LessonError:
            ctx.reply(ctx._("Send a link that starts with https://."))
            return
    else:
        room = typed_text(ctx, 64)
        if room is None:
            return
    lesson, course = await setup.add_lesson(
        ctx.session,
        ctx.org.id,
        course_id=ctx.data["course_id"],
        starts_at=dt.datetime.fromisoformat(ctx.data["starts"]),
        ends_at=dt.datetime.fromisoformat(ctx.data["ends"]),
        mode=mode,
        link=link,
        room=room,
    )
    group = ctx.data["group"]
    await ctx.end_dialog()
    ctx.reply(
        ctx._(
            "Added to the timetable: {course}, group {group}, {when}–{end}.",
            course=course.discipline,
            group=group,
            when=ctx.t.datetime(lesson.starts_at),
            end=ctx.t.time(lesson.ends_at),
        )
        + "\n"
        + await told_lines(ctx, await lessons.audience(ctx.session, lesson.id), "lesson", "lesson"),
        buttons=[[AddLesson().button(ctx._("Add a lesson to the timetable"))], menu_row(ctx)],
    )


# -- invites to WhatsApp -----------------------------------------------------------------------------


@router.action(SendInvites, roles=INVITES)
async def send_invites(ctx: Joined, _: SendInvites) -> None:
    """Every pending invite of the organization to its person's phone; pressing twice sends nothing twice."""
    if not ctx.deps.settings.whatsapp_enabled:
        ctx.reply(
            ctx._(
                "WhatsApp is not connected to Ustaz, so invites cannot be sent. Print the list and hand it "
                "out."
            ),
            buttons=[menu_row(ctx)],
        )
        return
    username = ctx.deps.telegram_username
    result = await invite_sending.send_invites(ctx.session, ctx.org, username)
    ctx.deps.wake_sender()
    lines = [
        ctx.n_(
            "{n} invite is on its way to WhatsApp.",
            "{n} invites are on their way to WhatsApp.",
            result.queued,
        )
    ]
    if result.again:
        lines.append(
            ctx.n_(
                "{n} was sent before and is not sent again.",
                "{n} were sent before and are not sent again.",
                result.again,
            )
        )
    if result.no_phone:
        lines.append(
            ctx.n_(
                "{n} person has no phone number: hand their invite out.",
                "{n} people have no phone number: hand their invites out.",
                result.no_phone,
            )
        )
    if result.taken:
        lines.append(
            ctx.n_(
                "{n} number belongs to someone else who has joined: hand that invite out.",
                "{n} numbers belong to someone else who has joined: hand those invites out.",
                result.taken,
            )
        )
    if result.queued and "invite" not in ctx.deps.settings.twilio_templates:
        lines.append(
            ctx._(
                "No WhatsApp template «invite» is set: the invites wait until it is approved and set, "
                "or until the person writes to Ustaz first."
            )
        )
    ctx.reply("\n".join(lines), buttons=[menu_row(ctx)])
