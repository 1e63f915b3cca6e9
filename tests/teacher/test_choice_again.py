"""A step that asks for a button, answered with typed text: the answer says so and shows the buttons again."""

from __future__ import annotations

from bot.runtime import Runtime
from tests.harness import Harness, labels, texts


async def test_typed_text_at_a_choice_step_gets_the_choices_again(demo: Runtime, harness: Harness) -> None:
    teacher = await harness.seat_for("Айгүл Сейітқызы Нұрланова")
    courses = await harness.tap(teacher, "Жаңа тапсырма")
    assert labels(courses[-1]) == ["Python негіздері — ПО-21"]
    again = await harness.say(teacher, "питон")
    assert "батырмамен таңдаңыз" in texts(again)
    assert labels(again[-1]) == ["Python негіздері — ПО-21"]  # the same choices, at hand
    asked = await harness.press(teacher, again[-1], "Python негіздері — ПО-21")
    assert "атауын жіберіңіз" in texts(asked)
