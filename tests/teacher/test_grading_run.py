"""Grading in a run in Kazakh: «88 жақсы» is a score and a comment in one message; the range is checked;
the next ungraded work opens asking for its score."""

from __future__ import annotations

from decimal import Decimal

import time_machine
from sqlalchemy import select

from bot.runtime import Runtime
from db.models import Grade
from tests.harness import Harness, texts


async def test_a_score_and_a_comment_in_one_message_then_the_next_work(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for("Айгүл Сейітқызы Нұрланова")
    student = await harness.seat_for("Жансая Болатқызы Омарова")
    replies = await harness.tap(teacher, "Тексерілетін жұмыстар", "Омарова Ж. Б.", "Бағалау")
    assert "«87 жақсы»" in texts(replies)
    assert "0-ден 100-ге дейін" in texts(await harness.say(teacher, "120 өте жақсы"))
    replies = await harness.say(teacher, "88 жақсы, бірақ 5-есепті тексеріңіз")
    shown = texts(replies)
    assert "Бағаланды: 100 балдан 88" in shown
    assert "Ерасыл Нұрланұлы Тоқтаров" in shown and "«87 жақсы»" in shown  # the next work, asking its score
    got = texts(await harness.received(student))
    assert "100 балдан 88" in got and "5-есепті тексеріңіз" in got
    async with demo.sessions() as session:
        grade = await session.scalar(select(Grade).where(Grade.comment == "жақсы, бірақ 5-есепті тексеріңіз"))
    assert grade is not None and grade.released and grade.score == Decimal(88)
