"""The set-up imports keep to the rules and lose nothing silently: the credit caps of 002 items 17 and 19
by field and basis, field/level/basis words in Kazakh and Russian, CSV files from Russian Windows, a
timetable sent twice, the courses' terms and credits, and the errors in the person's language."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.files.store import sniff_mime
from bot.files.tables import xlsx
from bot.runtime import Runtime
from bot.services.admin import setup, study_plans
from bot.services.admin.study_plans import Basis, CapExceeded, PlanLine
from db.models import (
    Course,
    CreditCapCategory,
    Group,
    Lesson,
    LessonMode,
    Organization,
    Person,
    PersonRole,
    Program,
    ProgramLevel,
    Role,
)
from tests.harness import Harness, Seat, texts
from tests.staff.helpers import start_import

METHODIST = "Салтанат Әбенқызы Исмаилова"
STUDENT_RU = "Анна Сергеевна Петрова"  # ИС-22

# field × basis of a bachelor's program -> (category, the cap's item or None, its limit)
CAP_CASES = [
    ("health_care", "general_secondary", CreditCapCategory.on_general_secondary, "17", 0),
    ("health_care", "tvet", CreditCapCategory.none, None, 0),
    ("health_care", "higher", CreditCapCategory.restricted_fields, "19", 30),
    ("", "general_secondary", CreditCapCategory.on_general_secondary, "17", 0),
    ("", "tvet", CreditCapCategory.none, None, 0),
    ("", "higher", CreditCapCategory.none, None, 0),
]
# The same combinations as a methodist writes them in a file, in Russian and in Kazakh.
FIELD_WORDS = {"health_care": ("Здравоохранение", "денсаулық сақтау"), "": ("", "басқа")}
BASIS_WORDS = {
    "general_secondary": ("на базе общего среднего образования", "жалпы орта"),
    "tvet": ("ТиПО", "техникалық және кәсіптік білім негізінде"),
    "higher": ("высшее", "Жоғары білім негізінде"),
}


async def _student_of(session: AsyncSession, org_id: int, program_id: int) -> int:
    group = Group(organization_id=org_id, program_id=program_id, name=f"Г-{program_id}")
    session.add(group)
    await session.flush()
    person = Person(organization_id=org_id, full_name="Әсел Маратқызы Жақыпова")
    person.roles.append(PersonRole(role=Role.student, group_id=group.id))
    session.add(person)
    await session.flush()
    return person.id


async def _assert_cap(session: AsyncSession, student: int, item: str | None, limit: int) -> None:
    if item is None:
        assert (await study_plans.check(session, student, Basis.regular, [PlanLine("Пән", 200)])).ok
        return
    with pytest.raises(CapExceeded) as refused:
        await study_plans.save_plan(
            session, student, Basis.regular, [PlanLine("Пән", limit + 1)], actor_id=None
        )
    broken = refused.value.verdict.broken
    assert broken is not None and broken.item == item and broken.limit == limit
    assert broken.rule == study_plans.CAP_RULES[item]


@pytest.mark.parametrize(("field", "basis", "category", "item", "limit"), CAP_CASES)
@pytest.mark.parametrize("via", ["chat", "import-ru", "import-kk"])
async def test_a_bachelor_program_is_capped_by_its_field_and_basis(
    sessions: async_sessionmaker[AsyncSession],
    via: str,
    field: str,
    basis: str,
    category: CreditCapCategory,
    item: str | None,
    limit: int,
) -> None:
    async with sessions() as session, session.begin():
        org = Organization(name="Университет")
        session.add(org)
        await session.flush()
        if via == "chat":
            program = await setup.create_program(
                session,
                org.id,
                name="Сестринское дело",
                level=ProgramLevel.bachelor,
                field=field,
                basis=basis,
            )
        else:
            lang = 0 if via == "import-ru" else 1
            level = "бакалавриат" if lang == 0 else "Бакалавриат"
            row = ";".join(["Сестринское дело", level, FIELD_WORDS[field][lang], BASIS_WORDS[basis][lang]])
            data = ("Название;Уровень;Область;На базе\n" + row + "\n").encode()
            result = await setup.import_programs(session, org, data, "programs.csv")
            assert result.ok and result.created == 1, result.errors
            program = await session.scalar(select(Program).where(Program.organization_id == org.id))
        assert program is not None
        assert program.credit_cap_category is category
        assert program.on_higher_education_basis is (basis == "higher")
        assert program.field == (field or None)
        student = await _student_of(session, org.id, program.id)
        await _assert_cap(session, student, item, limit)


async def as_locale(runtime: Runtime, full_name: str, locale: str) -> None:
    async with runtime.sessions() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.full_name == full_name))
        assert person is not None
        person.locale = locale


async def upload(harness: Harness, seat: Seat, kind: str, name: str, data: bytes) -> str:
    await start_import(harness, seat, kind)
    return texts(await harness.say(seat, files=[(name, data)]))


async def count(runtime: Runtime, model: type) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_methodist_creates_a_nursing_program_on_general_secondary_in_chat(
    demo: Runtime, harness: Harness
) -> None:
    await as_locale(demo, METHODIST, "ru")
    methodist = await harness.seat_for(METHODIST)
    replies = await harness.tap(methodist, "Настройка организации", "Новая программа")
    replies = await harness.say(methodist, "Сестринское дело")
    replies = await harness.press(methodist, replies[-1], "бакалавриат")
    replies = await harness.press(methodist, replies[-1], "здравоохранение")
    replies = await harness.press(methodist, replies[-1], "на базе общего среднего образования")
    assert "пункт 17" in texts(replies)
    async with demo.sessions() as session:
        program = await session.scalar(select(Program).where(Program.name == "Сестринское дело"))
    assert program is not None and program.credit_cap_category is CreditCapCategory.on_general_secondary
    assert study_plans.caps_for(program, Basis.regular)[0].item == "17"


@pytest.mark.parametrize(
    ("locale", "field", "basis", "done", "unknown_field", "names"),
    [
        (
            "ru",
            "здравоохранение",
            "высшее",
            "Импортировано: 1 новая запись, 0 записей обновлено.",
            "Строка 3: область «Медицина» неизвестна",
            "хореография, инструментальное исполнительство",
        ),
        (
            "kk",
            "Денсаулық сақтау",
            "жоғары",
            "Импортталды: 1 жаңа жазба, 0 жазба жаңартылды.",
            "3-жол: «Медицина» саласы белгісіз",
            "хореография, аспаптық орындаушылық",
        ),
    ],
)
async def test_programs_import_reads_fields_in_kazakh_and_russian(
    demo: Runtime,
    harness: Harness,
    locale: str,
    field: str,
    basis: str,
    done: str,
    unknown_field: str,
    names: str,
) -> None:
    await as_locale(demo, METHODIST, locale)
    methodist = await harness.seat_for(METHODIST)
    programs_before = await count(demo, Program)
    header = ["Название", "Уровень", "Область", "На базе", "Группы"]
    bad = xlsx(
        [
            (
                "P",
                header,
                [
                    ["Стоматология", "бакалавриат", field, basis, "ИС-22"],
                    ["Лечебное дело", "бакалавриат", "Медицина", basis, ""],
                    ["Фармация", "бакалавриатура", "", basis, ""],
                    ["Биология", "бакалавриат", "", "заочно", ""],
                    ["Химия", "бакалавриат", "", "", ""],
                ],
            )
        ]
    )
    shown = await upload(harness, methodist, "programs", "programs.xlsx", bad)
    assert unknown_field in shown and names in shown
    assert "«бакалавриатура»" in shown and "«заочно»" in shown
    assert ("Строка 6" if locale == "ru" else "6-жол") in shown and ("17" in shown and "19" in shown)
    assert await count(demo, Program) == programs_before  # nothing half-imported

    good = xlsx([("P", header, [["Стоматология", "бакалавриат", field, basis, "ИС-22"]])])
    shown = texts(await harness.say(methodist, files=[("programs.xlsx", good)]))
    assert done in shown
    async with demo.sessions() as session:
        program = await session.scalar(select(Program).where(Program.name == "Стоматология"))
        group_program = await session.scalar(select(Group.program_id).where(Group.name == "ИС-22"))
    assert program is not None and program.field == "health_care" and program.on_higher_education_basis
    assert program.credit_cap_category is CreditCapCategory.restricted_fields
    assert group_program == program.id


def test_sniff_mime_takes_text_tables_in_windows_1251_and_utf16_but_not_binaries() -> None:
    table = "группа;дисциплина;кредиты\nИС-22;Физика;5\n"
    assert sniff_mime(table.encode("cp1251"), "курсы.csv") == "text/csv"
    assert sniff_mime(table.encode("cp1251"), "курсы.TXT") == "text/plain"
    assert sniff_mime(table.encode("utf-8-sig"), "курсы.csv") == "text/csv"
    assert sniff_mime(table.encode("utf-16"), "курсы.txt") == "text/plain"
    assert sniff_mime(table.encode("cp1251"), "курсы") is None  # no table's name: not guessed
    binary = bytes(range(256)) * 8
    assert sniff_mime(binary, "data.csv") is None
    assert sniff_mime(b"\xff\xfe" + bytes(range(256)), "data.txt") is None
    # a UTF-8 file whose 64 KB cut falls inside a letter is still text
    assert sniff_mime(b"x" + "а".encode() * 40000, "notes") == "text/plain"


async def test_a_courses_csv_from_russian_windows_is_imported_in_chat(
    demo: Runtime, harness: Harness
) -> None:
    await as_locale(demo, METHODIST, "ru")
    methodist = await harness.seat_for(METHODIST)
    data = "Группа;Дисциплина;Кредиты;Семестр\nИС-22;Физика;5;\n".encode("cp1251")
    shown = await upload(harness, methodist, "courses", "курсы.csv", data)
    assert "Импортировано: 1 новая запись, 0 записей обновлено." in shown
    async with demo.sessions() as session:
        credits = await session.scalar(select(Course.credits).where(Course.discipline == "Физика"))
    assert credits == 5


@pytest.mark.parametrize(
    ("locale", "shown_errors", "no_columns"),
    [
        (
            "ru",
            [
                "Строка 2: нет академического периода «Весенний 2027»",
                "Строка 3: столбец «Кредиты» пуст",
                "Строка 4: кредиты «0» должны быть целым числом от 1 до 300",
                "Строка 5: кредиты «400» должны быть целым числом от 1 до 300",
                "Строка 6: столбец «Дисциплина» пуст",
                "Строка 7: столбец «Группа» пуст",
            ],
            "в файле нужны столбцы: группа, дисциплина, кредиты",
        ),
        (
            "kk",
            [
                "2-жол: «Весенний 2027» академиялық кезеңі жоқ",
                "3-жол: «Кредиты» бағаны бос",
                "4-жол: «0» кредиттері 1-ден 300-ге дейінгі бүтін сан болуы керек",
                "6-жол: «Дисциплина» бағаны бос",
                "7-жол: «Группа» бағаны бос",
            ],
            "файлда мына бағандар болуы керек: топ, пән, кредиттер",
        ),
    ],
)
async def test_courses_import_refuses_unknown_terms_and_missing_credits(
    demo: Runtime, harness: Harness, locale: str, shown_errors: list[str], no_columns: str
) -> None:
    await as_locale(demo, METHODIST, locale)
    methodist = await harness.seat_for(METHODIST)
    courses_before = await count(demo, Course)
    async with demo.sessions() as session:
        term = await session.scalar(select(Course.term_id).where(Course.discipline == "Веб-программирование"))
    data = xlsx(
        [
            (
                "C",
                ["Группа", "Дисциплина", "Кредиты", "Семестр"],
                [
                    ["ИС-22", "Физика", "5", "Весенний 2027"],
                    ["ИС-22", "Химия", "", ""],
                    ["ИС-22", "Биология", "0", ""],
                    ["ИС-22", "Астрономия", "400", ""],
                    ["ИС-22", "", "3", ""],
                    ["", "История", "3", ""],
                ],
            )
        ]
    )
    shown = await upload(harness, methodist, "courses", "courses.xlsx", data)
    for line in shown_errors:
        assert line in shown
    assert "«name»" not in shown and "«discipline»" not in shown and "«group»" not in shown
    assert await count(demo, Course) == courses_before

    only_group = xlsx([("C", ["Группа"], [["ИС-22"]])])
    assert no_columns in texts(await harness.say(methodist, files=[("courses.xlsx", only_group)]))

    async with demo.sessions() as session:
        term_after = await session.scalar(
            select(Course.term_id).where(Course.discipline == "Веб-программирование")
        )
    assert term_after == term


def timetable(day: dt.date, mode: str, *extra: list[str], link: str = "https://meet.example/b") -> bytes:
    rows = [
        ["ИС-22", "Веб-программирование", day.isoformat(), "09:00", "10:30", mode, "101", ""],
        ["ИС-22", "Веб-программирование", day.isoformat(), "11:00", "12:30", "online", "", link],
        *extra,
    ]
    header = ["группа", "дисциплина", "дата", "начало", "конец", "режим", "кабинет", "ссылка"]
    return xlsx([("T", header, rows)])


@pytest.mark.parametrize(
    ("locale", "first", "again"),
    [
        (
            "ru",
            "Импортировано: 2 новых занятия, 0 занятий уже было в расписании.",
            "Импортировано: 0 новых занятий, 2 занятия уже были в расписании.",
        ),
        (
            "kk",
            "Импортталды: 2 жаңа сабақ, 0 сабақ кестеде бұрыннан бар.",
            "Импортталды: 0 жаңа сабақ, 2 сабақ кестеде бұрыннан бар.",
        ),
    ],
)
async def test_the_same_timetable_sent_again_adds_nothing_and_tells_no_one(
    demo: Runtime, harness: Harness, locale: str, first: str, again: str
) -> None:
    await as_locale(demo, METHODIST, locale)
    methodist = await harness.seat_for(METHODIST)
    student = await harness.seat_for(STUDENT_RU)
    await harness.received(student)
    day = dt.date(2026, 12, 1)
    before = await count(demo, Lesson)

    assert first in await upload(harness, methodist, "timetable", "t.xlsx", timetable(day, "оффлайн"))
    assert await count(demo, Lesson) == before + 2
    assert "обновлено: 2 занятия" in texts(await harness.received(student))

    assert again in await upload(harness, methodist, "timetable", "t.xlsx", timetable(day, "оффлайн"))
    assert await count(demo, Lesson) == before + 2
    assert await harness.received(student) == []

    # one lesson more in the file: only it is added and announced
    extra = ["ИС-22", "Веб-программирование", "2026-12-02", "09:00", "10:30", "очно", "", ""]
    await upload(harness, methodist, "timetable", "t.xlsx", timetable(day, "оффлайн", extra))
    assert await count(demo, Lesson) == before + 3
    assert "обновлено: 1 занятие" in texts(await harness.received(student))


@pytest.mark.parametrize("word", ["оффлайн", "Офлайн", "offline", "очно", "аудитория", "бетпе-бет"])
async def test_offline_mode_words(demo: Runtime, harness: Harness, word: str) -> None:
    methodist = await harness.seat_for(METHODIST)
    day = dt.date(2026, 12, 3)
    await upload(harness, methodist, "timetable", "t.xlsx", timetable(day, word))
    async with demo.sessions() as session:
        modes = list(
            await session.scalars(
                select(Lesson.mode)
                .join(Course)
                .where(Course.discipline == "Веб-программирование", Lesson.room == "101")
            )
        )
    assert modes == [LessonMode.offline]


@pytest.mark.parametrize(
    ("locale", "refusal"),
    [("ru", "Строка 2: режим «зум» неизвестен"), ("kk", "2-жол: «зум» режимі белгісіз")],
)
async def test_an_unknown_mode_word_is_refused_with_its_line(
    demo: Runtime, harness: Harness, locale: str, refusal: str
) -> None:
    await as_locale(demo, METHODIST, locale)
    methodist = await harness.seat_for(METHODIST)
    before = await count(demo, Lesson)
    shown = await upload(harness, methodist, "timetable", "t.xlsx", timetable(dt.date(2026, 12, 4), "зум"))
    assert refusal in shown
    assert await count(demo, Lesson) == before


@pytest.mark.parametrize(
    ("locale", "refusal"),
    [
        ("ru", "Строка 3: для онлайн-занятия нужна ссылка (https://...), а не «»"),
        ("kk", "3-жол: онлайн сабаққа сілтеме керек (https://...), «» емес"),
    ],
)
async def test_an_online_lesson_without_a_link_is_refused(
    demo: Runtime, harness: Harness, locale: str, refusal: str
) -> None:
    """002 items 12-13: an online lesson is joined by its link, so an imported one without a link (or with
    something that is no link) is refused with its line, and nothing of the file is added."""
    await as_locale(demo, METHODIST, locale)
    methodist = await harness.seat_for(METHODIST)
    before = await count(demo, Lesson)
    shown = await upload(
        harness, methodist, "timetable", "t.xlsx", timetable(dt.date(2026, 12, 4), "офлайн", link="")
    )
    assert refusal in shown
    shown = await upload(
        harness, methodist, "timetable", "t.xlsx", timetable(dt.date(2026, 12, 4), "офлайн", link="zoom")
    )
    assert "«zoom»" in shown
    assert await count(demo, Lesson) == before
