"""Routing, dialog state that survives a restart, and permission refusals, through the real core."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.actions import Action
from bot.core.context import Context, Joined
from bot.core.messages import Button
from bot.core.router import Dialog, Router, dialog_button
from bot.runtime import Runtime
from db.models import DialogState, Role
from tests.harness import Harness, make_runtime, settings_for, texts


class Feedback(Action, prefix="fb"):
    pass


class Wipe(Action, prefix="wipe"):
    what: str | None = None


def feedback_routes() -> Router:
    """A two-step dialog and a teacher-only button, as a feature module would declare them."""
    router = Router()
    dialog = router.add_dialog(Dialog("feedback", roles=[Role.student]))

    @router.action(Feedback, roles=[Role.student])
    async def begin(ctx: Joined, _: Feedback) -> None:
        await ctx.start_dialog("feedback", "topic")
        ctx.reply(
            "topic?", buttons=[[Button("Python", dialog_button("py")), Button("SQL", dialog_button("sql"))]]
        )

    @dialog.step("topic")
    async def topic(ctx: Context) -> None:
        if not ctx.incoming.button:
            ctx.reply("press a topic")
            return
        await ctx.goto("text", topic=ctx.args[0])
        ctx.reply("your words?")

    @dialog.step("text")
    async def words(ctx: Context) -> None:
        ctx.reply(f"thanks: {ctx.data['topic']} / {ctx.incoming.text}")
        await ctx.end_dialog()

    @router.action(Wipe, roles=[Role.teacher])
    async def wipe(ctx: Joined, _: Wipe) -> None:
        ctx.reply("WIPED")

    return router


# «fb» and «wipe» are this test's own routes, in no menu: no screen shows them, so their codes are sent.
# What the routes answer with is pressed by its label.


def install(runtime: Runtime) -> None:
    runtime.conversation.router.include(feedback_routes())


async def test_dialog_goes_step_by_step(demo: Runtime, harness: Harness) -> None:
    install(demo)
    student = await harness.seat_for("Анна Сергеевна Петрова")
    topics = await harness.say(student, button="fb")
    assert texts(topics) == "topic?"
    assert texts(await harness.say(student, "hello")) == "press a topic"
    assert texts(await harness.press(student, topics[-1], "SQL")) == "your words?"
    assert texts(await harness.say(student, "great course")) == "thanks: sql / great course"
    async with demo.sessions() as session:
        assert (
            await session.scalar(select(DialogState).where(DialogState.account_id == student.account_id))
            is None
        )


async def test_dialog_continues_after_a_restart(
    demo: Runtime, harness: Harness, database_url: str, tmp_path: Path
) -> None:
    install(demo)
    student = await harness.seat_for("Анна Сергеевна Петрова")
    topics = await harness.say(student, button="fb")
    await harness.press(student, topics[-1], "Python")
    await demo.engine.dispose()  # the process ends mid-dialog

    restarted = make_runtime(settings_for(database_url, tmp_path))
    install(restarted)
    again = Harness(restarted)
    student.last_seen = 0
    replies = await again.say(student, "still here")
    assert texts(replies).endswith("thanks: py / still here")
    await restarted.engine.dispose()


async def test_a_command_leaves_the_dialog(demo: Runtime, harness: Harness) -> None:
    install(demo)
    student = await harness.seat_for("Анна Сергеевна Петрова")
    await harness.say(student, button="fb")
    replies = await harness.say(student, "/cancel")
    assert "Отменено." in texts(replies)
    replies = await harness.say(student, "random words")
    assert "Не понял" in texts(replies)


async def test_student_pressing_a_teachers_button_is_refused(demo: Runtime, harness: Harness) -> None:
    install(demo)
    student = await harness.seat_for("Анна Сергеевна Петрова")
    replies = await harness.say(student, button="wipe:all")  # a teacher's payload, forged by a student
    assert "WIPED" not in texts(replies)
    assert "Это действие недоступно в вашей роли." in texts(replies)

    teacher = await harness.seat_for("Сергей Викторович Ким")
    assert texts(await harness.say(teacher, button="wipe:all")) == "WIPED"


async def test_unknown_command_and_free_text_get_short_help(demo: Runtime, harness: Harness) -> None:
    student = await harness.seat_for("Айдана Серікқызы Бекова")
    replies = await harness.say(student, "/fly")
    assert "Мұндай команда жоқ." in texts(replies) and "/menu" in texts(replies)
    replies = await harness.say(student, "сәлем")
    assert "Түсінбедім" in texts(replies)


async def test_stale_dialog_button_is_explained(demo: Runtime, harness: Harness) -> None:
    student = await harness.seat_for("Айдана Серікқызы Бекова")
    # Stale payloads: a step of a dialog that is over, a button of a feature that is gone.
    assert "енді белсенді емес" in texts(await harness.say(student, button="dlg:7"))
    assert "енді белсенді емес" in texts(await harness.say(student, button="nosuch:1"))


async def test_language_switch_by_command_and_button(demo: Runtime, harness: Harness) -> None:
    student = await harness.seat_for("Айдана Серікқызы Бекова")
    replies = await harness.say(student, "/lang")
    assert texts(replies) == "Тілді таңдаңыз:"
    replies = await harness.press(student, replies[-1], "Русский")
    assert "Хорошо, теперь говорим по-русски." in texts(replies)
    assert "Главное меню" in texts(await harness.say(student, "/menu"))


async def test_a_teacher_who_is_also_a_parent_switches_role(demo: Runtime, harness: Harness) -> None:
    async with demo.sessions() as session, session.begin():
        from db.models import Person, PersonRole

        teacher = await session.scalar(select(Person).where(Person.full_name == "Сергей Викторович Ким"))
        assert teacher is not None
        session.add(PersonRole(person_id=teacher.id, role=Role.parent))
    seat = await harness.seat_for("Сергей Викторович Ким", role=Role.teacher)
    replies = await harness.say(seat, "/menu")
    assert "педагог" in texts(replies)
    replies = await harness.press(seat, replies[-1], "Сменить роль")
    replies = await harness.press(seat, replies[-1], "родитель")
    assert "Главное меню — Сергей Викторович Ким, родитель." in texts(replies)


async def test_nothing_a_person_sends_crashes_the_process(demo: Runtime, harness: Harness) -> None:
    router = Router()

    @router.command("boom")
    async def boom(ctx: Context) -> None:
        raise RuntimeError("a bug")

    demo.conversation.router.include(router)
    student = await harness.seat_for("Анна Сергеевна Петрова")
    replies = await harness.say(student, "/boom")
    assert "Извините, у нас произошла ошибка" in texts(replies)
    assert "Главное меню" in texts(await harness.say(student, "/menu"))


def test_an_action_is_routed_once() -> None:
    router = Router()

    @router.action(Feedback)
    async def first(ctx: Joined, _: Feedback) -> None:
        pass

    with pytest.raises(ValueError, match="Feedback has a route already"):

        @router.action(Feedback)
        async def second(ctx: Joined, _: Feedback) -> None:
            pass


async def test_a_tampered_button_leaves_the_dialog_waiting(demo: Runtime, harness: Harness) -> None:
    install(demo)
    student = await harness.seat_for("Анна Сергеевна Петрова")
    await harness.say(student, button="fb")
    assert "больше не действует" in texts(await harness.say(student, button="fb:1"))
    assert texts(await harness.say(student, button="dlg:sql")) == "your words?"
