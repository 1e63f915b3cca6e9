"""Review at its edges: work returned, handed in again and graded again leaves the queue; a closed
assignment offers no new deadline nor extension; an extension must fall after the deadline."""

from __future__ import annotations

import time_machine
from sqlalchemy import func, select

from bot.runtime import Runtime
from db.models import Extension, Submission, SubmissionStatus
from tests.harness import Harness, labels, texts
from tests.teacher.test_review import ids

KIM, ANNA = "Сергей Викторович Ким", "Анна Сергеевна Петрова"


async def test_work_returned_handed_in_again_and_regraded_leaves_the_queue(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher, anna = await harness.seat_for(KIM), await harness.seat_for(ANNA)
    _, _, submission_id = await ids(demo, "Вёрстка страницы", ANNA)  # graded 95 in the demo
    # no screen shows this button: graded work leaves the review queue and nothing else opens it.
    await harness.say(teacher, button=f"tret:{submission_id}")
    await harness.say(teacher, "Исправьте шапку")
    returned = await harness.received(anna)
    await harness.tap(anna, "Сдать работу", on=returned)
    draft = await harness.say(anna, "Шапка исправлена")
    assert "Квитанция №" in texts(await harness.press(anna, draft[-1], "Подтвердить и сдать"))
    queue = await harness.tap(teacher, "Работы на проверку")
    assert any(label.startswith("Петрова А. С.") for label in labels(queue[-1]))

    replies = await harness.press(teacher, queue[-1], "Петрова А. С.")
    replies = await harness.press(teacher, replies[-1], "Изменить оценку")
    await harness.say(teacher, "100")
    replies = await harness.say(teacher, "Шапка исправлена")
    assert "Оценка изменена на 100" in texts(replies)
    queue = await harness.tap(teacher, "Работы на проверку")
    assert not any(label.startswith("Петрова А. С.") for label in labels(queue[-1]))
    async with demo.sessions() as session:
        submission = await session.get(Submission, submission_id)
    assert submission is not None and submission.status == SubmissionStatus.graded


async def test_a_closed_assignment_takes_no_new_deadline_nor_extension(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher, anna = await harness.seat_for(KIM), await harness.seat_for(ANNA)
    before = await harness.tap(teacher, "Мои задания", "Рубежный контроль 1")
    await harness.press(teacher, before[-1], "Закрыть задание")
    # The page opened before the closing keeps its buttons: pressed again, they say it is closed.
    again = await harness.press(teacher, before[-1], "Закрыть задание")
    assert "«Рубежный контроль 1» уже закрыто." in texts(again) and "Открыть задание" in labels(again[-1])
    page = await harness.press(teacher, again[-1], "Открыть задание")
    assert "Задание закрыто" in texts(page)
    assert not {"Изменить срок", "Продление срока", "Закрыть задание"} & set(labels(page[-1]))
    for label in ("Изменить срок", "Продление срока"):
        assert "уже закрыто" in texts(await harness.press(teacher, before[-1], label)), label
    async with demo.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Extension)) == 0
    assert await harness.received(anna) == []


async def test_an_extension_before_the_deadline_is_refused(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher, anna = await harness.seat_for(KIM), await harness.seat_for(ANNA)
    # «Рубежный контроль 1» is due in four days.
    replies = await harness.tap(teacher, "Мои задания", "Рубежный контроль 1", "Продление срока")
    await harness.press(teacher, replies[-1], ANNA)
    refused = texts(await harness.say(teacher, "завтра 10:00"))
    assert "Продлённый срок должен быть позже срока сдачи задания" in refused
    async with demo.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Extension)) == 0
    assert await harness.received(anna) == []
