"""Announcements to a group, its parents or both (and who acknowledged), and answering questions."""

from __future__ import annotations

from bot.actions.teacher import Acknowledgements, Announce, AnswerQuestionSent, StudentQuestions
from bot.core.context import Joined
from bot.core.menus import menus
from bot.core.messages import Button, shorten
from bot.core.router import Dialog, dialog_button
from bot.i18n import N_
from bot.services.messaging import announcing, notices, reach
from bot.services.messaging.reach import Reach
from bot.services.people.teacher_scope import NotYours, courses_of
from db.models import Role
from handlers.teacher import router
from handlers.ui import choice, list_questions, menu_row, not_yours, show_question

TEACHER = [Role.teacher]
announcing_dialog = router.add_dialog(Dialog("announce", roles=TEACHER))
answering = router.add_dialog(Dialog("answer", roles=TEACHER))

menus.add(Role.teacher, N_("Announcement"), Announce(), order=85)
menus.add(Role.teacher, N_("Students' questions"), StudentQuestions(), order=50)

AUDIENCE_NAMES = {
    "students": N_("Students"),
    "parents": N_("Parents"),
    "both": N_("Students and parents"),
}


@router.action(Announce, roles=TEACHER)
async def begin(ctx: Joined, _: Announce) -> None:
    groups = {c.group_id: c.group for c in await courses_of(ctx.session, ctx.person.id)}
    if not groups:
        ctx.reply(
            ctx._("You have no courses yet. Ask your organization to assign them."), buttons=[menu_row(ctx)]
        )
        return
    await ctx.start_dialog("announce", "group")
    ctx.reply(
        ctx._("Announcement: to which group?"),
        buttons=[
            [Button(name, dialog_button(gid))] for gid, name in sorted(groups.items(), key=lambda g: g[1])
        ]
        + [[Acknowledgements().button(ctx._("Acknowledgements of my announcements"))]],
    )


@announcing_dialog.step("group")
async def group_step(ctx: Joined) -> None:
    if not (choice(ctx) or "").isdigit():
        ctx.ask_again(ctx._("Choose with a button."))
        return
    await ctx.goto("audience", group_id=int(choice(ctx) or 0))
    ctx.reply(
        ctx._("To whom?"),
        buttons=[[Button(ctx._(label), dialog_button(key))] for key, label in AUDIENCE_NAMES.items()],
    )


@announcing_dialog.step("audience")
async def audience_step(ctx: Joined) -> None:
    if choice(ctx) not in AUDIENCE_NAMES:
        ctx.ask_again(ctx._("Choose with a button."))
        return
    await ctx.goto("text", audience=choice(ctx))
    ctx.reply(ctx._("The text of the announcement?"))


SEND_BUTTON, CANCEL_BUTTON = "send", "cancel"


@announcing_dialog.step("text")
async def text_step(ctx: Joined) -> None:
    text = (ctx.incoming.text or "").strip()
    if not text:
        ctx.reply(ctx._("The announcement is empty. Send its text."))
        return
    people = await announcing.reach(ctx.session, ctx.data["group_id"], ctx.data["audience"])
    if people < announcing.PREVIEW_FROM:
        await _send(ctx, text)
        return
    # Many people: the author sees what goes and to how many before it goes.
    await ctx.goto("confirm", text=text)
    ctx.reply(
        ctx.n_(
            "Preview — this goes to {n} person:",
            "Preview — this goes to {n} people:",
            people,
        )
        + "\n\n"
        + text,
        buttons=[
            [Button(ctx._("Send"), dialog_button(SEND_BUTTON))],
            [Button(ctx._("Cancel"), dialog_button(CANCEL_BUTTON))],
        ],
    )


@announcing_dialog.step("confirm")
async def confirm_step(ctx: Joined) -> None:
    picked = choice(ctx)
    if picked == CANCEL_BUTTON:
        await ctx.end_dialog()
        ctx.reply(ctx._("The announcement is not sent."), buttons=[menu_row(ctx)])
        return
    if picked != SEND_BUTTON:
        ctx.ask_again(ctx._("Press «Send» or «Cancel»."))
        return
    await _send(ctx, ctx.data["text"])


async def _send(ctx: Joined, text: str) -> None:
    group_id, audience = ctx.data["group_id"], ctx.data["audience"]
    try:
        ann = await announcing.post(
            ctx.session, ctx.person.id, ctx.data["group_id"], ctx.data["audience"], text
        )
    except NotYours:
        await ctx.end_dialog()
        not_yours(ctx)
        return
    await ctx.end_dialog()
    students = await notices.group_students(ctx.session, group_id)
    found = await reach.group_reach(
        ctx.session, students, notices.ANNOUNCEMENT, notices.ANNOUNCEMENT, ctx.deps.settings.twilio_templates
    )
    told = (found.students if audience in ("students", "both") else Reach(0, 0)) + (
        found.parents if audience in ("parents", "both") else Reach(0, 0)
    )
    ctx.reply(
        "\n".join(
            [
                ctx.n_(
                    "The announcement is sent: it reaches {reached} of {n} person.",
                    "The announcement is sent: it reaches {reached} of {n} people.",
                    told.total,
                    reached=told.reached,
                ),
                reach.not_reached_text(ctx.t, told),
            ]
        ).strip(),
        buttons=[[Acknowledgements(ann.id).button(ctx._("Who acknowledged"))], menu_row(ctx)],
    )


@router.action(Acknowledgements, roles=TEACHER)
async def acknowledgements(ctx: Joined, action: Acknowledgements) -> None:
    if action.announcement_id is None:
        mine = await announcing.mine(ctx.session, ctx.person.id)
        if not mine:
            ctx.reply(ctx._("You have not sent announcements yet."), buttons=[menu_row(ctx)])
            return
        ctx.reply(
            ctx._("Your announcements:"),
            buttons=[
                [
                    Acknowledgements(a.id).button(
                        f"{ctx.t.datetime(a.created_at, 'd.MM')} · {shorten(a.text, 40)}"
                    )
                ]
                for a in mine
            ]
            + [menu_row(ctx)],
        )
        return
    try:
        acks = await announcing.acknowledgements(ctx.session, ctx.person.id, action.announcement_id)
    except (NotYours, ValueError):
        not_yours(ctx)
        return
    lines = [
        ctx._("Acknowledged: {n}", n=len(acks.acknowledged)),
        *[f"✅ {name}" for name in acks.acknowledged],
        "",
        ctx._("Not yet: {n}", n=len(acks.waiting)),
        *[f"… {name}" for name in acks.waiting],
    ]
    ctx.reply("\n".join(lines), buttons=[menu_row(ctx)])


@router.action(AnswerQuestionSent, roles=TEACHER)
async def answer_sent_question(ctx: Joined, action: AnswerQuestionSent) -> None:
    await questions(ctx, StudentQuestions(action.question_id))


@router.action(StudentQuestions, roles=TEACHER)
async def questions(ctx: Joined, action: StudentQuestions) -> None:
    """The questions waiting for an answer; one of them (also the «Answer» button of its notice)."""
    waiting = await announcing.open_questions(ctx.session, ctx.person.id)
    if action.question_id is not None:
        found = next((w for w in waiting if w[0].id == action.question_id), None)
        if found is None:
            not_yours(ctx)
            return
        question, student, discipline = found
        await ctx.start_dialog("answer", "text", question_id=question.id)
        show_question(ctx, student, discipline, question.text, question.file_name_id)
        return
    list_questions(ctx, [(StudentQuestions(q.id), student, q.text) for q, student, _ in waiting])


@answering.step("text")
async def answer_step(ctx: Joined) -> None:
    text = (ctx.incoming.text or "").strip()
    if not text:
        ctx.reply(ctx._("Write your answer."))
        return
    await announcing.answer(ctx.session, ctx.person.id, ctx.data["question_id"], text)
    await ctx.end_dialog()
    ctx.reply(
        ctx._("The answer is sent to the student."),
        buttons=[[StudentQuestions().button(ctx._("Students' questions"))], menu_row(ctx)],
    )
