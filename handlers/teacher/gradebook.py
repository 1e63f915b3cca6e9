"""The gradebook of a course in chat, and its export as XLSX or CSV."""

from __future__ import annotations

from bot.actions.teacher import ExportFormat, Gradebook, GradebookExport, GradedWork
from bot.core.context import Joined
from bot.core.menus import menus
from bot.core.messages import OutFile
from bot.core.router import Dialog
from bot.i18n import N_
from bot.services.coursework import exports, gradebook
from bot.services.people.teacher_scope import NotYours
from db.models import Role
from handlers.teacher import router
from handlers.ui import choice, menu_row, not_yours, pick_course

TEACHER = [Role.teacher]
picking = router.add_dialog(Dialog("book", roles=TEACHER))

menus.add(Role.teacher, N_("Gradebook"), Gradebook(), order=60)


@router.action(Gradebook, roles=TEACHER)
async def begin(ctx: Joined, action: Gradebook) -> None:
    if action.course_id is not None:
        await show(ctx, str(action.course_id))
        return
    await pick_course(ctx, "book", "course", ctx._("Gradebook: choose the course and group:"))


@picking.step("course")
async def course_step(ctx: Joined) -> None:
    picked = choice(ctx)
    await ctx.end_dialog()
    await show(ctx, picked or "0")


async def _book(ctx: Joined, course_id: str) -> gradebook.Book | None:
    try:
        return await gradebook.build(ctx.session, ctx.person.id, int(course_id))
    except (NotYours, ValueError):
        not_yours(ctx)
        return None


async def show(ctx: Joined, course_id: str) -> None:
    book = await _book(ctx, course_id)
    if book is None:
        return
    lines = [
        ctx._("Gradebook: {course}, group {group}", course=book.course.discipline, group=book.group),
        ctx.n_("{n} assignment", "{n} assignments", len(book.columns)),
        "",
    ]
    for n, row in enumerate(book.rows, start=1):
        shown = row.final if row.final is not None else row.admission
        if row.mark and shown is not None:
            rating = ctx.t.number(shown)
            lines.append(f"{n}. {row.name} — {rating}% {row.mark.label(ctx.t)}")
        else:
            lines.append(f"{n}. {row.name} — —")  # nothing graded yet
    lines += ["", ctx._("The rating is the admission rating until the exam, then the final grade.")]
    lines.append(ctx._("Press a student's name to see their graded work and change a grade."))
    names = [
        [GradedWork(course_id=book.course.id, student_id=row.student_id).button(row.name)]
        for row in book.rows
    ]
    ctx.reply(
        "\n".join(lines),
        buttons=names
        + [
            [
                GradebookExport(book.course.id, ExportFormat.xlsx).button("XLSX"),
                GradebookExport(book.course.id, ExportFormat.csv).button("CSV"),
            ],
            menu_row(ctx),
        ],
    )


@router.action(GradebookExport, roles=TEACHER)
async def export(ctx: Joined, action: GradebookExport) -> None:
    book = await _book(ctx, str(action.course_id))
    if book is None:
        return
    stored = await exports.save_export(
        ctx.session, ctx.deps.files, book, ctx.t, action.format.value, ctx.person.id
    )
    ctx.reply(
        ctx._("The gradebook of {course}, group {group}:", course=book.course.discipline, group=book.group),
        files=[OutFile(stored.id)],
        buttons=[menu_row(ctx)],
    )
