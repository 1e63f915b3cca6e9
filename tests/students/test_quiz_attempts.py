"""A student's test attempt that is left part-way: resumed at the next question while its time lasts,
finished and scored once its time limit or the deadline is over (when the student comes back, or by the
tick), never answered twice by an old or double-tapped button; the start button is offered only while
an attempt can be started."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import time_machine
from sqlalchemy import func, select

from bot.runtime import Runtime
from bot.services.coursework import quizzes
from db.base import utcnow
from db.models import Assignment, Grade, GradeChange, OutboxMessage, Person
from db.models import TestAnswer as Answer
from db.models import TestAttempt as Attempt
from tests.harness import Harness, Seat, labels, texts
from tests.teacher.test_quizzes import QUESTIONS_KK, number_of

QUESTIONS_RU = """Что такое HTML?
*язык разметки
база данных

HTTP 404 — это?
OK
*не найдено"""


async def publish(
    runtime: Runtime,
    teacher: str,
    course_of: str,
    title: str,
    questions: str,
    *,
    limit: int | None,
    deadline: dt.timedelta,
) -> int:
    """The teacher publishes a one-attempt test, unshuffled, on the course of the assignment `course_of`."""
    async with runtime.sessions() as session, session.begin():
        teacher_id = await session.scalar(select(Person.id).where(Person.full_name == teacher))
        course_id = await session.scalar(select(Assignment.course_id).where(Assignment.title == course_of))
        assert teacher_id is not None and course_id is not None
        settings = quizzes.TestSettings(
            title, utcnow() + deadline, time_limit_minutes=limit, attempts=1, shuffle=False
        )
        assignment = await quizzes.create(
            session, teacher_id, course_id, quizzes.parse_text(questions), settings
        )
        return assignment.id


async def attempt_of(runtime: Runtime, assignment_id: int) -> Attempt:
    async with runtime.sessions() as session:
        attempt = await session.scalar(
            select(Attempt)
            .join(Assignment, Assignment.test_id == Attempt.test_id)
            .where(Assignment.id == assignment_id)
        )
        assert attempt is not None
        return attempt


async def count(runtime: Runtime, model: type, *where: object) -> int:
    async with runtime.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


async def grade_score(runtime: Runtime, assignment_id: int) -> Decimal | None:
    async with runtime.sessions() as session:
        return await session.scalar(select(Grade.score).where(Grade.assignment_id == assignment_id))


async def card(harness: Harness, seat: Seat, title: str) -> list:  # type: ignore[type-arg]
    """The assignment's card, as the student opens it from the assignments list."""
    menu = await harness.say(seat, "/menu")
    assignments = next(x for x in ("Тапсырмалар", "Задания") if x in labels(menu[-1]))
    return await harness.tap(seat, assignments, title, on=menu)


async def graded_card(harness: Harness, seat: Seat, assignment_id: int) -> list:  # type: ignore[type-arg]
    """The card of graded work."""
    # no screen shows this button: the assignments list gives no button to graded work, so its card is
    # reached only by a button sent before the grade.
    return await harness.say(seat, button=f"asg:{assignment_id}")


async def test_kazakh_student_leaves_resumes_double_taps_and_the_time_limit_scores_it(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    student = await harness.seat_for("Айдана Серікқызы Бекова")
    test_id = await publish(
        demo,
        "Айгүл Сейітқызы Нұрланова",
        "Циклдер: 5 есеп",
        "Үзілген тест",
        QUESTIONS_KK,
        limit=10,
        deadline=dt.timedelta(days=1),
    )
    await harness.settle()
    notice = await harness.received(student)
    replies = await harness.press(student, notice[-1], "Тестті бастау")
    assert "3 сұрақтың 1-сі" in texts(replies)
    first = replies[-1]
    replies = await harness.press(student, first, number_of(first.text, "2"))  # right
    assert "3 сұрақтың 2-сі" in texts(replies)

    # The same button again, on the first question's message: not an answer to the second one.
    replies = await harness.press(student, first, number_of(first.text, "2"))
    assert "Бұл сұраққа жауап берілген" in texts(replies) and "3 сұрақтың 2-сі" in texts(replies)
    assert await count(demo, Answer) == 1

    # Leaving the test part-way, then coming back through the tests list: it goes on.
    replies = await harness.say(student, "/menu")
    replies = await harness.press(student, replies[-1], "Тесттер")
    assert "Жалғастыру: Үзілген тест" in labels(replies[-1])
    replies = await harness.press(student, replies[-1], "Жалғастыру: Үзілген тест")
    assert "тоқтаған жерден жалғастырасыз: 3 сұрақтың 1 сұрағына жауап берілді" in texts(replies)
    assert "3 сұрақтың 2-сі" in texts(replies)
    second = replies[-1]
    replies = await harness.press(student, second, number_of(second.text, "[1, 2]"))  # right
    assert "3 сұрақтың 3-сі" in texts(replies)
    third = replies[-1]

    # Left again; the card offers to continue, not to start.
    await harness.say(student, "/menu")
    replies = await card(harness, student, "Үзілген тест")
    assert "Тестті жалғастыру" in labels(replies[-1]) and "Тестті бастау" not in labels(replies[-1])

    # The time limit passes while the student is away: the tests list finishes and scores the attempt.
    clock.shift(11 * 60)
    replies = await harness.tap(student, "Тесттер")
    shown = texts(replies)
    assert "«Үзілген тест» тестіндегі әрекетіңіз аяқталды: уақыт бітті" in shown
    assert "100 балдан 66,67" in shown
    attempt = await attempt_of(demo, test_id)
    assert attempt.finished_at is not None and attempt.score == Decimal("66.67")
    assert await grade_score(demo, test_id) == Decimal("66.67")

    # No attempt left: the card has no start button, the old notice's button says why.
    replies = await graded_card(harness, student, test_id)
    assert not {"Тестті бастау", "Тестті жалғастыру"} & set(labels(replies[-1]))
    replies = await harness.press(student, notice[-1], "Тестті бастау")
    assert "барлық әрекетіңізді пайдаландыңыз" in texts(replies)
    replies = await harness.press(student, third, "1")
    assert "Тесттегі бұл әрекет аяқталып қойған" in texts(replies)
    assert await count(demo, Answer) == 2


async def test_start_again_after_the_time_limit_scores_the_left_attempt(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    student = await harness.seat_for("Айдана Серікқызы Бекова")
    test_id = await publish(
        demo,
        "Айгүл Сейітқызы Нұрланова",
        "Циклдер: 5 есеп",
        "Қайта бастау",
        QUESTIONS_KK,
        limit=10,
        deadline=dt.timedelta(days=1),
    )
    await harness.settle()
    notice = await harness.received(student)
    replies = await harness.press(student, notice[-1], "Тестті бастау")
    await harness.say(student, number_of(replies[-1].text, "2"))  # typed: answers the current question
    await harness.say(student, "/menu")
    clock.shift(11 * 60)
    replies = await harness.press(student, notice[-1], "Тестті бастау")
    assert "уақыт бітті. Нәтиже: 100 балдан 33,33" in texts(replies)
    assert await grade_score(demo, test_id) == Decimal("33.33")
    assert (await attempt_of(demo, test_id)).finished_at is not None


async def test_russian_attempt_left_until_the_deadline_is_scored_by_the_tick_once(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    anna = await harness.seat_for("Анна Сергеевна Петрова")
    test_id = await publish(
        demo,
        "Сергей Викторович Ким",
        "Рубежный контроль 1",
        "Брошенный тест",
        QUESTIONS_RU,
        limit=None,
        deadline=dt.timedelta(hours=2),
    )
    await harness.settle()
    notice = await harness.received(anna)
    replies = await harness.press(anna, notice[-1], "Начать тест")
    assert "Вопрос 1 из 2" in texts(replies)
    first = replies[-1]
    replies = await harness.press(anna, first, number_of(first.text, "язык разметки"))  # right
    assert "Вопрос 2 из 2" in texts(replies)
    second = replies[-1]
    await harness.say(anna, "/menu")
    replies = await card(harness, anna, "Брошенный тест")
    assert "Продолжить тест" in labels(replies[-1]) and "Начать тест" not in labels(replies[-1])

    # The deadline passes; the student never comes back. The tick scores the attempt, once.
    clock.shift(3 * 3600)
    (tick,) = [t for t in demo.ticks if t.name == "tests-overdue"]
    async with demo.sessions() as stale_session:  # another process that loaded the attempt before
        stale = await stale_session.get(Attempt, (await attempt_of(demo, test_id)).id)
        await stale_session.commit()
    assert stale is not None and stale.finished_at is None
    assert await tick.run(demo) == 1
    assert await tick.run(demo) == 0
    attempt = await attempt_of(demo, test_id)
    assert attempt.finished_at is not None and attempt.score == Decimal("50.00")
    assert await grade_score(demo, test_id) == Decimal("50.00")
    async with demo.sessions() as stale_session, stale_session.begin():
        stale_session.add(stale)
        grade = await quizzes.finish(stale_session, stale)  # finishing it again changes nothing
        assert grade.score == Decimal("50.00")
        assert not await quizzes.end_one(stale_session, stale.id)
    assert await count(demo, Grade, Grade.assignment_id == test_id) == 1
    assert await count(demo, GradeChange) == 0
    assert await count(demo, OutboxMessage, OutboxMessage.kind == "test_ended") == 1

    await harness.settle()
    told = texts(await harness.received(anna))
    assert "Ваша попытка теста «Брошенный тест» завершена: срок сдачи прошёл" in told
    assert "Результат: 50 из 100; вопросы без ответа засчитаны как неверные" in told
    assert "оценена" not in told  # one message about one event: no separate grade notice
    replies = await harness.press(anna, second, "2")
    assert "Эта попытка теста уже завершена" in texts(replies)
    replies = await graded_card(harness, anna, test_id)
    assert not {"Начать тест", "Продолжить тест"} & set(labels(replies[-1]))
    # The test is closed by its deadline: the card says which answers were wrong, and the right ones.
    shown = texts(replies)
    assert "Тест закрыт. Ваши ответы:" in shown
    assert "Вопрос 2 — ошибка: HTTP 404 — это? Правильный ответ: не найдено." in shown
    assert "Вопрос 1 — ошибка" not in shown


async def test_russian_tick_ends_an_attempt_over_its_time_limit(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    anna = await harness.seat_for("Анна Сергеевна Петрова")
    test_id = await publish(
        demo,
        "Сергей Викторович Ким",
        "Рубежный контроль 1",
        "Тест на время",
        QUESTIONS_RU,
        limit=20,
        deadline=dt.timedelta(days=2),
    )
    await harness.settle()
    notice = await harness.received(anna)
    replies = await harness.press(anna, notice[-1], "Начать тест")
    await harness.press(anna, replies[-1], number_of(replies[-1].text, "база данных"))  # wrong
    await harness.say(anna, "/menu")
    (tick,) = [t for t in demo.ticks if t.name == "tests-overdue"]
    assert await tick.run(demo) == 0  # still within its time
    clock.shift(21 * 60)
    assert await tick.run(demo) == 1
    assert await grade_score(demo, test_id) == Decimal("0.00")
    await harness.settle()
    assert "завершена: время вышло. Результат: 0 из 100" in texts(await harness.received(anna))
