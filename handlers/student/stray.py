"""A file or photo a student sends outside any dialog is kept, never thrown away: it is offered to
their open assignments (one tap puts it in that assignment's draft, then «Confirm and hand in») or
sent to a teacher as a question.

pick: an assignment → the submit dialog's collect step; «ask» → course → the question is sent.
"""

from __future__ import annotations

from bot.core.context import Joined
from bot.core.messages import Button
from bot.core.router import Dialog, dialog_button
from bot.services.coursework import submissions
from bot.services.people import student_scope
from db.base import utcnow
from db.models import Role
from handlers.student import router
from handlers.student.submit import _collect_buttons, _draft_line, send_question
from handlers.ui import choice
from handlers.views import menu_row

STUDENT = [Role.student]
MAX_OFFERED = 8  # the nearest deadlines; the rest are one «Main menu» away
stray = router.add_dialog(Dialog("stray", roles=STUDENT, buttons_again=lambda ctx: _pick_buttons(ctx)))


def _pick_buttons(ctx: Joined) -> list[list[Button]]:
    rows = [[Button(title, dialog_button(aid))] for aid, title in ctx.data.get("offered", [])]
    return rows + [
        [Button(ctx._("Ask the teacher"), dialog_button("ask"))],
        [Button(ctx._("Throw it away"), dialog_button("drop"))],
    ]


async def offer(ctx: Joined) -> None:
    """Called for a message with files and no dialog waiting: the files are already in the store."""
    files = [a.file_name_id for a in ctx.incoming.attachments if a.file_name_id is not None]
    text = (ctx.incoming.text or "").strip()
    taking = await submissions.taking_work(ctx.session, ctx.person.id, utcnow())
    offered = [[t.id, t.title] for t in taking[:MAX_OFFERED]]
    await ctx.start_dialog("stray", "pick", files=files, text=text, offered=offered)
    if offered:
        lead = ctx._("I kept your file. Which assignment is it for? One tap attaches it.")
    else:
        lead = ctx._("I kept your file. You have no assignment waiting for work; send it to a teacher?")
    ctx.reply(lead, buttons=_pick_buttons(ctx))


@stray.step("pick")
async def pick(ctx: Joined) -> None:
    picked = choice(ctx)
    if picked == "drop":
        await ctx.end_dialog()
        ctx.reply(ctx._("Thrown away. Nothing was handed in."), buttons=[menu_row(ctx)])
        return
    if picked == "ask":
        courses = [c for c in await student_scope.courses(ctx.session, ctx.person.id) if c.teacher_id]
        await ctx.goto("course")
        ctx.reply(
            ctx._("Which course is your question about?"),
            buttons=[[Button(f"{c.discipline} — {c.teacher_name}", dialog_button(c.id))] for c in courses],
        )
        return
    offered = {str(aid) for aid, _ in ctx.data["offered"]}
    if picked not in offered:
        if ctx.incoming.attachments:  # more files: kept with the first ones
            files = [a.file_name_id for a in ctx.incoming.attachments if a.file_name_id is not None]
            await ctx.goto("pick", files=ctx.data["files"] + files)
            ctx.reply(ctx._("Kept too. Which assignment are they for?"), buttons=_pick_buttons(ctx))
            return
        ctx.ask_again(ctx._("Choose with a button."))
        return
    assignment_id = int(picked)
    draft = await submissions.add_to_draft(
        ctx.session, assignment_id, ctx.person.id, utcnow(), ctx.data["files"], ctx.data["text"] or None
    )
    await ctx.start_dialog("submit", "collect", a=assignment_id)
    ctx.reply(
        ctx._("Attached.")
        + " "
        + _draft_line(ctx, draft.files, draft.text)
        + "\n"
        + ctx._("Send more, or press «Confirm and hand in»."),
        buttons=_collect_buttons(ctx),
    )


@stray.step("course")
async def course(ctx: Joined) -> None:
    picked = choice(ctx)
    found = (
        await student_scope.course_of(ctx.session, ctx.person.id, int(picked))
        if picked and picked.isdigit()
        else None
    )
    if found is None:
        ctx.ask_again(ctx._("Choose the course with a button."))
        return
    await send_question(ctx, found.id, found.teacher_name, ctx.data["text"], ctx.data["files"])
