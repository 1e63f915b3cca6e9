"""Posting an assignment from chat: the dialog, the refusals, a new deadline and closing."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.runtime import Runtime
from db.base import utcnow
from db.models import Assignment, AssignmentStatus, ControlType, Course
from tests.harness import Harness, labels, texts
from tests.teacher.conftest import PDF

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")


async def the_assignment(runtime: Runtime, title: str) -> Assignment:
    async with runtime.sessions() as session:
        found = await session.scalar(
            select(Assignment).options(selectinload(Assignment.files)).where(Assignment.title == title)
        )
    assert found is not None
    return found


async def test_kazakh_teacher_posts_an_assignment_with_a_file(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for("Айгүл Сейітқызы Нұрланова")
    student = await harness.seat_for("Айдана Серікқызы Бекова")
    parent = await harness.seat_for("Серік Бекұлы Беков")
    other_group = await harness.seat_for("Анна Сергеевна Петрова")

    menu = await harness.say(teacher, "/menu")
    assert "Жаңа тапсырма" in labels(menu[-1])
    replies = await harness.press(teacher, menu[-1], "Жаңа тапсырма")
    assert labels(replies[-1]) == ["Python негіздері — ПО-21"]  # only her own course
    replies = await harness.press(teacher, replies[-1], "Python негіздері — ПО-21")
    assert "атауын жіберіңіз" in texts(replies)
    assert "Атауы бос" in texts(await harness.say(teacher, "   "))
    await harness.say(teacher, "Сөздіктер: практикалық жұмыс")
    await harness.say(teacher, "Сөздіктермен 3 есеп шығарыңыз.")
    replies = await harness.say(teacher, files=[("esep.pdf", PDF)])
    assert "1 файл" in texts(replies)
    replies = await harness.press(teacher, replies[-1], "Дайын")
    assert "Ертең 18:00" in labels(replies[-1])
    assert "Күнді түсіне алмадым" in texts(await harness.say(teacher, "бір кезде"))
    assert "өтіп кетті" in texts(await harness.say(teacher, "20.11 18:00"))
    assert "өтіп кетті" in texts(await harness.say(teacher, "кеше 18:00"))
    assert "Күнді түсіне алмадым" in texts(await harness.say(teacher, "ертең-ау"))
    replies = await harness.say(teacher, "ертең 18:00")
    assert "24 қараша, 18:00" in texts(replies)
    assert "сан болуы керек" in texts(await harness.say(teacher, "жүз"))
    for not_a_number in ("nan", "inf"):  # float() reads them; they are no score
        assert "сан болуы керек" in texts(await harness.say(teacher, not_a_number))
    replies = await harness.say(teacher, "50")
    replies = await harness.press(teacher, replies[-1], "аралық бақылау")
    replies = await harness.press(teacher, replies[-1], "жазбаша жұмыс")
    preview = texts(replies)
    assert "Алдын ала қарау" in preview and "Сөздіктермен 3 есеп шығарыңыз." in preview
    assert "Ең жоғары балл: 50" in preview and len(replies[-1].files) == 1
    replies = await harness.press(teacher, replies[-1], "Жариялау")
    # Honest: only the seated student and parent have joined; the rest are named, to invite again.
    published = texts(replies)
    assert "Жарияланды: «Сөздіктер: практикалық жұмыс»." in published
    assert "Жетеді: білім алушылар — 1 / 10; ата-аналар — 1." in published
    assert "Жетпейді: " in published and "қайта шақырыңыз" in published

    assignment = await the_assignment(demo, "Сөздіктер: практикалық жұмыс")
    assert assignment.deadline == dt.datetime(2026, 11, 24, 18, 0, tzinfo=ALMATY)
    assert assignment.max_score == 50 and assignment.control_type == ControlType.boundary
    assert len(assignment.files) == 1
    got = await harness.received(student)
    assert "Жаңа тапсырма: Сөздіктер: практикалық жұмыс" in texts(got) and len(got[-1].files) == 1
    assert "Сөздіктер: практикалық жұмыс" in texts(await harness.received(parent))
    assert await harness.received(other_group) == []


async def test_russian_teacher_changes_the_deadline_and_closes(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for("Сергей Викторович Ким")
    student = await harness.seat_for("Анна Сергеевна Петрова")
    parent = await harness.seat_for("Ольга Викторовна Петрова")
    replies = await harness.tap(teacher, "Новое задание")
    assert labels(replies[-1]) == ["Веб-программирование — ИС-22", "Деректер қоры — ПО-21"]
    await harness.press(teacher, replies[-1], "Веб-программирование — ИС-22")
    replies = await harness.say(teacher, "Формы и валидация")
    await harness.press(teacher, replies[-1], "Готово")
    assert "Не удалось прочитать дату" in texts(await harness.say(teacher, "когда-нибудь"))
    replies = await harness.say(teacher, "завтра 18:00")
    refused = await harness.say(teacher, "сто")
    assert "должен быть числом" in texts(refused)
    replies += refused
    refused = await harness.say(teacher, "0")
    assert "целым числом от 1 до 1000" in texts(refused)
    replies += refused
    replies = await harness.tap(
        teacher, "100", "текущий контроль успеваемости", "творческая работа", on=replies
    )
    assert "Вид работы: творческая работа" in texts(replies)
    replies = await harness.press(teacher, replies[-1], "Опубликовать")
    published = texts(replies)
    assert "Дойдёт до 1 из 10 обучающихся; родителей: 1." in published
    assert "Не дойдёт до: " in published and "Алина Руслановна Ахметова" in published
    assert "Новое задание: Формы и валидация" in texts(await harness.received(student))
    assert "Анна Сергеевна Петрова: новое задание «Формы и валидация»" in texts(
        await harness.received(parent)
    )

    replies = await harness.press(teacher, replies[-1], "Открыть задание")
    assert "Сдали: 0 из 10" in texts(replies)
    replies = await harness.press(teacher, replies[-1], "Изменить срок")
    assert "уже прошло" in texts(await harness.say(teacher, "20.11 10:00"))
    assert "уже прошло" in texts(await harness.say(teacher, "вчера 18:00"))
    replies = await harness.say(teacher, "пятница 18:00")
    assert "Новый срок сдачи: 27 ноября, 18:00" in texts(replies)
    assignment = await the_assignment(demo, "Формы и валидация")
    assert assignment.deadline == dt.datetime(2026, 11, 27, 18, 0, tzinfo=ALMATY)
    assert "27 ноября, 18:00" in texts(await harness.received(student))

    replies = await harness.tap(teacher, "Открыть задание", "Закрыть задание", on=replies)
    assert "закрыто" in texts(replies)
    assert (await the_assignment(demo, "Формы и валидация")).status == AssignmentStatus.closed


async def test_a_teacher_cannot_touch_another_teachers_assignment(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    kim = await harness.seat_for("Сергей Викторович Ким")
    student = await harness.seat_for("Айдана Серікқызы Бекова")
    theirs = await the_assignment(demo, "Функциялар: зертханалық жұмыс")  # Нұрланова's course
    # Forged payloads: no screen shows them another teacher's assignment, nor a student a teacher's button.
    assert "Это не ваш курс" in texts(await harness.say(kim, button=f"tclose:{theirs.id}"))
    assert "Это не ваш курс" in texts(await harness.say(kim, button=f"tasg:{theirs.id}"))
    assert "рөліңізге қолжетімді емес" in texts(await harness.say(student, button=f"tclose:{theirs.id}"))
    assert "рөліңізге қолжетімді емес" in texts(await harness.say(student, button="tpost"))
    assert (await the_assignment(demo, theirs.title)).status == AssignmentStatus.published


def test_deadlines_typed_in_kazakh_and_russian() -> None:
    from bot.services.coursework.deadlines import DeadlineError, parse, parse_future
    from tests.conftest import CLOCK_START as NOW

    def local(text: str) -> str:
        return parse(text, NOW).moment.astimezone(ALMATY).strftime("%d.%m.%Y %H:%M")

    assert local("25.11 18:00") == "25.11.2026 18:00"
    assert local("завтра 18:00") == "24.11.2026 18:00"
    assert local("ертең 18:00") == "24.11.2026 18:00"
    assert local("бүгін 20.00") == "23.11.2026 20:00"
    assert local("послезавтра") == "25.11.2026 23:59"
    assert local("пятница 9:30") == "27.11.2026 09:30"
    assert local("жұмаға дейін 18:00") == "27.11.2026 18:00"
    assert local("сенбі") == "28.11.2026 23:59"
    assert local("в пятницу в 18") == "27.11.2026 18:00"
    assert local("через 3 дня") == "26.11.2026 23:59"
    assert local("3 күннен кейін 12:00") == "26.11.2026 12:00"
    assert local("30 ноября 10:00") == "30.11.2026 10:00"
    assert local("5 желтоқсан 18:00") == "05.12.2026 18:00"
    assert local("25.01") == "25.01.2027 23:59"  # January said in November: the coming one
    assert local("25.11.2026 18.00") == "25.11.2026 18:00"
    for bad in ("", "когда-нибудь", "31.02 10:00"):
        try:
            parse(bad, NOW)
        except DeadlineError as exc:
            assert exc.reason == "unknown"
        else:
            raise AssertionError(f"{bad!r} was read as a date")
    try:
        parse_future("20.11 18:00", NOW)
    except DeadlineError as exc:
        assert exc.reason == "past"
    else:
        raise AssertionError("a past deadline was accepted")


async def test_many_open_assignments_nearest_deadline_first_and_the_rest_counted(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for("Сергей Викторович Ким")
    async with demo.sessions() as session, session.begin():
        course = await session.scalar(select(Course).where(Course.discipline == "Веб-программирование"))
        assert course is not None
        for n in range(1, 31):
            session.add(
                Assignment(
                    course_id=course.id,
                    title=f"Лабораторная №{n}",
                    deadline=utcnow() + dt.timedelta(days=10 + n),
                    max_score=10,
                    status=AssignmentStatus.published,
                )
            )
    replies = await harness.tap(teacher, "Мои задания")
    shown = labels(replies[-1])
    assert shown[0].startswith("ER-диаграмма") and shown[1].startswith("Рубежный контроль 1")  # the nearest
    assert "Лабораторная №1 · " in " ".join(shown) and "Лабораторная №30" not in " ".join(shown)
    assert "Показано 20 из 33" in texts(replies)
