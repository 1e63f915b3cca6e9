"""Names in chat texts take the case the sentence needs, as a native reader expects: in Russian declined
(«Вопрос от Анны Сергеевны Петровой», «педагогу Сергею Викторовичу Киму»), in Kazakh with the ending
of the last word («Сергей Викторович Кимнің хабарландыруы», «педагог Сергей Викторович Кимге»)."""

from __future__ import annotations

from bot.runtime import Runtime
from tests.harness import Harness, texts


async def test_a_question_names_the_teacher_and_the_student_in_their_cases(
    demo: Runtime, harness: Harness
) -> None:
    anna = await harness.seat_for("Анна Сергеевна Петрова")
    aidana = await harness.seat_for("Айдана Серікқызы Бекова")
    kim = await harness.seat_for("Сергей Викторович Ким")

    asked = texts(await harness.tap(anna, "Вопрос педагогу", "Веб-программирование"))
    assert "Напишите вопрос педагогу Сергею Викторовичу Киму (Веб-программирование)" in asked
    sent = texts(await harness.say(anna, "Можно сдать работу ссылкой?"))
    assert "Ваш вопрос отправлен педагогу Сергею Викторовичу Киму" in sent
    assert "Вопрос от Анны Сергеевны Петровой (Веб-программирование)" in texts(await harness.received(kim))

    asked = texts(await harness.tap(aidana, "Педагогке сұрақ қою", "Деректер қоры"))
    assert "Сұрағыңызды педагог Сергей Викторович Кимге жазыңыз (Деректер қоры)" in asked
    sent = texts(await harness.say(aidana, "ER-диаграмманы қалай тапсырамын?"))
    assert "Сұрағыңыз педагог Сергей Викторович Кимге жіберілді" in sent
    assert "Вопрос от Айданы Серікқызы Бековой (Деректер қоры)" in texts(await harness.received(kim))


async def test_an_announcement_is_signed_with_its_author_in_the_genitive(
    demo: Runtime, harness: Harness
) -> None:
    kim = await harness.seat_for("Сергей Викторович Ким")
    aidana = await harness.seat_for("Айдана Серікқызы Бекова")  # ПО-21, reads Kazakh
    anna = await harness.seat_for("Анна Сергеевна Петрова")  # ИС-22, reads Russian

    await harness.tap(kim, "Объявление", "ПО-21", "Обучающиеся")
    assert "Объявление отправлено" in texts(await harness.say(kim, "Жұма күні кеңес болады."))
    assert "Сергей Викторович Кимнің хабарландыруы:" in texts(await harness.received(aidana))

    await harness.tap(kim, "Объявление", "ИС-22", "Обучающиеся")
    await harness.say(kim, "Консультация в пятницу.")
    assert "Объявление от Сергея Викторовича Кима:" in texts(await harness.received(anna))
