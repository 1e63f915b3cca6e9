"""Posting an assignment in a short dialog; then its page: new deadline, closing.

course → title → text and files → deadline → maximum score → control type → kind → preview → publish
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.actions.teacher import (
    ChangeDeadline,
    CloseAssignment,
    CopyAssignment,
    Extension,
    FilesZip,
    GradedWork,
    GradeQueue,
    MyAssignments,
    NewAssignment,
    ReleaseGrades,
    RemindMissing,
)
from bot.core.context import Joined
from bot.core.menus import menus
from bot.core.messages import Button, OutFile
from bot.core.router import Dialog, dialog_button
from bot.i18n import N_
from bot.labels import CONTROL_TYPE_NAMES, files_phrase
from bot.services.coursework import missing, posting
from bot.services.coursework.deadlines import DeadlineError
from bot.services.coursework.posting import Draft, DraftError, DraftReason
from bot.services.messaging import notices
from bot.services.messaging.notices import assignment_text, group_students
from bot.services.people.teacher_scope import NotYours, courses_of, own_assignment
from db.models import (
    Assignment,
    AssignmentKind,
    AssignmentStatus,
    ControlType,
    Course,
    Grade,
    Role,
    Submission,
    SubmissionStatus,
)
from handlers.teacher import router
from handlers.ui import (
    KIND_NAMES,
    choice,
    confirmed,
    deadline_buttons,
    early_attestation_warning,
    go_on_with_course,
    menu_row,
    not_yours,
    owned,
    pick_course,
    publish_buttons,
    read_deadline,
    stamp,
    told_lines,
    unstamp,
)

post = router.add_dialog(Dialog("post", roles=[Role.teacher]))
new_deadline = router.add_dialog(Dialog("deadline", roles=[Role.teacher]))
TEACHER = [Role.teacher]
MISSING_NAMES = 30  # named on the card; the rest are counted

menus.add(Role.teacher, N_("New assignment"), NewAssignment(), order=10)
menus.add(Role.teacher, N_("My assignments"), MyAssignments(), order=20)

DRAFT_ERRORS = {
    DraftReason.empty_title: N_("The title is empty. Send the assignment's title."),
    DraftReason.long_title: N_("The title is too long: keep it under 300 characters."),
    DraftReason.score_not_number: N_("The maximum score must be a number, for example 100."),
    DraftReason.score_range: N_("The maximum score must be a whole number from 1 to 1000."),
    DraftReason.closed: N_("This assignment is closed."),
}


def draft_error(ctx: Joined, exc: DraftError) -> None:
    ctx.reply(ctx._(DRAFT_ERRORS[exc.reason]))


def closed_already(ctx: Joined, assignment: Assignment) -> None:
    ctx.reply(
        ctx._("«{title}» is already closed.", title=assignment.title),
        buttons=[[MyAssignments(assignment.id).button(ctx._("Open the assignment"))], menu_row(ctx)],
    )


@router.action(NewAssignment, roles=TEACHER)
async def begin(ctx: Joined, _: NewAssignment) -> None:
    await pick_course(ctx, "post", "course", ctx._("New assignment. Choose the course and group:"))


@post.step("course")
async def course_step(ctx: Joined) -> None:
    if not await go_on_with_course(ctx, "title"):
        return
    ctx.reply(ctx._("Send the title of the assignment."))


@post.step("title")
async def title_step(ctx: Joined) -> None:
    try:
        title = posting.clean_title(ctx.incoming.text)
    except DraftError as exc:
        draft_error(ctx, exc)
        return
    await ctx.goto("body", title=title, text="", files=[])
    ctx.reply(
        ctx._(
            "Send the text of the assignment and any files (several messages are fine). "
            "Press «Done» when everything is sent."
        ),
        buttons=[[Button(ctx._("Done"), dialog_button("done"))]],
    )


@post.step("body")
async def body_step(ctx: Joined) -> None:
    if choice(ctx) == "done":
        await ctx.goto("deadline")
        ctx.reply(
            ctx._(
                "The deadline? Write it (for example «25.11 18:00» or «tomorrow 18:00») or press a button."
            ),
            buttons=deadline_buttons(ctx),
        )
        return
    text = ctx.data["text"]
    if ctx.incoming.text and not ctx.incoming.button:
        text = f"{text}\n{ctx.incoming.text}".strip()
    files = ctx.data["files"] + [a.file_name_id for a in ctx.incoming.attachments if a.file_name_id]
    await ctx.remember(text=text, files=files)
    ctx.reply(
        ctx._("Received. So far: {files}. Send more or press «Done».", files=files_phrase(ctx.t, len(files))),
        buttons=[[Button(ctx._("Done"), dialog_button("done"))]],
    )


@post.step("deadline")
async def deadline_step(ctx: Joined) -> None:
    deadline = read_deadline(ctx)
    if deadline is None:
        return
    await ctx.goto("score", deadline=stamp(deadline))
    ctx.reply(
        ctx._("Deadline: {when}. The maximum score?", when=ctx.t.datetime(deadline)),
        buttons=[[Button(str(n), dialog_button(n)) for n in (5, 10, 20, 100)]],
    )


@post.step("score")
async def score_step(ctx: Joined) -> None:
    try:
        score = posting.parse_score(choice(ctx) or ctx.incoming.text)
    except DraftError as exc:
        draft_error(ctx, exc)
        return
    await ctx.goto("control", max_score=score)
    ctx.reply(
        ctx._("The form of control?"),
        buttons=[[Button(ctx._(CONTROL_TYPE_NAMES[c]), dialog_button(c.value))] for c in ControlType],
    )


@post.step("control")
async def control_step(ctx: Joined) -> None:
    picked = choice(ctx)
    if picked not in {c.value for c in ControlType}:
        ctx.ask_again(ctx._("Choose with a button."))
        return
    await ctx.goto("kind", control=picked)
    kinds = [k for k in AssignmentKind if k != AssignmentKind.test]  # tests are built under «Tests»
    ctx.reply(
        ctx._("The kind of work?"),
        buttons=[[Button(ctx._(KIND_NAMES[k]), dialog_button(k.value))] for k in kinds],
    )


def draft_of(data: dict[str, Any]) -> Draft:
    return Draft(
        course_id=data["course_id"],
        title=data["title"],
        text=data.get("text", ""),
        files=list(data.get("files", [])),
        deadline=unstamp(data["deadline"]),
        max_score=data["max_score"],
        control_type=ControlType(data["control"]),
        kind=AssignmentKind(data["kind"]),
        accepts_late=bool(data.get("accepts_late", True)),
    )


@post.step("kind")
async def kind_step(ctx: Joined) -> None:
    picked = choice(ctx)
    if picked not in {k.value for k in AssignmentKind}:
        ctx.ask_again(ctx._("Choose with a button."))
        return
    await ctx.goto("preview", kind=picked)
    await show_preview(ctx)


def late_line(ctx: Joined, accepts_late: bool) -> str:
    if accepts_late:
        return ctx._("Late work: accepted and marked late.")
    return ctx._("Late work: not accepted after the deadline.")


async def show_preview(ctx: Joined) -> None:
    draft = draft_of(ctx.data)
    course = await ctx.session.get(Course, draft.course_id)
    assert course is not None
    preview = Assignment(
        title=draft.title,
        text=draft.text,
        deadline=draft.deadline,
        max_score=draft.max_score,
        control_type=draft.control_type,
    )
    text = assignment_text(ctx.t, preview, course)
    text += "\n" + ctx._("Kind: {kind}", kind=ctx._(KIND_NAMES[draft.kind]))
    text += "\n" + late_line(ctx, draft.accepts_late)
    warning = await early_attestation_warning(ctx, draft.course_id, draft.control_type, draft.deadline)
    if warning:
        text += "\n\n" + warning
    # The default (late work accepted, marked late) costs no tap; the other choice is one.
    toggle = ctx._("Do not accept late work") if draft.accepts_late else ctx._("Accept late work")
    ctx.reply(
        ctx._("Preview — this is what the students will get:") + "\n\n" + text,
        files=[OutFile(f) for f in draft.files],
        buttons=[[Button(toggle, dialog_button("late"))]] + publish_buttons(ctx),
    )


@post.step("preview")
async def preview_step(ctx: Joined) -> None:
    if choice(ctx) == "late":
        await ctx.remember(accepts_late=not ctx.data.get("accepts_late", True))
        await show_preview(ctx)
        return
    if not await confirmed(ctx):
        return
    draft = draft_of(ctx.data)
    try:
        assignment = await posting.publish(ctx.session, ctx.person.id, draft)
    except DeadlineError:
        await ctx.goto("deadline")
        ctx.reply(
            ctx._("The deadline has passed while we talked. Choose a later one."),
            buttons=deadline_buttons(ctx),
        )
        return
    except NotYours:
        await ctx.end_dialog()
        not_yours(ctx)
        return
    await ctx.end_dialog()
    course = await ctx.session.get(Course, assignment.course_id)
    assert course is not None
    students = await group_students(ctx.session, course.group_id)
    ctx.reply(
        ctx._("Published: «{title}».", title=assignment.title)
        + "\n"
        + await told_lines(ctx, students, notices.NEW_ASSIGNMENT, notices.PARENT_ASSIGNMENT),
        buttons=[
            [CopyAssignment(assignment.id).button(ctx._("Post to another group"))],
            [MyAssignments(assignment.id).button(ctx._("Open the assignment"))],
            menu_row(ctx),
        ],
    )


# -- the teacher's assignments -------------------------------------------------------


@router.action(MyAssignments, roles=TEACHER)
async def assignments(ctx: Joined, action: MyAssignments) -> None:
    if action.assignment_id is not None:
        await show_assignment(ctx, str(action.assignment_id))
        return
    rows, total = await posting.open_assignments(ctx.session, ctx.person.id)
    if not rows:
        ctx.reply(ctx._("You have no open assignments."), buttons=[menu_row(ctx)])
        return
    groups = {c.id: c.group for c in await courses_of(ctx.session, ctx.person.id)}
    # The group in the label: one assignment posted to five groups is five lines a teacher tells apart.
    buttons = [
        [
            MyAssignments(a.id).button(
                f"{a.title} · {groups.get(a.course_id, '')} · {ctx.t.datetime(a.deadline, 'd.MM HH:mm')}"
            )
        ]
        for a in rows
    ]
    text = ctx._("Your open assignments, the nearest deadlines first:")
    if total > len(rows):
        text += "\n" + ctx.n_(
            "{shown} of {n} is shown: close the finished ones to see the rest.",
            "{shown} of {n} are shown: close the finished ones to see the rest.",
            total,
            shown=len(rows),
        )
    ctx.reply(text, buttons=buttons + [menu_row(ctx)])


async def show_assignment(ctx: Joined, assignment_id: str) -> None:
    try:
        assignment = await own_assignment(ctx.session, ctx.person.id, assignment_id)
    except (NotYours, ValueError):
        not_yours(ctx)
        return
    course = await ctx.session.get(Course, assignment.course_id)
    assert course is not None
    group_size = len(await group_students(ctx.session, course.group_id))
    counts = dict(
        (
            await ctx.session.execute(
                select(Submission.status, func.count())
                .where(Submission.assignment_id == assignment.id)
                .group_by(Submission.status)
            )
        )
        .tuples()
        .all()
    )
    handed = sum(n for s, n in counts.items() if s != SubmissionStatus.draft)
    drafts = await ctx.session.scalar(
        select(func.count()).where(Grade.assignment_id == assignment.id, Grade.released.is_(False))
    )
    lines = [
        assignment_text(ctx.t, assignment, course, new=False),
        "",
        ctx._("Handed in: {n} of {total}", n=handed, total=group_size),
        ctx._("Waiting for a grade: {n}", n=counts.get(SubmissionStatus.submitted, 0)),
    ]
    if drafts:
        lines.append(ctx._("Draft grades not yet released: {n}", n=drafts))
    lines.append(late_line(ctx, assignment.accepts_late))
    absent = (
        await missing.not_handed_in(ctx.session, assignment)
        if assignment.status != AssignmentStatus.closed
        else []
    )
    if absent:
        shown = ", ".join(m.name for m in absent[:MISSING_NAMES])
        if len(absent) > MISSING_NAMES:
            shown += ", …"
        lines.append(ctx._("Not handed in ({n}): {names}", n=len(absent), names=shown))
    if assignment.status == AssignmentStatus.closed:
        lines.append(ctx._("The assignment is closed."))
    buttons = [
        [
            GradeQueue(assignment.id).button(ctx._("Submissions")),
            FilesZip(assignment.id).button(ctx._("All files as ZIP")),
        ],
        [GradedWork(assignment_id=assignment.id).button(ctx._("Graded work"))],
    ]
    if assignment.status != AssignmentStatus.closed:  # a closed one takes no new deadline nor extension
        buttons.append(
            [
                ChangeDeadline(assignment.id).button(ctx._("Change the deadline")),
                Extension(assignment.id).button(ctx._("Extension")),
            ]
        )
    if absent:
        buttons.append([RemindMissing(assignment.id).button(ctx._("Remind them"))])
        buttons.append([RemindMissing(assignment.id, 1).button(ctx._("Remind them and their parents"))])
    if drafts:
        buttons.append([ReleaseGrades(assignment.id).button(ctx._("Release the draft grades"))])
    if assignment.test_id is None:
        buttons.append([CopyAssignment(assignment.id).button(ctx._("Post to another group"))])
    if assignment.status != AssignmentStatus.closed:
        buttons.append([CloseAssignment(assignment.id).button(ctx._("Close the assignment"))])
    ctx.reply("\n".join(lines), buttons=buttons + [menu_row(ctx)])


@router.action(ChangeDeadline, roles=TEACHER)
async def change_deadline(ctx: Joined, action: ChangeDeadline) -> None:
    assignment = await owned(ctx, own_assignment, action.assignment_id)
    if assignment is None:
        return
    if assignment.status == AssignmentStatus.closed:
        closed_already(ctx, assignment)
        return
    await ctx.start_dialog("deadline", "new", assignment_id=assignment.id)
    ctx.reply(
        ctx._(
            "The deadline is now {when}. Write the new one or press a button.",
            when=ctx.t.datetime(assignment.deadline),
        ),
        buttons=deadline_buttons(ctx),
    )


@new_deadline.step("new")
async def new_deadline_step(ctx: Joined) -> None:
    deadline = read_deadline(ctx)
    if deadline is None:
        return
    try:
        assignment = await posting.change_deadline(
            ctx.session, ctx.person.id, ctx.data["assignment_id"], deadline
        )
    except DraftError as exc:
        await ctx.end_dialog()
        ctx.reply(
            ctx._(DRAFT_ERRORS[exc.reason]),
            buttons=[
                [MyAssignments(ctx.data["assignment_id"]).button(ctx._("Open the assignment"))],
                menu_row(ctx),
            ],
        )
        return
    await ctx.end_dialog()
    ctx.reply(
        ctx._(
            "The new deadline is {when}. The students have been told.",
            when=ctx.t.datetime(assignment.deadline),
        ),
        buttons=[[MyAssignments(assignment.id).button(ctx._("Open the assignment"))], menu_row(ctx)],
    )


@router.action(CloseAssignment, roles=TEACHER)
async def close(ctx: Joined, action: CloseAssignment) -> None:
    try:
        assignment = await own_assignment(ctx.session, ctx.person.id, action.assignment_id)
    except (NotYours, ValueError):
        not_yours(ctx)
        return
    if assignment.status == AssignmentStatus.closed:  # a second press: keep the first closing time
        closed_already(ctx, assignment)
        return
    await posting.close(ctx.session, ctx.person.id, assignment.id)
    ctx.reply(
        ctx._("«{title}» is closed: new work is no longer accepted.", title=assignment.title),
        buttons=[menu_row(ctx)],
    )
