"""Wording a native reader accepts (issue 16): the mode and room of a lesson as a timetable says them,
the notifications item named for what it opens, the language switch and the parent's welcome said
plainly, a joined person who sends someone else's code told what happened, and the Russian main menu
speaking of a woman as «обучающаяся»."""

from __future__ import annotations

import datetime as dt

from bot.i18n import Translator
from bot.runtime import Runtime
from bot.services.schedule.timetable import LessonView
from db.models import LessonMode, Role
from handlers.views import lesson_line
from tests.core.test_joining import invite_for
from tests.harness import Harness, labels, texts


def _lesson(room: str | None) -> LessonView:
    start = dt.datetime(2026, 12, 3, 4, 0, tzinfo=dt.UTC)
    return LessonView(
        start, start + dt.timedelta(minutes=90), "Веб", LessonMode.offline, None, room, None, False
    )


def test_an_offline_lesson_says_its_mode_and_room_briefly() -> None:
    assert lesson_line(Translator("kk"), _lesson("202")) == "09:00–10:30 Веб — офлайн, 202-аудитория"
    assert lesson_line(Translator("ru"), _lesson("203")) == "09:00–10:30 Веб — очно, ауд. 203"
    assert lesson_line(Translator("ru"), _lesson(None)) == "09:00–10:30 Веб — очно"


async def test_the_menu_names_the_settings_and_a_woman_as_a_woman(demo: Runtime, harness: Harness) -> None:
    anna = await harness.seat_for("Анна Сергеевна Петрова")
    menu = await harness.say(anna, "/menu")
    assert "Главное меню — Анна Сергеевна Петрова, обучающаяся." in texts(menu)
    assert "Настройки уведомлений" in labels(menu[-1])
    shown = texts(await harness.say(anna, "/help"))
    assert "Меню обучающегося: здесь можно" in shown and "обучающийся" not in shown  # no gender to guess
    dmitry = await harness.seat_for("Дмитрий Олегович Ли")
    assert "Главное меню — Дмитрий Олегович Ли, обучающийся." in texts(await harness.say(dmitry, "/menu"))
    aidana = await harness.seat_for("Айдана Серікқызы Бекова")
    menu = await harness.say(aidana, "/menu")
    assert "Басты мәзір — Айдана Серікқызы Бекова, білім алушы." in texts(menu)
    assert "Хабарлама баптаулары" in labels(menu[-1])


async def test_the_language_switch_says_it_plainly(demo: Runtime, harness: Harness) -> None:
    anna = await harness.seat_for("Анна Сергеевна Петрова")
    replies = await harness.say(anna, "/lang")
    assert "Жарайды, енді қазақша сөйлесеміз." in texts(await harness.press(anna, replies[-1], "Қазақша"))
    replies = await harness.say(anna, "/lang")
    assert "Хорошо, теперь говорим по-русски." in texts(await harness.press(anna, replies[-1], "Русский"))


async def test_a_joined_student_who_sends_someone_elses_code_is_told_so(
    demo: Runtime, harness: Harness
) -> None:
    anna = await harness.seat_for("Анна Сергеевна Петрова")
    code = await invite_for(demo, "Дмитрий Олегович Ли", Role.student)
    shown = texts(await harness.say(anna, f"/start {code}"))  # the deep link of that code
    assert "Этот чат уже привязан к вам, а этот код выдан другому человеку" in shown
    aidana = await harness.seat_for("Айдана Серікқызы Бекова")
    code = await invite_for(demo, "Нұрсұлтан Ерланұлы Әбдіров", Role.student)
    shown = texts(await harness.say(aidana, f"/start {code}"))
    assert "Бұл чат сізге тіркелген, ал бұл код басқа адамға берілген" in shown
