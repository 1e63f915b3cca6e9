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
    assignment_id, _, submission_id = await ids(demo, "Вёрстка страницы", ANNA)  # graded 95 in the demo
    await harness.say(teacher, button=f"tret:{submission_id}")
    await harness.say(teacher, "Исправьте шапку")
    await harness.say(anna, button=f"sub:{assignment_id}")
    await harness.say(anna, "Шапка исправлена")
    assert "Квитанция №" in texts(await harness.say(anna, button="dlg:confirm"))
    queue = await harness.say(teacher, button="trq")
    assert any(label.startswith(ANNA) for label in labels(queue[-1]))

    replies = await harness.say(teacher, button=f"tsub:{submission_id}")
    replies = await harness.press(teacher, replies[-1], "Изменить оценку")
    await harness.say(teacher, "100")
    replies = await harness.say(teacher, "Шапка исправлена")
    assert "Оценка изменена на 100" in texts(replies)
    queue = texts(await harness.say(teacher, button="trq"))
    assert ANNA not in queue
    async with demo.sessions() as session:
        submission = await session.get(Submission, submission_id)
    assert submission is not None and submission.status == SubmissionStatus.graded


async def test_a_closed_assignment_takes_no_new_deadline_nor_extension(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher, anna = await harness.seat_for(KIM), await harness.seat_for(ANNA)
    assignment_id, _, _ = await ids(demo, "Рубежный контроль 1", ANNA)
    await harness.say(teacher, button=f"tclose:{assignment_id}")
    page = await harness.say(teacher, button=f"tasg:{assignment_id}")
    assert "Задание закрыто" in texts(page)
    assert not {"Изменить срок", "Продление срока", "Закрыть задание"} & set(labels(page[-1]))
    again = await harness.say(teacher, button=f"tclose:{assignment_id}")
    assert "«Рубежный контроль 1» уже закрыто." in texts(again) and "Открыть задание" in labels(again[-1])
    for payload in (f"tdl:{assignment_id}", f"text:{assignment_id}"):
        assert "уже закрыто" in texts(await harness.say(teacher, button=payload)), payload
    async with demo.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Extension)) == 0
    assert await harness.received(anna) == []


async def test_an_extension_before_the_deadline_is_refused(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher, anna = await harness.seat_for(KIM), await harness.seat_for(ANNA)
    assignment_id, _, _ = await ids(demo, "Рубежный контроль 1", ANNA)  # due in four days
    replies = await harness.say(teacher, button=f"text:{assignment_id}")
    await harness.press(teacher, replies[-1], ANNA)
    refused = texts(await harness.say(teacher, "завтра 10:00"))
    assert "Продлённый срок должен быть позже срока сдачи задания" in refused
    async with demo.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Extension)) == 0
    assert await harness.received(anna) == []
