"""On WhatsApp and the web there is no lasting keyboard: people type the menu's words, and are understood."""

from __future__ import annotations

import pytest

from bot.runtime import Runtime
from tests.harness import Harness, texts

KK_STUDENT = "Айдана Серікқызы Бекова"
RU_STUDENT = "Анна Сергеевна Петрова"


@pytest.mark.parametrize("word", ["меню", "Меню!", "мәзір", "menu", "Главное меню"])
async def test_the_menus_own_word_opens_the_menu(demo: Runtime, harness: Harness, word: str) -> None:
    seat = await harness.seat_for(RU_STUDENT)
    shown = texts(await harness.say(seat, word))
    assert "Главное меню — Анна Сергеевна Петрова" in shown and "Не понял" not in shown


@pytest.mark.parametrize(
    ("who", "word", "expected"),
    [
        (RU_STUDENT, "расписание", "Расписание на сегодня"),
        (RU_STUDENT, "Расписание занятий", "Расписание на сегодня"),
        (KK_STUDENT, "кесте", "Бүгінгі сабақ кестесі"),
        (KK_STUDENT, "Сабақ кестесі", "Бүгінгі сабақ кестесі"),
        (RU_STUDENT, "оценки", "Веб-программирование"),
        (KK_STUDENT, "тапсырмалар", "Функциялар"),
    ],
)
async def test_a_menu_entry_typed_does_what_pressing_it_does(
    demo: Runtime, harness: Harness, who: str, word: str, expected: str
) -> None:
    seat = await harness.seat_for(who)
    assert expected in texts(await harness.say(seat, word))


async def test_help_typed_in_either_language_and_other_text_still_not_understood(
    demo: Runtime, harness: Harness
) -> None:
    seat = await harness.seat_for(RU_STUDENT)
    assert "Меню обучающегося" in texts(await harness.say(seat, "помощь"))
    assert "Меню обучающегося" in texts(await harness.say(seat, "көмек"))
    assert "Не понял" in texts(await harness.say(seat, "какая сегодня погода"))
    teacher = await harness.seat_for("Сергей Викторович Ким")  # a teacher's menu has no «Оценки»
    assert "Не понял" in texts(await harness.say(teacher, "оценки"))
