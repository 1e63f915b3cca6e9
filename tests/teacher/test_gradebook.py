"""The gradebook in chat and exported: letters by the organization's scale, the admission rating,
the final grade by the formula; the XLSX opened with openpyxl, the CSV read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import time_machine
from sqlalchemy import select

from bot.runtime import Runtime
from bot.services.coursework import review
from db.base import utcnow
from db.models import Assignment, ControlType, Course, GradingScheme, Organization, Person
from tests.harness import Harness, texts


async def load(runtime: Runtime, file_name_id: int) -> bytes:
    async with runtime.sessions() as session:
        return (await runtime.files.load(session, file_name_id)).data


async def test_kazakh_gradebook_and_xlsx(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for("Айгүл Сейітқызы Нұрланова")
    replies = await harness.say(teacher, "/menu")
    replies = await harness.press(teacher, replies[-1], "Бағалар журналы")
    replies = await harness.press(teacher, replies[-1], "Python негіздері — ПО-21")
    shown = texts(replies)
    assert "Бағалар журналы: Python негіздері, ПО-21 тобы" in shown
    assert "Айдана Серікқызы Бекова — 95% A (4, өте жақсы)" in shown
    assert "Мадина Ғаниқызы Оспанова — —" in shown  # nothing graded yet

    replies = await harness.press(teacher, replies[-1], "XLSX")
    assert len(replies[-1].files) == 1
    sheet = openpyxl.load_workbook(io.BytesIO(await load(demo, replies[-1].files[0].file_name_id))).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["№", "Білім алушы", "Циклдер: 5 есеп (100)", "Функциялар: зертханалық жұмыс (100)"]
    assert header[4:] == [
        "Жіберу рейтингі, %",
        "Емтихан, %",
        "Қорытынды, %",
        "Әріптік баға",
        "Балл (GPA)",
        "Жіберілді",
    ]
    rows = {r[1]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == 10
    assert rows["Айдана Серікқызы Бекова"][2] == 95 and rows["Айдана Серікқызы Бекова"][4] == 95
    # 95 % but «Функциялар» not handed in yet: not admitted whatever the rating (001 item 29)
    assert rows["Айдана Серікқызы Бекова"][7:] == ("A", 4, "жоқ")
    assert rows["Дәулет Қайратұлы Сейітов"][7] == "C"  # 68 %


async def test_russian_gradebook_with_boundary_exam_formula_and_csv(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for("Сергей Викторович Ким")
    async with demo.sessions() as session, session.begin():
        course = await session.scalar(select(Course).where(Course.discipline == "Веб-программирование"))
        anna = await session.scalar(select(Person).where(Person.full_name == "Анна Сергеевна Петрова"))
        boundary = await session.scalar(select(Assignment).where(Assignment.title == "Рубежный контроль 1"))
        assert course is not None and anna is not None and boundary is not None
        exam = Assignment(
            course_id=course.id,
            title="Экзамен",
            deadline=utcnow() + dt.timedelta(days=9),
            max_score=50,
            control_type=ControlType.final,
        )
        session.add(exam)
        await session.flush()
        await review.put_grade(session, course.teacher_id, boundary, anna.id, Decimal(80), None)
        await review.put_grade(session, course.teacher_id, exam, anna.id, Decimal(45), None)
    replies = await harness.tap(teacher, "Журнал оценок", "Веб-программирование — ИС-22")
    # admission 80 (the boundary control), exam 90 %, final 0.6 × 80 + 0.4 × 90 = 84
    assert "Анна Сергеевна Петрова — 84% B (3, хорошо)" in texts(replies)
    # The boundary control is not due yet: Дмитрий's rating so far is his current work (86), not an F.
    assert "Дмитрий Олегович Ли — 86% B+" in texts(replies)
    assert "Тимур Маратович Нургалиев — —\n" in texts(replies)  # nothing graded: no rating, no «%»
    clock.move_to(boundary.deadline + dt.timedelta(hours=1))
    replies = await harness.tap(teacher, "Журнал оценок", "Веб-программирование — ИС-22")
    assert "Дмитрий Олегович Ли — 0% F" in texts(replies)  # missed once it is due: it counts 0

    replies = await harness.press(teacher, replies[-1], "CSV")
    raw = (await load(demo, replies[-1].files[0].file_name_id)).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(raw), delimiter=";"))
    assert table[0][1] == "Обучающийся" and table[0][-6:-3] == ["Рейтинг допуска, %", "Экзамен, %", "Итог, %"]
    anna_row = next(r for r in table if r[1] == "Анна Сергеевна Петрова")
    assert anna_row[-6:] == ["80", "90", "84", "B", "3", "да"]

    # A school's own scale, set per organization.
    async with demo.sessions() as session, session.begin():
        org = await session.scalar(select(Organization))
        assert org is not None
        org.grading_scheme = GradingScheme.school5
    replies = await harness.tap(teacher, "Журнал оценок", "Веб-программирование — ИС-22")
    assert "Анна Сергеевна Петрова — 84% 4 (хорошо)" in texts(replies)


async def test_another_teachers_gradebook_is_refused(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    kim = await harness.seat_for("Сергей Викторович Ким")
    async with demo.sessions() as session:
        theirs = await session.scalar(select(Course.id).where(Course.discipline == "Python негіздері"))
    # A forged payload: his gradebook picker never shows another teacher's course.
    assert "Это не ваш курс" in texts(await harness.say(kim, button=f"tbx:{theirs}:xlsx"))
