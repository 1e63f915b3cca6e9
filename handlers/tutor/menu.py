"""What the tutor's help promises (002 item 26-1): follow the groups, answer the students' questions."""

from __future__ import annotations

from bot.actions.tutor import TutorGroups, TutorQuestions
from bot.core.context import Joined
from bot.core.menus import menus
from bot.core.router import Dialog
from bot.i18n import N_
from bot.services.people import tutor_scope
from bot.services.people.tutor_scope import NotTutored
from db.models import Role
from handlers.tutor import router
from handlers.ui import list_questions, menu_row, show_question

TUTOR = [Role.tutor]
answering = router.add_dialog(Dialog("tutor_answer", roles=TUTOR))

menus.add(Role.tutor, N_("My groups"), TutorGroups(), order=10)
menus.add(Role.tutor, N_("Students' questions"), TutorQuestions(), order=20)


def _not_yours(ctx: Joined) -> None:
    ctx.reply(ctx._("This is not one of your groups."), buttons=[menu_row(ctx)])


@router.action(TutorGroups, roles=TUTOR)
async def my_groups(ctx: Joined, action: TutorGroups) -> None:
    if action.group_id is None:
        groups = await tutor_scope.groups(ctx.session, ctx.person.id)
        if not groups:
            ctx.reply(ctx._("No groups are given to you yet."), buttons=[menu_row(ctx)])
            return
        rows = [
            [
                TutorGroups(g.id).button(
                    ctx.n_("{group}: {n} student", "{group}: {n} students", g.students, group=g.name)
                )
            ]
            for g in groups
        ]
        ctx.reply(ctx._("Your groups:"), buttons=rows + [menu_row(ctx)])
        return
    try:
        students = await tutor_scope.students(ctx.session, ctx.person.id, action.group_id)
    except NotTutored:
        _not_yours(ctx)
        return
    lines = [ctx._("Students and their missed deadlines:")]
    lines += [
        f"• {s.name}: "
        + (ctx.n_("{n} missed", "{n} missed", s.missed) if s.missed else ctx._("nothing missed"))
        for s in students
    ]
    ctx.reply("\n".join(lines), buttons=[[TutorGroups().button(ctx._("My groups"))], menu_row(ctx)])


@router.action(TutorQuestions, roles=TUTOR)
async def student_questions(ctx: Joined, action: TutorQuestions) -> None:
    waiting = await tutor_scope.open_questions(ctx.session, ctx.person.id)
    if action.question_id is not None:
        question = next((q for q in waiting if q.id == action.question_id), None)
        if question is None:
            _not_yours(ctx)
            return
        await ctx.start_dialog("tutor_answer", "text", question_id=question.id)
        show_question(ctx, question.student, question.discipline, question.text, question.file_name_id)
        return
    list_questions(ctx, [(TutorQuestions(q.id), q.student, q.text) for q in waiting])


@answering.step("text")
async def answer_step(ctx: Joined) -> None:
    text = (ctx.incoming.text or "").strip()
    if not text:
        ctx.reply(ctx._("Write your answer."))
        return
    question_id = int(ctx.data["question_id"])
    await ctx.end_dialog()
    try:
        await tutor_scope.answer(ctx.session, ctx.person.id, question_id, text)
    except NotTutored:
        ctx.reply(ctx._("This question is already answered."), buttons=[menu_row(ctx)])
        return
    ctx.reply(
        ctx._("The answer is sent to the student."),
        buttons=[[TutorQuestions().button(ctx._("Students' questions"))], menu_row(ctx)],
    )
