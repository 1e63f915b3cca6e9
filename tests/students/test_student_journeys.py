"""A student's day through the real core: timetable, assignments, handing in work, grades, questions."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

import time_machine
from sqlalchemy import select

from bot.runtime import Runtime
from bot.services.messaging import notices
from db.base import utcnow
from db.models import (
    Assignment,
    AssignmentStatus,
    Course,
    Grade,
    Person,
    Question,
    Submission,
    SubmissionFile,
    SubmissionStatus,
    SubmissionVersion,
)
from tests.harness import Harness, labels, texts

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
KK_STUDENT = "Айдана Серікқызы Бекова"
RU_STUDENT = "Анна Сергеевна Петрова"


async def assignment_id(runtime: Runtime, title: str) -> int:
    async with runtime.sessions() as session:
        found = await session.scalar(select(Assignment.id).where(Assignment.title == title))
    assert found is not None
    return found


async def person_id(runtime: Runtime, name: str) -> int:
    async with runtime.sessions() as session:
        found = await session.scalar(select(Person.id).where(Person.full_name == name))
    assert found is not None
    return found


async def test_week_timetable_and_thematic_schedule_in_both_languages(
    demo: Runtime, harness: Harness
) -> None:
    kk = await harness.seat_for(KK_STUDENT)
    menu = await harness.say(kk, "/menu")
    assert "Сабақ кестесі" in labels(menu[-1])
    week_replies = await harness.press(kk, menu[-1], "Сабақ кестесі")
    assert "Бүгінгі сабақ кестесі" in texts(week_replies)
    week = await harness.tap(kk, "Апта", on=week_replies)
    text = texts(week)
    assert "Аптаның сабақ кестесі" in text and "Python негіздері" in text and "https://meet.jit.si/" in text
    assert "Веб-программирование" not in text  # another group's course
    topics = await harness.press(kk, week[-1], "Тақырыптық кесте")
    course_page = await harness.press(kk, topics[-1], "Python негіздері")
    assert "Функциялар" in texts(course_page) and "4 сағат" in texts(course_page)

    ru = await harness.seat_for(RU_STUDENT)
    text = texts(await harness.tap(ru, "Расписание занятий", "Неделя"))
    assert "Расписание на неделю" in text and "Веб-программирование" in text
    assert "Python негіздері" not in text


async def test_assignments_listed_by_deadline_with_their_state(demo: Runtime, harness: Harness) -> None:
    ru = await harness.seat_for(RU_STUDENT)
    text = texts(await harness.tap(ru, "Задания"))
    assert text.index("Вёрстка страницы") < text.index("Рубежный контроль 1")
    assert "Вёрстка страницы" in text and "оценено" in text  # graded in the demo
    assert "не сдано" in text  # the boundary control is still open


async def test_three_photos_and_a_pdf_make_one_submission_with_a_receipt(
    demo: Runtime, harness: Harness
) -> None:
    student = await harness.seat_for(KK_STUDENT)
    a_id = await assignment_id(demo, "ER-диаграмма")
    opened = await harness.tap(student, "Тапсырмалар", "ER-диаграмма", "Жұмысты тапсыру")
    assert "ER-диаграмма" in texts(opened)
    await harness.say(student, files=[("page1.jpg", PNG), ("page2.jpg", PNG)])
    got = await harness.say(student, files=[("page3.jpg", PNG)])
    assert "3 файл" in texts(got)
    got = await harness.say(student, files=[("diagram.pdf", PDF)])
    assert "4 файл" in texts(got) and "diagram.pdf" in texts(got)
    receipt = texts(await harness.press(student, got[-1], "Растау және тапсыру"))
    assert "Түбіртек №" in receipt and "page1.jpg, page2.jpg, page3.jpg, diagram.pdf" in receipt
    assert "кешіктіріп" not in receipt
    async with demo.sessions() as session:
        sub = await session.scalar(select(Submission).where(Submission.assignment_id == a_id))
        assert sub is not None and sub.status == SubmissionStatus.submitted and not sub.late
        versions = (
            await session.scalars(select(SubmissionVersion).where(SubmissionVersion.submission_id == sub.id))
        ).all()
        assert [v.number for v in versions] == [1]
        files = (
            await session.scalars(select(SubmissionFile).where(SubmissionFile.version_id == versions[0].id))
        ).all()
        assert len(files) == 4
        assert f"{sub.number}/1" in receipt


async def test_files_survive_a_restart_before_the_confirmation(
    demo: Runtime, harness: Harness, database_url: str, tmp_path
) -> None:
    from tests.harness import make_runtime, settings_for

    student = await harness.seat_for(KK_STUDENT)
    await harness.tap(student, "Тапсырмалар", "ER-диаграмма", "Жұмысты тапсыру")
    draft = await harness.say(student, files=[("scan.pdf", PDF)])
    # A new process: the draft and the dialog are in the database.
    again = make_runtime(settings_for(database_url, tmp_path))
    try:
        other = Harness(again)
        other_seat = student
        reply = await other.press(other_seat, draft[-1], "Растау және тапсыру")
        assert "scan.pdf" in texts(reply) and "Түбіртек №" in texts(reply)
    finally:
        await again.engine.dispose()


async def test_resubmission_keeps_both_versions(demo: Runtime, harness: Harness) -> None:
    student = await harness.seat_for(RU_STUDENT)
    a_id = await assignment_id(demo, "Рубежный контроль 1")
    await harness.tap(student, "Задания", "Рубежный контроль 1", "Сдать работу")
    draft = await harness.say(student, "Ответ: первый вариант")
    first = texts(await harness.press(student, draft[-1], "Подтвердить и сдать"))
    assert "Квитанция №" in first
    opened = texts(await harness.tap(student, "Задания", "Рубежный контроль 1", "Сдать работу"))
    assert "Новая версия заменит её" in opened
    draft = await harness.say(student, files=[("v2.pdf", PDF)])
    second = texts(await harness.press(student, draft[-1], "Подтвердить и сдать"))
    assert "Версия 2" in second and "/2" in second
    async with demo.sessions() as session:
        sub = await session.scalar(select(Submission).where(Submission.assignment_id == a_id))
        assert sub is not None
        versions = (
            await session.scalars(
                select(SubmissionVersion)
                .where(SubmissionVersion.submission_id == sub.id)
                .order_by(SubmissionVersion.number)
            )
        ).all()
        assert [v.number for v in versions] == [1, 2]
        assert versions[0].text == "Ответ: первый вариант"
    # The student sees both versions and gets their files back from the assignment's card.
    mine = await harness.tap(student, "Задания", "Рубежный контроль 1", "Моя сданная работа")
    shown = texts(mine)
    assert "Версия 2" in shown and "Файлы: v2.pdf" in shown
    assert "Версия 1" in shown and "Ответ: первый вариант" in shown
    assert len(mine[-1].files) == 1


async def test_late_work_is_marked_late_and_closed_work_refused(demo: Runtime, harness: Harness) -> None:
    student = await harness.seat_for("Екатерина Павловна Ким")  # did not hand in the demo's past work
    a_id = await assignment_id(demo, "Вёрстка страницы")
    opened = texts(await harness.tap(student, "Задания", "Вёрстка страницы", "Сдать с опозданием"))
    assert "будет принята с отметкой об опоздании" in opened
    draft = await harness.say(student, files=[("late.pdf", PDF)])
    receipt = texts(await harness.press(student, draft[-1], "Подтвердить и сдать"))
    assert "Сдано после срока: отмечено как опоздание." in receipt
    async with demo.sessions() as session, session.begin():
        a = await session.get(Assignment, a_id)
        assert a is not None
        a.status = AssignmentStatus.closed
    other = await harness.seat_for("Руслан Бауыржанович Абенов")
    assert "закрыл это задание" in texts(await harness.tap(other, "Задания", "Вёрстка страницы"))


async def test_grades_with_comment_and_rating(demo: Runtime, harness: Harness) -> None:
    student = await harness.seat_for(KK_STUDENT)
    grades = await harness.tap(student, "Бағалар")
    text = texts(grades)
    assert "Python негіздері" in text and "Ағымдағы рейтинг: 95%" in text and "A (4, өте жақсы)" in text
    detail = texts(await harness.press(student, grades[-1], "Python негіздері"))
    assert "Жақсы жұмыс" in detail and "100 балдан 95" in detail


async def test_question_reaches_the_teacher_and_the_answer_comes_back(
    demo: Runtime, harness: Harness
) -> None:
    from bot.services.messaging import announcing

    student = await harness.seat_for(RU_STUDENT)
    teacher = await harness.seat_for("Сергей Викторович Ким")
    courses = await harness.tap(student, "Вопрос педагогу")
    asked = await harness.press(student, courses[-1], "Веб-программирование")
    assert "Сергею Викторовичу Киму" in texts(asked)
    done = await harness.say(student, "Можно сдать работу ссылкой на GitHub?")
    assert "Ваш вопрос отправлен" in texts(done)
    got = await harness.received(teacher)
    assert "Можно сдать работу ссылкой на GitHub?" in texts(got) and "Анны Сергеевны Петровой" in texts(got)
    async with demo.sessions() as session, session.begin():
        q = await session.scalar(select(Question))
        assert q is not None
        await announcing.answer(session, await person_id(demo, "Сергей Викторович Ким"), q.id, "Да, можно.")
    await harness.settle()
    assert "Да, можно." in texts(await harness.received(student))


async def test_demo_student_gets_grade_after_submitting(demo: Runtime, harness: Harness) -> None:
    """The issue's 'done when': submit photos, receipt, and see the grade the teacher gives."""
    student = await harness.seat_for(KK_STUDENT)
    a_id = await assignment_id(demo, "Функциялар: зертханалық жұмыс")
    await harness.tap(student, "Тапсырмалар", "Функциялар: зертханалық жұмыс", "Жұмысты тапсыру")
    draft = await harness.say(student, files=[("p1.jpg", PNG), ("p2.jpg", PNG)])
    assert "Түбіртек №" in texts(await harness.press(student, draft[-1], "Растау және тапсыру"))
    student_id = await person_id(demo, KK_STUDENT)
    async with demo.sessions() as session, session.begin():
        sub = await session.scalar(select(Submission).where(Submission.assignment_id == a_id))
        grade = Grade(
            assignment_id=a_id,
            student_id=student_id,
            submission_id=sub.id if sub else None,
            score=Decimal(88),
            comment="Өте жақсы",
            graded_at=utcnow(),
        )
        session.add(grade)
        await session.flush()
        await notices.grade_released(session, grade.id)
    await harness.settle()
    assert "100 балдан 88" in texts(await harness.received(student))
    listed = texts(await harness.tap(student, "Тапсырмалар"))
    assert "Функциялар: зертханалық жұмыс" in listed and "бағаланды" in listed


async def test_an_overdue_assignment_after_the_clock_moves(demo: Runtime, harness: Harness) -> None:
    student = await harness.seat_for(KK_STUDENT)
    with time_machine.travel(utcnow() + dt.timedelta(days=3), tick=False):
        text = texts(await harness.tap(student, "Тапсырмалар"))
    assert "мерзімі өтті" in text


async def test_help_in_the_middle_of_handing_in_keeps_the_draft_going(
    demo: Runtime, harness: Harness
) -> None:
    student = await harness.seat_for(RU_STUDENT)
    a_id = await assignment_id(demo, "Рубежный контроль 1")
    await harness.tap(student, "Задания", "Рубежный контроль 1", "Сдать работу")
    await harness.say(student, "Ответ: часть первая")
    helped = texts(await harness.say(student, "/help"))
    assert "/cancel" in helped and "Вы ещё не закончили шаг" in helped
    draft = await harness.say(student, "часть вторая")
    receipt = texts(await harness.press(student, draft[-1], "Подтвердить и сдать"))
    assert "Квитанция №" in receipt
    async with demo.sessions() as session:
        version = await session.scalar(
            select(SubmissionVersion)
            .join(Submission, Submission.id == SubmissionVersion.submission_id)
            .where(Submission.assignment_id == a_id)
        )
    assert (
        version is not None
        and "часть первая" in (version.text or "")
        and "часть вторая" in (version.text or "")
    )


async def test_the_card_offers_handing_in_only_when_it_can_work(demo: Runtime, harness: Harness) -> None:
    kk = await harness.seat_for(KK_STUDENT)
    # no screen shows this button: the Assignments list gives no button to graded work, so the card of
    # a graded assignment is reached only by a button sent before the grade.
    graded = await harness.say(kk, button=f"asg:{await assignment_id(demo, 'Циклдер: 5 есеп')}")
    assert "Бұл жұмыс бағаланып қойған, оны ауыстыруға болмайды." in texts(graded)
    assert "Жұмысты тапсыру" not in labels(graded[-1])
    open_one = await harness.tap(kk, "Тапсырмалар", "ER-диаграмма")
    assert "Жұмысты тапсыру" in labels(open_one[-1])


async def test_grades_of_a_course_that_is_not_the_students_are_refused(
    demo: Runtime, harness: Harness
) -> None:
    kk = await harness.seat_for(KK_STUDENT)
    async with demo.sessions() as session:
        other = await session.scalar(select(Course.id).where(Course.discipline == "Веб-программирование"))
    replies = await harness.say(kk, button=f"grd:{other}")  # a forged payload: another group's course
    assert "Бұл сіздің курсыңыз емес." in texts(replies) and "Бағалар" in labels(replies[-1])


async def test_a_refused_file_keeps_the_draft_and_its_buttons(demo: Runtime, harness: Harness) -> None:
    student = await harness.seat_for(RU_STUDENT)
    await harness.tap(student, "Задания", "Рубежный контроль 1", "Сдать работу")
    await harness.say(student, files=[("otvet.pdf", PDF)])
    refused = await harness.say(student, files=[("virus.exe", b"MZ\x90\x00" + b"\x00" * 60)])
    assert "не принимаются" in texts(refused)
    assert {"Подтвердить и сдать", "Отмена"} <= set(labels(refused[-1]))
    receipt = texts(await harness.press(student, refused[-1], "Подтвердить и сдать"))
    assert "Квитанция №" in receipt and "otvet.pdf" in receipt and "virus.exe" not in receipt
