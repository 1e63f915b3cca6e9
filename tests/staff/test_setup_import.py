"""Setting up from files: programs with their caps, courses, and the timetable the methodist publishes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.files import pdf
from bot.files.tables import xlsx
from bot.runtime import Runtime
from db.models import Course, CreditCapCategory, Lesson, LessonMode, Program
from tests.harness import Harness, texts
from tests.staff.helpers import start_import

METHODIST = "Салтанат Әбенқызы Исмаилова"


async def upload(harness: Harness, seat, kind: str, data: bytes):  # type: ignore[no-untyped-def]
    await start_import(harness, seat, kind)
    return await harness.say(seat, files=[(f"{kind}.xlsx", data)])


async def test_methodist_sets_up_programs_courses_and_the_timetable(demo: Runtime, harness: Harness) -> None:
    methodist = await harness.seat_for(METHODIST)
    student = await harness.seat_for("Анна Сергеевна Петрова")
    parent = await harness.seat_for("Ольга Викторовна Петрова")

    programs = xlsx(
        [
            (
                "P",
                ["name", "level", "field", "basis", "groups"],
                [["Мейіргер ісі", "bachelor", "health care", "higher", "ИС-22"], ["MBA", "MBA", "", "", ""]],
            )
        ]
    )
    replies = await upload(harness, methodist, "programs", programs)
    assert "Импортталды: 2 жаңа" in texts(replies)
    async with demo.sessions() as session:
        caps = dict((await session.execute(select(Program.name, Program.credit_cap_category))).all())
    assert (
        caps["Мейіргер ісі"] is CreditCapCategory.restricted_fields and caps["MBA"] is CreditCapCategory.mba
    )

    courses = xlsx(
        [
            (
                "C",
                ["group", "discipline", "teacher", "credits", "hours"],
                [
                    ["ИС-22", "Анатомия", "Сергей Викторович Ким", "6", "180"],
                    ["ИС-22", "Латынь", "Нет Такого Педагога", "три", ""],
                ],
            )
        ]
    )
    replies = await upload(harness, methodist, "courses", courses)
    assert "3-жол: «Нет Такого Педагога» педагогі жоқ" in texts(replies)
    assert "3-жол: «три» кредиттері 1-ден 300-ге дейінгі бүтін сан болуы керек" in texts(replies)
    courses = xlsx(
        [
            (
                "C",
                ["group", "discipline", "teacher", "credits", "hours"],
                [["ИС-22", "Анатомия", "Сергей Викторович Ким", "6", "180"]],
            )
        ]
    )
    assert "1 жаңа" in texts(await harness.say(methodist, files=[("courses.xlsx", courses)]))

    day = dt.date(2026, 12, 1)
    timetable = xlsx(
        [
            (
                "T",
                ["группа", "дисциплина", "дата", "начало", "конец", "режим", "ссылка"],
                [
                    [
                        "ИС-22",
                        "Анатомия",
                        day.strftime("%d.%m.%Y"),
                        "09:00",
                        "10:30",
                        "online",
                        "https://meet.example/a",
                    ],
                    ["ИС-22", "Анатомия", day.isoformat(), "11:00", "12:30", "offline", ""],
                ],
            )
        ]
    )
    lessons_before = await count_lessons(demo)
    replies = await upload(harness, methodist, "timetable", timetable)
    assert "Импортталды: 2 жаңа" in texts(replies)
    assert await count_lessons(demo) == lessons_before + 2
    async with demo.sessions() as session:
        lesson = await session.scalar(
            select(Lesson).join(Course).where(Course.discipline == "Анатомия").order_by(Lesson.starts_at)
        )
    assert lesson is not None and lesson.mode is LessonMode.online
    assert lesson.starts_at == dt.datetime(2026, 12, 1, 4, 0, tzinfo=dt.UTC)  # 09:00 in Almaty
    assert "Расписание занятий группы ИС-22 обновлено: 2 занятия с 1 декабря 2026" in texts(
        await harness.received(student)
    )
    assert "ИС-22" in texts(await harness.received(parent))


async def count_lessons(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Lesson)) or 0)


async def test_bad_timetable_rows_change_nothing(demo: Runtime, harness: Harness) -> None:
    methodist = await harness.seat_for(METHODIST)
    timetable = xlsx(
        [
            (
                "T",
                ["group", "discipline", "date", "start", "end"],
                [
                    ["ИС-22", "Веб-программирование", "2026-12-01", "09:00", "10:30"],
                    ["ИС-22", "Химия", "2026-12-01", "25:00", "08:00"],
                ],
            )
        ]
    )
    before = await count_lessons(demo)
    replies = await upload(harness, methodist, "timetable", timetable)
    assert "3-жол: ИС-22 тобында «Химия» курсы жоқ" in texts(replies)
    assert "3-жол: «25:00» уақыт емес" in texts(replies)
    assert await count_lessons(demo) == before


def test_a_missing_font_is_explained(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(pdf, "FONT_DIR", tmp_path)
    with pytest.raises(pdf.FontMissing, match="fonts-dejavu-core"):
        pdf.render(pdf.Document("Бұйрық"))
