"""Tests built in chat or from a file, taken as numbered questions (web) and as quiz polls
(Telegram), graded automatically; attestation asks for identity and admits only students
who have done every control measure."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import select

from bot.core.messages import Incoming, QuizAnswer, Reply
from bot.queues import inbox
from bot.runtime import Runtime
from bot.services.coursework import posting, quizzes, review
from db.base import utcnow
from db.models import (
    Assignment,
    Channel,
    ControlType,
    Grade,
    MessengerAccount,
    OutboxMessage,
    Person,
    Submission,
)
from db.models import TestAnswer as Answer
from db.models import TestAttempt as Attempt
from tests.harness import JPEG, Harness, labels, texts
from tests.teacher.test_review import hand_in

QUESTIONS_KK = """1. len([1, 2]) нені қайтарады?
a) 1
*b) 2
c) 3

2. Python-да тізім қалай жазылады?
*[1, 2]
(1, 2)

3. range(3) неше сан береді?
2
*3
4"""


def number_of(shown: str, option: str) -> str:
    """The number a question shows for an option (options are shuffled per attempt)."""
    for line in shown.splitlines():
        number, _, text = line.partition(". ")
        if number.isdigit() and text == option:
            return number
    raise AssertionError(f"{option!r} is not among the options shown:\n{shown}")


async def grade_of(runtime: Runtime, title: str, student: str) -> Grade | None:
    async with runtime.sessions() as session:
        return await session.scalar(
            select(Grade)
            .join(Assignment, Assignment.id == Grade.assignment_id)
            .join(Person, Person.id == Grade.student_id)
            .where(Assignment.title == title, Person.full_name == student)
        )


async def telegram_tap(runtime: Runtime, harness: Harness, chat: str, *shown: str) -> None:
    """A Telegram student presses buttons by their labels, from the main menu, as Ustaz sent them."""
    async with runtime.sessions() as session:
        account_id = await session.scalar(
            select(MessengerAccount.id).where(
                MessengerAccount.channel == Channel.telegram, MessengerAccount.external_id == chat
            )
        )

    async def send(**fields: object) -> list[Reply]:
        incoming = Incoming(channel=Channel.telegram, external_user_id=chat, chat_id=chat, **fields)  # type: ignore[arg-type]
        await inbox.accept(runtime, incoming, str(uuid.uuid4()))
        await harness.settle()
        async with runtime.sessions() as session:
            rows = (
                await session.scalars(
                    select(OutboxMessage.payload)
                    .where(OutboxMessage.kind == "reply", OutboxMessage.account_id == account_id)
                    .order_by(OutboxMessage.id)
                )
            ).all()
        return [Reply.from_json(r) for r in rows]

    replies = await send(text="/menu", command="menu")
    for label in shown:
        found = [b for r in reversed(replies) for row in r.buttons for b in row if label in b.label]
        assert found, f"no button {label!r} on Telegram"
        replies = await send(button=found[0].payload)


async def test_kazakh_test_built_in_chat_taken_and_graded(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for("Айгүл Сейітқызы Нұрланова")
    student = await harness.seat_for("Айдана Серікқызы Бекова")
    parent = await harness.seat_for("Серік Бекұлы Беков")

    await harness.tap(teacher, "Жаңа тест", "Python негіздері — ПО-21")
    await harness.say(teacher, "Python: қысқа тест")
    assert "дұрыс нұсқа жоқ" in texts(await harness.say(teacher, "Сұрақ?\nа\nб"))
    replies = await harness.say(teacher, QUESTIONS_KK)
    assert "3 сұрақ оқылды" in texts(replies)
    await harness.tap(teacher, "Шектеусіз", "1", "жоқ", "үлгерімді ағымдағы бақылау", on=replies)
    replies = await harness.say(teacher, "ертең 18:00")
    assert "«Python: қысқа тест» тесті" in texts(replies) and "3 сұрақ" in texts(replies)
    replies = await harness.press(teacher, replies[-1], "Жариялау")
    assert "тесті жарияланды" in texts(replies)

    notice = await harness.received(student)
    assert "Жаңа тапсырма: Python: қысқа тест" in texts(notice) and "3 сұрақ" in texts(notice)
    assert "Python: қысқа тест" in texts(await harness.received(parent))
    replies = await harness.press(student, notice[-1], "Тестті бастау")
    assert "Тестте 3 сұрақ бар" in texts(replies)
    assert "3 сұрақтың 1-сі" in texts(replies) and labels(replies[-1]) == ["1", "2", "3"]
    assert "1-ден 3-ке дейін" in texts(await harness.say(student, "бес"))
    replies = await harness.say(student, "2")  # right
    replies = await harness.press(student, replies[-1], "2")  # wrong: (1, 2) is a tuple
    replies = await harness.press(student, replies[-1], "2")  # right
    assert "Тест аяқталды: 100 балдан 66,67" in texts(replies)

    grade = await grade_of(demo, "Python: қысқа тест", "Айдана Серікқызы Бекова")
    assert grade is not None and grade.score == Decimal("66.67") and grade.released
    assert "100 балдан 66,67" in texts(await harness.received(parent))
    replies = await harness.say(student, "/menu")
    replies = await harness.press(student, replies[-1], "Тесттер")
    replies = await harness.press(student, replies[-1], "Python: қысқа тест")
    assert "барлық әрекетіңізді пайдаландыңыз" in texts(replies)
    # A «Submit work» button of a test (here on the notice of a later deadline) leads to the test,
    # not to handing in files.
    async with demo.sessions() as session, session.begin():
        later = utcnow() + dt.timedelta(days=3)
        await posting.change_deadline(session, teacher.person_id or 0, grade.assignment_id, later)
    await harness.settle()
    replies = await harness.tap(student, "Жұмысты тапсыру", on=await harness.received(student))
    assert "барлық әрекетіңізді пайдаландыңыз" in texts(replies)


async def test_attestation_from_a_file_needs_every_measure_and_identity(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for("Сергей Викторович Ким")
    anna = await harness.seat_for("Анна Сергеевна Петрова")

    await harness.tap(teacher, "Новый тест", "Веб-программирование — ИС-22")
    await harness.say(teacher, "Итоговая аттестация")
    csv_file = "Вопрос;1;2;3;Ответ\nЧто такое HTML?;язык разметки;база данных;ОС;1\n"
    csv_file += "HTTP 404 — это?;OK;не найдено;;2\n"
    replies = await harness.say(teacher, files=[("test.csv", csv_file.encode())])
    assert "Прочитано 2 вопроса" in texts(replies)
    replies = await harness.say(teacher, "20")
    await harness.tap(teacher, "2", "да", "итоговая аттестация", on=replies)
    replies = await harness.say(teacher, "через 3 дня")
    assert "фото с удостоверением личности" in texts(replies)
    await harness.press(teacher, replies[-1], "Опубликовать")

    notice = await harness.received(anna)
    assert "попросим ваше фото" in texts(notice)
    replies = await harness.press(anna, notice[-1], "Начать тест")
    refused = texts(replies)
    assert "не допущены" in refused and "«Рубежный контроль 1»" in refused and "Вёрстка" not in refused
    async with demo.sessions() as session:
        assert await session.scalar(select(Attempt)) is None

    await hand_in(demo, "Рубежный контроль 1", "Анна Сергеевна Петрова", "rk.pdf", b"%PDF-1.4\n%%EOF\n")
    replies = await harness.press(anna, notice[-1], "Начать тест")
    assert "онлайн прокторинг" in texts(replies)
    assert "Сначала отправьте фото" in texts(await harness.say(anna, "я готова"))
    replies = await harness.say(anna, files=[("me.jpg", JPEG)])
    assert "В тесте 2 вопроса" in texts(replies) and "Завершите до" in texts(replies)
    # Questions and options come shuffled: answer by what is shown. HTML right, 404 wrong.
    pick = {"Что такое HTML?": "язык разметки", "HTTP 404 — это?": "OK"}
    for _ in range(2):
        shown = texts(replies)
        question = next(q for q in pick if q in shown)
        replies = await harness.press(anna, replies[-1], number_of(shown, pick[question]))
    # Order 169 item 16 / 002 item 16: the score is held until the teacher confirms the identity.
    assert "Результат попадёт в журнал, когда преподаватель подтвердит вашу личность" in texts(replies)
    assert await grade_of(demo, "Итоговая аттестация", "Анна Сергеевна Петрова") is None

    replies = await harness.tap(teacher, "Проверка личности")
    assert "Проверка личности: Анна Сергеевна Петрова, тест «Итоговая аттестация»" in texts(replies)
    assert len(replies[-1].files) == 1
    replies = await harness.press(teacher, replies[-1], "Личность подтверждена")
    assert "Нет фото, ожидающих проверки" in texts(replies)
    async with demo.sessions() as session:
        attempt = await session.scalar(select(Attempt))
        assert attempt is not None and attempt.identity_checked_by_id == teacher.person_id
        assert attempt.identity_file_name_id is not None
    grade = await grade_of(demo, "Итоговая аттестация", "Анна Сергеевна Петрова")
    assert grade is not None and grade.score == Decimal("50.00")
    assert "подтвердил вашу личность: тест «Итоговая аттестация» засчитан, 50 из 100" in texts(
        await harness.received(anna)
    )


async def test_time_limit_ends_the_attempt(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for("Айгүл Сейітқызы Нұрланова")
    student = await harness.seat_for("Айдана Серікқызы Бекова")
    await harness.tap(teacher, "Жаңа тест", "Python негіздері — ПО-21")
    await harness.say(teacher, "Жылдам тест")
    await harness.say(teacher, QUESTIONS_KK)
    replies = await harness.say(teacher, "10")
    await harness.tap(teacher, "1", "жоқ", "үлгерімді ағымдағы бақылау", on=replies)
    replies = await harness.say(teacher, "ертең 18:00")
    await harness.press(teacher, replies[-1], "Жариялау")
    notice = await harness.received(student)
    await harness.press(student, notice[-1], "Тестті бастау")
    await harness.say(student, "2")
    clock.shift(11 * 60)
    replies = await harness.say(student, "1")
    assert "Уақыт бітті" in texts(replies) and "100 балдан 33,33" in texts(replies)


async def test_telegram_takes_the_test_as_quiz_polls(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for("Айгүл Сейітқызы Нұрланова")
    await harness.tap(teacher, "Жаңа тест", "Python негіздері — ПО-21")
    await harness.say(teacher, "Telegram тест")
    replies = await harness.say(teacher, QUESTIONS_KK)
    await harness.tap(teacher, "Шектеусіз", "1", "иә", "үлгерімді ағымдағы бақылау", on=replies)  # shuffled
    replies = await harness.say(teacher, "ертең 18:00")
    await harness.press(teacher, replies[-1], "Жариялау")
    async with demo.sessions() as session, session.begin():
        student_id = await session.scalar(
            select(Person.id).where(Person.full_name == "Айдана Серікқызы Бекова")
        )
        session.add(
            MessengerAccount(channel=Channel.telegram, external_id="777", chat_id="777", person_id=student_id)
        )

    async def telegram(**fields: object) -> list[dict]:  # type: ignore[type-arg]
        incoming = Incoming(channel=Channel.telegram, external_user_id="777", chat_id="777", **fields)  # type: ignore[arg-type]
        await inbox.accept(demo, incoming, str(uuid.uuid4()))
        await harness.settle()
        return await sent_polls()

    async def sent_polls() -> list[dict]:  # type: ignore[type-arg]
        async with demo.sessions() as session:
            rows = (
                await session.scalars(
                    select(OutboxMessage.payload)
                    .where(OutboxMessage.kind == "reply")
                    .order_by(OutboxMessage.id)
                )
            ).all()
        return [r for r in rows if r.get("quiz")]

    await telegram_tap(demo, harness, "777", "Тесттер", "Telegram тест")
    polls = await sent_polls()
    assert len(polls) == 1 and polls[0]["quiz"]["question"].startswith("3 сұрақтың 1-сі")
    right = {
        "len([1, 2]) нені қайтарады?": "2",
        "Python-да тізім қалай жазылады?": "[1, 2]",
        "range(3) неше сан береді?": "3",
    }
    for n in range(3):
        quiz = polls[-1]["quiz"]
        question = quiz["question"].split(". ", 1)[1]
        # The poll's options are in this attempt's order; Telegram's right option follows them.
        assert quiz["options"][quiz["correct_option"]] == right[question]
        chosen = quiz["options"].index(right[question])
        polls = await telegram(quiz_answer=QuizAnswer(quiz["ref"], (chosen,)))
        assert len(polls) == min(n + 2, 3)
    grade = await grade_of(demo, "Telegram тест", "Айдана Серікқызы Бекова")
    assert grade is not None and grade.score == Decimal(100)
    async with demo.sessions() as session:
        assert len((await session.scalars(select(Answer))).all()) == 3


async def test_each_attempt_sees_the_options_in_its_own_order_and_is_graded_by_meaning(demo: Runtime) -> None:
    options = [f"нұсқа {n}" for n in range(1, 9)]
    async with demo.sessions() as session, session.begin():
        teacher = await session.scalar(
            select(Person.id).where(Person.full_name == "Айгүл Сейітқызы Нұрланова")
        )
        course_id = await session.scalar(
            select(Assignment.course_id).where(Assignment.title == "Циклдер: 5 есеп")
        )
        assert teacher is not None and course_id is not None
        question = quizzes.QuestionDraft("Қайсысы дұрыс?", options, [5])
        settings = quizzes.TestSettings("Араластырылған", utcnow() + dt.timedelta(days=1), attempts=5)
        assignment = await quizzes.create(session, teacher, course_id, [question], settings)
        student = await session.scalar(select(Person.id).where(Person.full_name == "Айдана Серікқызы Бекова"))
        assert student is not None
        orders, verdicts = set(), []
        for pick_right in (True, False, True, False, True):
            attempt = await quizzes.start(session, student, assignment.id)
            step = await quizzes.next_question(session, attempt)
            assert step is not None and sorted(step.options) == sorted(options)
            orders.add(tuple(step.options))
            (right,) = step.correct_shown
            assert step.options[right] == "нұсқа 6"
            chosen = right if pick_right else (right + 1) % len(options)
            assert await quizzes.answer(session, attempt, step.question.id, [chosen])
            verdicts.append(
                await session.scalar(select(Answer.correct).where(Answer.attempt_id == attempt.id))
            )
            await quizzes.finish(session, attempt)
    assert len(orders) > 1, "the options were shuffled"
    assert verdicts == [True, False, True, False, True]


async def test_a_question_too_long_for_a_telegram_poll_is_asked_as_text(
    demo: Runtime, harness: Harness
) -> None:
    long_question = "Не выведет программа? " + "x = [i * i for i in range(10)]; " * 10 + "print(sum(x))"
    async with demo.sessions() as session, session.begin():
        teacher = await session.scalar(
            select(Person.id).where(Person.full_name == "Айгүл Сейітқызы Нұрланова")
        )
        course_id = await session.scalar(
            select(Assignment.course_id).where(Assignment.title == "Циклдер: 5 есеп")
        )
        student_id = await session.scalar(
            select(Person.id).where(Person.full_name == "Айдана Серікқызы Бекова")
        )
        assert teacher is not None and course_id is not None and student_id is not None
        question = quizzes.QuestionDraft(long_question, ["285", "45"], [0])
        settings = quizzes.TestSettings("Ұзын сұрақ", utcnow() + dt.timedelta(days=1), shuffle=False)
        await quizzes.create(session, teacher, course_id, [question], settings)
        session.add(
            MessengerAccount(channel=Channel.telegram, external_id="778", chat_id="778", person_id=student_id)
        )
    await telegram_tap(demo, harness, "778", "Тесттер", "Ұзын сұрақ")
    async with demo.sessions() as session:
        payloads = (
            await session.scalars(select(OutboxMessage.payload).where(OutboxMessage.kind == "reply"))
        ).all()
    asked = [p for p in payloads if "print(sum(x))" in (p.get("text") or "")]
    assert asked and not asked[-1].get("quiz"), "the whole question, as text, not a clipped poll"
    assert len(asked[-1]["buttons"][0]) == 2


async def _final_test(harness: Harness, teacher: object, title: str, attempts: str = "1") -> Reply:
    """Сергей Ким publishes a final-attestation test of one question; returns Anna's notice."""
    await harness.tap(teacher, "Новый тест", "Веб-программирование — ИС-22")  # type: ignore[arg-type]
    await harness.say(teacher, title)  # type: ignore[arg-type]
    replies = await harness.say(teacher, "Что такое HTML?\n*язык разметки\nбаза данных")  # type: ignore[arg-type]
    replies = await harness.say(teacher, "20")  # type: ignore[arg-type]
    await harness.tap(teacher, attempts, "да", "итоговая аттестация", on=replies)  # type: ignore[arg-type]
    replies = await harness.say(teacher, "через 3 дня")  # type: ignore[arg-type]
    await harness.press(teacher, replies[-1], "Опубликовать")  # type: ignore[arg-type]
    return (await harness.received(harness.anna))[-1]  # type: ignore[attr-defined]


async def test_attestation_identity_rejected_with_a_reason_never_counts(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    """Order 169 item 16 (002 item 16, online proctoring): the teacher rejects the identity photo with a
    reason; the student is told it in their language, the attempt's score never reaches the gradebook,
    and the rejected attempt is not one of the attempts used."""
    teacher = await harness.seat_for("Сергей Викторович Ким")
    anna = harness.anna = await harness.seat_for("Анна Сергеевна Петрова")  # type: ignore[attr-defined]
    await hand_in(demo, "Рубежный контроль 1", "Анна Сергеевна Петрова", "rk.pdf", b"%PDF-1.4\n%%EOF\n")
    notice = await _final_test(harness, teacher, "Экзамен")
    await harness.press(anna, notice, "Начать тест")
    replies = await harness.say(anna, files=[("me.jpg", JPEG)])
    replies = await harness.press(anna, replies[-1], number_of(texts(replies), "язык разметки"))
    assert "подтвердит вашу личность" in texts(replies)

    replies = await harness.tap(teacher, "Проверка личности", "Отклонить личность")
    assert "Почему личность не подтверждена?" in texts(replies)
    assert "словами" in texts(await harness.say(teacher, "   "))
    replies = await harness.say(teacher, "на фото не видно лица")
    assert "Личность не подтверждена; обучающемуся сообщена причина" in texts(replies)
    assert "Нет фото, ожидающих проверки" in texts(replies)

    told = texts(await harness.received(anna))
    assert "не подтвердил вашу личность по тесту «Экзамен»: на фото не видно лица" in told
    assert "попытка не засчитывается" in told
    assert await grade_of(demo, "Экзамен", "Анна Сергеевна Петрова") is None
    async with demo.sessions() as session:
        attempt = await session.scalar(select(Attempt))
        assert attempt is not None and attempt.identity_rejection == "на фото не видно лица"

    # One attempt allowed, yet a rejected one is not used up: she starts again with a clear photo.
    replies = await harness.press(anna, notice, "Начать тест")
    assert "онлайн прокторинг" in texts(replies)
    replies = await harness.say(anna, files=[("me2.jpg", JPEG)])
    assert "В тесте 1 вопрос" in texts(replies)


async def test_attestation_identity_rejected_in_kazakh_while_the_attempt_runs_closes_it(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    """Order 169 item 16: a rejection reaches a Kazakh-speaking student in Kazakh, and an attempt still
    running when its identity is rejected is closed without a grade."""
    teacher = await harness.seat_for("Сергей Викторович Ким")
    anna = harness.anna = await harness.seat_for("Анна Сергеевна Петрова")  # type: ignore[attr-defined]
    async with demo.sessions() as session, session.begin():
        person = await session.get(Person, anna.person_id)
        assert person is not None
        person.locale = "kk"
    await hand_in(demo, "Рубежный контроль 1", "Анна Сергеевна Петрова", "rk.pdf", b"%PDF-1.4\n%%EOF\n")
    notice = await _final_test(harness, teacher, "Емтихан")
    await harness.press(anna, notice, "Тестті бастау")
    replies = await harness.say(anna, files=[("me.jpg", JPEG)])
    question = replies[-1]
    await harness.tap(teacher, "Проверка личности", "Отклонить личность")
    await harness.say(teacher, "бұл басқа адам")
    told = texts(await harness.received(anna))
    assert "Оқытушы «Емтихан» тесті бойынша жеке басыңызды растамады: бұл басқа адам" in told
    replies = await harness.press(anna, question, number_of(texts([question]), "язык разметки"))
    assert "әрекет аяқталып қойған" in texts(replies)
    assert await grade_of(demo, "Емтихан", "Анна Сергеевна Петрова") is None


async def test_attestation_written_is_held_until_the_identity_is_confirmed(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    """Order 169 item 16 (002 item 16): a written intermediate or final attestation is handed in with a
    photo of the student holding their ID; it waits outside the grading queue (and cannot be graded)
    until the teacher confirms the identity; a rejection returns it to the student with the reason."""
    teacher = await harness.seat_for("Сергей Викторович Ким")
    anna = await harness.seat_for("Анна Сергеевна Петрова")
    await hand_in(demo, "Рубежный контроль 1", "Анна Сергеевна Петрова", "rk.pdf", b"%PDF-1.4\n%%EOF\n")
    async with demo.sessions() as session, session.begin():
        course_id = await session.scalar(
            select(Assignment.course_id).where(Assignment.title == "Рубежный контроль 1")
        )
        assert course_id is not None
        line = await posting.publish(
            session,
            teacher.person_id or 0,
            posting.Draft(
                course_id=course_id,
                title="Письменный экзамен",
                deadline=utcnow() + dt.timedelta(days=3),
                control_type=ControlType.intermediate,
                text="Эссе о HTTP",
            ),
        )
    await harness.settle()
    notice = await harness.received(anna)
    replies = await harness.tap(anna, "Сдать работу", on=notice)
    assert "сначала отправьте фото, где вы держите удостоверение личности" in texts(replies)
    assert "Сначала отправьте фото" in texts(await harness.say(anna, "вот эссе"))
    replies = await harness.say(anna, files=[("me.jpg", JPEG)])
    assert "Фото получено" in texts(replies)
    replies = await harness.say(anna, files=[("essay.pdf", b"%PDF-1.4\n%%EOF\n")])
    replies = await harness.tap(anna, "Подтвердить и сдать", on=replies)
    assert "Квитанция" in texts(replies) and "Преподаватель проверит фото" in texts(replies)

    async with demo.sessions() as session:
        submission = await session.scalar(select(Submission).where(Submission.assignment_id == line.id))
        assert submission is not None and submission.identity_file_name_id is not None
        held = await review.queue(session, teacher.person_id or 0, line.id)
    assert held == []
    async with demo.sessions() as session, session.begin():
        with pytest.raises(review.ReviewError):
            await review.grade(session, teacher.person_id or 0, submission.id, Decimal(90), None)

    # Rejected: back to her with the reason; she hands it in again with a new photo; then confirmed.
    replies = await harness.tap(teacher, "Проверка личности")
    assert "письменная аттестация «Письменный экзамен»" in texts(replies)
    await harness.tap(teacher, "Отклонить личность", on=replies)
    await harness.say(teacher, "фото размыто")
    told = texts(await harness.received(anna))
    assert "не подтвердил вашу личность по «Письменный экзамен»: фото размыто" in told
    replies = await harness.tap(anna, "Сдать работу", on=notice)
    await harness.say(anna, files=[("me2.jpg", JPEG)])
    replies = await harness.say(anna, "Эссе, версия 2")
    await harness.tap(anna, "Подтвердить и сдать", on=replies)
    replies = await harness.tap(teacher, "Проверка личности", "Личность подтверждена")
    assert "Нет фото, ожидающих проверки" in texts(replies)
    async with demo.sessions() as session:
        waiting = await review.queue(session, teacher.person_id or 0, line.id)
    assert [w.title for w in waiting] == ["Письменный экзамен"]
