"""Handing in work (sub:<assignment_id>) and asking the teacher a question.

submit:  open → collect (files, photos, voice, video, text land in the draft at once)
         → dlg:confirm → receipt;  dlg:cancel drops the draft.
ask:     choose the course → send the question (text or a file) → the teacher is told.
"""

from __future__ import annotations

from bot.actions.student import AskTeacher, MyWork, StartTest, Submit
from bot.core.context import Joined
from bot.core.messages import Button, OutFile
from bot.core.router import Dialog, dialog_button
from bot.i18n import N_
from bot.labels import files_phrase
from bot.services.attestation import admission, proctoring
from bot.services.coursework import assignments, quizzes, submissions
from bot.services.coursework.submissions import Receipt, Refusal
from bot.services.messaging import questions
from bot.services.people import student_scope
from db.base import utcnow
from db.models import Assignment, Course, Person, Role
from handlers.student import router
from handlers.ui import choice
from handlers.views import STATE_NAMES, menu_row, not_admitted_text

STUDENT = [Role.student]
submit = router.add_dialog(Dialog("submit", roles=STUDENT, buttons_again=lambda ctx: _collect_buttons(ctx)))
ask_dialog = router.add_dialog(Dialog("ask", roles=STUDENT))

REFUSALS = {
    Refusal.closed: N_("The teacher has closed this assignment: work is no longer accepted."),
    Refusal.graded: N_("This work is already graded; it cannot be replaced."),
    Refusal.deadline_passed: N_("The deadline has passed: the work you handed in can no longer be replaced."),
    Refusal.not_published: N_("This assignment is not published."),
}


async def refusal_text(ctx: Joined, why: Refusal, assignment: Assignment) -> str:
    """Why the work cannot be handed in; a written attestation names what is still to do (001 item 29)."""
    if why == Refusal.not_admitted:
        return not_admitted_text(ctx.t, await admission.check(ctx.session, ctx.person.id, assignment))
    if why == Refusal.late_not_accepted:
        course = await ctx.session.get(Course, assignment.course_id)
        teacher = await ctx.session.get(Person, course.teacher_id) if course and course.teacher_id else None
        if teacher is None:
            return ctx._("The deadline has passed and late work is not accepted for this assignment.")
        return ctx._(
            "The deadline has passed and your teacher does not accept late work for this assignment. "
            "To hand it in, ask {teacher} for an extension.",
            teacher=teacher.full_name,
        )
    return ctx._(REFUSALS[why])


def refusal_buttons(ctx: Joined, why: Refusal, assignment: Assignment) -> list[list[Button]]:
    """Late work refused: the way to the teacher is one tap; otherwise only the menu."""
    if why == Refusal.late_not_accepted:
        return [[AskTeacher(assignment.course_id).button(ctx._("Ask the teacher"))], menu_row(ctx)]
    return [menu_row(ctx)]


def _collect_buttons(ctx: Joined) -> list[list[Button]]:
    return [
        [Button(ctx._("Confirm and hand in"), dialog_button("confirm"))],
        [Button(ctx._("Cancel"), dialog_button("cancel"))],
    ]


async def show_assignment(ctx: Joined, assignment_id: int) -> None:
    """An assignment's card with where it stands and the button to hand in work."""
    v = await assignments.view(ctx.session, ctx.person.id, assignment_id, utcnow())
    if v is None:
        ctx.reply(ctx._("This assignment is not yours or no longer exists."), buttons=[menu_row(ctx)])
        return
    lines = [
        f"{v.title} ({v.discipline})",
        ctx._("Deadline: {deadline}", deadline=ctx.t.datetime(v.deadline)),
        ctx._("Maximum score: {score}", score=v.max_score),
        ctx._("State: {state}", state=ctx._(STATE_NAMES[v.state])),
    ]
    if v.receipt:
        lines.append(ctx._("Receipt: {number}", number=v.receipt))
    if v.score is not None:
        lines.append(ctx._("{score} of {max}", score=ctx.t.number(v.score), max=v.max_score))
    if v.comment:
        lines.append(ctx._("Teacher's comment: {comment}", comment=v.comment))
    if v.text:
        lines += ["", v.text]
    assignment = await ctx.session.get(Assignment, v.id)
    if assignment is None or assignment.test_id is None:
        mine = [[MyWork(v.id).button(ctx._("My handed-in work"))]] if v.receipt else []
        # Offer the button only when handing in can work; otherwise say why it can't.
        why = (
            await submissions.refusal(ctx.session, assignment, ctx.person.id, utcnow())
            if assignment
            else None
        )
        if why is not None and assignment is not None:
            text = await refusal_text(ctx, why, assignment)
            ctx.reply("\n".join(lines + ["", text]), buttons=mine + refusal_buttons(ctx, why, assignment))
            return
        # Past the student's own deadline the work is still taken (the teacher allows it), marked late.
        label = ctx._("Hand in late") if utcnow() > v.deadline else ctx._("Submit work")
        ctx.reply("\n".join(lines), buttons=[[Submit(v.id).button(label)]] + mine + [menu_row(ctx)])
        return
    # A test: the button starts an attempt, continues the running one, or is not there when none can start.
    ended = await quizzes.end_overdue(ctx.session, ctx.person.id)
    if ended:
        lines = [quizzes.ended_text(ctx.t, e) for e in ended] + [""] + lines
    wrong = await quizzes.wrong_answers(ctx.session, ctx.person.id, assignment, utcnow())
    if wrong is not None:
        lines += ["", ctx._("The test is closed. Your answers:")]
        if not wrong:
            lines.append(ctx._("Every answer is right."))
        for w in wrong:
            lines.append(
                ctx._(
                    "Question {n} is wrong: {question} The right answer: {right}.",
                    n=w.number,
                    question=w.question,
                    right="; ".join(w.right),
                )
            )
    action = await quizzes.start_action(ctx.session, ctx.person.id, v.id)
    rows = []
    if action == "continue":
        rows.append([StartTest(v.id).button(ctx._("Continue the test"))])
    elif action == "start":
        rows.append([StartTest(v.id).button(ctx._("Start the test"))])
    ctx.reply("\n".join(lines), buttons=rows + [menu_row(ctx)])


@router.action(MyWork, roles=STUDENT)
async def my_work(ctx: Joined, action: MyWork) -> None:
    """What the student handed in, every version with its files: the record is theirs to see."""
    versions = await submissions.my_versions(ctx.session, action.assignment_id, ctx.person.id)
    if not versions:
        ctx.reply(ctx._("You have not handed this in yet."), buttons=[menu_row(ctx)])
        return
    lines, files = [], []
    for version in versions:
        lines.append(
            ctx._("Version {n}, {when}", n=version.number, when=ctx.t.datetime(version.submitted_at))
        )
        if version.files:
            lines.append(ctx._("Files: {names}", names=", ".join(name for _, name in version.files)))
        if version.text:
            lines.append(ctx._("Text: {text}", text=version.text[:200]))
        files += [OutFile(file_id) for file_id, _ in version.files]
    ctx.reply("\n".join(lines), files=files[:10], buttons=[menu_row(ctx)])


@router.action(Submit, roles=STUDENT)
async def open_submit(ctx: Joined, action: Submit) -> None:
    now = utcnow()
    assignment_id = action.assignment_id
    v = await assignments.view(ctx.session, ctx.person.id, assignment_id, now) if assignment_id else None
    assignment = await ctx.session.get(Assignment, assignment_id) if v else None
    if v is None or assignment is None:
        ctx.reply(ctx._("This assignment is not yours or no longer exists."), buttons=[menu_row(ctx)])
        return
    if assignment.test_id is not None:
        # A test is taken, not handed in: the same button leads to it.
        from handlers.student.quiz import start_test

        await start_test(ctx, StartTest(assignment.id))
        return
    why = await submissions.refusal(ctx.session, assignment, ctx.person.id, now)
    if why is not None:
        ctx.reply(await refusal_text(ctx, why, assignment), buttons=refusal_buttons(ctx, why, assignment))
        return
    lines = [
        ctx._("Handing in: «{title}» ({course})", title=v.title, course=v.discipline),
        ctx._("Deadline: {deadline}", deadline=ctx.t.datetime(v.deadline)),
    ]
    if now > v.deadline:
        lines.append(ctx._("The deadline has passed: the work will be accepted and marked late."))
    elif v.receipt:
        lines.append(
            ctx._("You have already handed this in. A new version replaces it; the earlier ones are kept.")
        )
    if submissions.written_attestation(assignment):
        # Online proctoring (002 item 16): the photo with the ID comes first, then the work.
        await ctx.start_dialog("submit", "identity", a=v.id)
        lines += [
            "",
            ctx._(
                "This is an attestation: first send a photo of yourself holding your ID (online proctoring). "
                "Your teacher checks it before grading the work."
            ),
        ]
        ctx.reply("\n".join(lines), buttons=[[Button(ctx._("Cancel"), dialog_button("cancel"))]])
        return
    await _collect(ctx, v.id, lines)


async def _collect(ctx: Joined, assignment_id: int, lines: list[str], **data: int) -> None:
    draft = await submissions.draft_info(ctx.session, assignment_id, ctx.person.id)
    if draft is not None:
        lines.append(_draft_line(ctx, draft.files, draft.text))
    lines += [
        "",
        ctx._(
            "Send your work: documents, photos (several photos make one submission), voice, audio, "
            "video or text. Then press «Confirm and hand in»."
        ),
    ]
    await ctx.start_dialog("submit", "collect", a=assignment_id, **data)
    ctx.reply("\n".join(lines), buttons=_collect_buttons(ctx))


@submit.step("identity")
async def identity_photo(ctx: Joined) -> None:
    assignment_id = int(ctx.data["a"])
    if ctx.incoming.button and choice(ctx) == "cancel":
        await ctx.end_dialog()
        ctx.reply(ctx._("Cancelled. Nothing was handed in."), buttons=[menu_row(ctx)])
        return
    photos = [a for a in ctx.incoming.attachments if a.kind == "photo" and a.file_name_id]
    if not photos:
        ctx.reply(
            ctx._("Send a photo of yourself holding your ID first."),
            buttons=[[Button(ctx._("Cancel"), dialog_button("cancel"))]],
        )
        return
    await _collect(ctx, assignment_id, [ctx._("The photo is received.")], idp=photos[0].file_name_id or 0)


def _draft_line(ctx: Joined, files: list[str], text: str | None) -> str:
    parts = []
    if files:
        parts.append(files_phrase(ctx.t, len(files)) + ": " + ", ".join(files))
    if text:
        parts.append(ctx._("text"))
    return ctx._("Not handed in yet: {what}.", what="; ".join(parts))


@submit.step("collect")
async def collect(ctx: Joined) -> None:
    assignment_id = int(ctx.data["a"])
    if ctx.incoming.button:
        action = choice(ctx) or ""
        if action == "confirm":
            await _confirm(ctx, assignment_id)
        elif action == "cancel":
            draft = await submissions.draft_info(ctx.session, assignment_id, ctx.person.id)
            if draft is not None and (draft.files or draft.text):
                # What was sent is not thrown away on one press (on WhatsApp a typed "2" is that press).
                ctx.reply(
                    ctx._("Throw away what you sent? It has not been handed in.")
                    + "\n"
                    + _draft_line(ctx, draft.files, draft.text),
                    buttons=[
                        [Button(ctx._("Yes, throw it away"), dialog_button("discard"))],
                        [Button(ctx._("No, keep it"), dialog_button("keep"))],
                    ],
                )
            else:
                await _discard(ctx, assignment_id)
        elif action == "discard":
            await _discard(ctx, assignment_id)
        elif action == "keep":
            ctx.reply(
                ctx._("Kept. Send more, or press «Confirm and hand in»."), buttons=_collect_buttons(ctx)
            )
        else:
            ctx.reply(ctx._("This button is no longer active."), buttons=_collect_buttons(ctx))
        return
    file_ids = [a.file_name_id for a in ctx.incoming.attachments if a.file_name_id is not None]
    text = ctx.incoming.text if not ctx.incoming.command else None
    if not file_ids and not (text and text.strip()):
        ctx.reply(ctx._("Send files or text, or press a button."), buttons=_collect_buttons(ctx))
        return
    draft = await submissions.add_to_draft(
        ctx.session, assignment_id, ctx.person.id, utcnow(), file_ids, text
    )
    ctx.reply(
        ctx._("Received.")
        + " "
        + _draft_line(ctx, draft.files, draft.text)
        + "\n"
        + ctx._("Send more, or press «Confirm and hand in»."),
        buttons=_collect_buttons(ctx),
    )


async def _discard(ctx: Joined, assignment_id: int) -> None:
    await submissions.discard_draft(ctx.session, assignment_id, ctx.person.id)
    await ctx.end_dialog()
    ctx.reply(ctx._("Cancelled. Nothing was handed in."), buttons=[menu_row(ctx)])


async def _confirm(ctx: Joined, assignment_id: int) -> None:
    assignment = await ctx.session.get(Assignment, assignment_id)
    if assignment is None:
        await ctx.end_dialog()
        ctx.reply(ctx._("This assignment is not yours or no longer exists."), buttons=[menu_row(ctx)])
        return
    result = await submissions.confirm(ctx.session, assignment, ctx.person.id, utcnow())
    if result is None:
        ctx.reply(ctx._("Nothing to hand in yet: send files or text first."), buttons=_collect_buttons(ctx))
        return
    if isinstance(result, Refusal):
        await ctx.end_dialog()
        ctx.reply(
            await refusal_text(ctx, result, assignment), buttons=refusal_buttons(ctx, result, assignment)
        )
        return
    photo = ctx.data.get("idp")
    if photo:
        await proctoring.attach_photo(ctx.session, assignment, ctx.person.id, int(photo))
    await ctx.end_dialog()
    text = receipt_text(ctx, assignment, result)
    if photo:
        text += "\n" + ctx._("Your teacher checks your identity photo before grading the work.")
    ctx.reply(text, buttons=[menu_row(ctx)])


def receipt_text(ctx: Joined, assignment: Assignment, receipt: Receipt) -> str:
    lines = [
        ctx._("Your work is handed in. Receipt № {number}", number=receipt.number),
        ctx._("Assignment: {title}", title=assignment.title),
        ctx._("Time: {time}", time=ctx.t.datetime(receipt.submitted_at, year=True)),
    ]
    if receipt.files:
        lines.append(ctx._("Files: {names}", names=", ".join(receipt.files)))
    if receipt.text:
        lines.append(ctx._("Text: {text}", text=receipt.text[:200]))
    if receipt.version > 1:
        lines.append(ctx._("Version {n}; the earlier versions are kept.", n=receipt.version))
    if receipt.late:
        lines.append(ctx._("Handed in after the deadline: marked late."))
    return "\n".join(lines)


# -- questions to the teacher ------------------------------------------------------------------
@router.action(AskTeacher, roles=STUDENT)
async def ask(ctx: Joined, action: AskTeacher) -> None:
    courses = [c for c in await student_scope.courses(ctx.session, ctx.person.id) if c.teacher_id]
    if action.course_id is not None:
        course = next((c for c in courses if c.id == action.course_id), None)
        if course is None:
            ctx.reply(ctx._("This button is no longer active."), buttons=[menu_row(ctx)])
            return
        await ctx.start_dialog("ask", "text", c=course.id)
        ctx.reply(
            ctx._(
                "Write your question to {teacher} ({course}). You may attach a file or a photo.",
                teacher=course.teacher_name or "",
                course=course.discipline,
            ),
            buttons=[[Button(ctx._("Cancel"), dialog_button("cancel"))]],
        )
        return
    rows = [[AskTeacher(c.id).button(f"{c.discipline} — {c.teacher_name}")] for c in courses]
    ctx.reply(ctx._("Which course is your question about?"), buttons=rows + [menu_row(ctx)])


@ask_dialog.step("text")
async def ask_text(ctx: Joined) -> None:
    if ctx.incoming.button:
        await ctx.end_dialog()
        ctx.reply(ctx._("Cancelled."), buttons=[menu_row(ctx)])
        return
    files = [a.file_name_id for a in ctx.incoming.attachments if a.file_name_id is not None]
    text = (ctx.incoming.text or "").strip()
    if not text and not files:
        ctx.reply(ctx._("Write the question as text, or send a file."))
        return
    course = await student_scope.course_of(ctx.session, ctx.person.id, int(ctx.data["c"]))
    if course is None:
        await ctx.end_dialog()
        ctx.reply(ctx._("This button is no longer active."), buttons=[menu_row(ctx)])
        return
    await send_question(ctx, course.id, course.teacher_name, text, files)


async def send_question(
    ctx: Joined, course_id: int, teacher: str | None, text: str, files: list[int]
) -> None:
    """The question goes to the course's teacher and the dialog ends. Every file of the message is kept:
    the first with the question, the rest as further questions."""
    await questions.ask(ctx.session, ctx.person.id, course_id, text, files[0] if files else None)
    for extra in files[1:]:
        await questions.ask(ctx.session, ctx.person.id, course_id, "", extra)
    await ctx.end_dialog()
    ctx.reply(
        ctx._("Your question has been sent to {teacher}. The answer will come here.", teacher=teacher),
        buttons=[menu_row(ctx)],
    )
