"""The roster import: good rows all in with invites, one bad row and nothing in, errors by line."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from bot.runtime import Runtime
from bot.services.tables import xlsx
from db.models import AuditRecord, Group, Invite, ParentLink, Person
from tests.harness import Harness, texts
from tests.staff.helpers import files_of, pdf_text, xlsx_rows

HEAD = "Ерлан Маратұлы Жұмабаев"
HEADER = ["Роль", "ФИО", "Группа", "Язык", "Телефон", "ИИН", "Дата рождения", "Ребёнок"]
GOOD = [
    [
        "обучающийся",
        "Ислам Бекұлы Сәрсенов",
        "ПО-23",
        "kk",
        "8 701 123 45 67",
        "080531500123",
        "31.05.2008",
        "",
    ],
    ["student", "Мария Ивановна Ким", "ИС-22", "ru", "", "", "", ""],
    ["ата-ана", "Бек Сәрсенұлы Сәрсенов", "", "kk", "+77011112233", "", "", "Ислам Бекұлы Сәрсенов"],
    ["родитель", "Иван Петрович Ким", "", "ru", "", "", "", "Мария Ивановна Ким; Анна Сергеевна Петрова"],
    ["педагог", "Гүлжан Асанқызы Төлеуова", "", "kk", "", "", "", ""],
]


async def count(runtime: Runtime, model: type) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def send_roster(harness: Harness, seat, data: bytes, name: str = "roster.xlsx"):  # type: ignore[no-untyped-def]
    await harness.say(seat, button="simp")
    await harness.say(seat, button="simpk:roster")
    return await harness.say(seat, files=[(name, data)])


async def test_good_roster_is_imported_with_invites(demo: Runtime, harness: Harness) -> None:
    head = await harness.seat_for(HEAD)
    people_before = await count(demo, Person)
    replies = await send_roster(harness, head, xlsx([("Roster", HEADER, GOOD)]))
    text = texts(replies)
    assert "Тізім импортталды: 5 жаңа адам" in text and "ПО-23" in text
    files = await files_of(demo, replies)
    (xlsx_name, table), (pdf_name, printable) = files
    rows = xlsx_rows(table)
    assert rows[0][:4] == ["Аты-жөні", "Рөлі", "Топ", "Шақыру коды"]
    assert len(rows) == 6 and all(len(r[3]) == 8 for r in rows[1:])
    assert "Ислам Бекұлы Сәрсенов" in pdf_text(printable)
    assert await count(demo, Person) == people_before + 5
    async with demo.sessions() as session:
        islam = await session.scalar(select(Person).where(Person.full_name == "Ислам Бекұлы Сәрсенов"))
        assert islam is not None and islam.phone == "+77011234567" and islam.iin == "080531500123"
        anna = await session.scalar(select(Person).where(Person.full_name == "Анна Сергеевна Петрова"))
        ivan = await session.scalar(select(Person).where(Person.full_name == "Иван Петрович Ким"))
        assert anna is not None and ivan is not None
        links = set(await session.scalars(select(ParentLink.child_id).where(ParentLink.parent_id == ivan.id)))
        assert anna.id in links and len(links) == 2
        assert await session.scalar(select(Group).where(Group.name == "ПО-23")) is not None
        assert await session.scalar(select(func.count()).select_from(AuditRecord)) == 5

    # The invite joins the person.
    code = rows[1][3]
    visitor = await harness.seat(None)
    assert "Ислам Бекұлы Сәрсенов" in texts(await harness.say(visitor, str(code)))

    # Importing the same file again creates nobody twice.
    replies = await send_roster(harness, head, xlsx([("Roster", HEADER, GOOD)]))
    assert "0 жаңа адам, 5 бұрыннан бар" in texts(replies)
    assert await count(demo, Person) == people_before + 5


async def test_bad_rows_are_reported_by_line_and_nothing_is_imported(demo: Runtime, harness: Harness) -> None:
    async with demo.sessions() as session, session.begin():
        head_person = await session.scalar(select(Person).where(Person.full_name == HEAD))
        assert head_person is not None
        head_person.locale = "ru"
    head = await harness.seat_for(HEAD)
    bad = GOOD + [
        ["волшебник", "Гарри Поттер", "", "", "", "", "", ""],
        ["обучающийся", "Без Группы", "", "", "12345", "", "", ""],
        ["родитель", "Некто Неизвестный", "", "", "", "", "", "Нет Такого Ребёнка"],
        ["обучающийся", "Мария Ивановна Ким", "ИС-22", "", "", "", "", ""],
    ]
    people_before, invites_before = await count(demo, Person), await count(demo, Invite)
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([HEADER, *bad])
    replies = await send_roster(harness, head, out.getvalue().encode(), "roster.csv")
    text = texts(replies)
    assert "Ничего не импортировано: 5 ошибок." in text
    assert "Строка 7: роль «волшебник» неизвестна" in text
    assert "Строка 8: у обучающегося должна быть указана группа" in text
    assert "Строка 8: телефон «12345» — не казахстанский номер" in text
    assert "Строка 9: ребёнка «Нет Такого Ребёнка» нет" in text
    assert "Строка 10: этот человек уже есть в строке 3" in text
    assert await count(demo, Person) == people_before and await count(demo, Invite) == invites_before

    # The dialog still waits for the corrected file.
    replies = await harness.say(head, files=[("roster.xlsx", xlsx([("Roster", HEADER, GOOD)]))])
    assert "Список импортирован: новых людей — 5" in texts(replies)


async def test_a_file_that_is_no_table_is_explained(demo: Runtime, harness: Harness) -> None:
    head = await harness.seat_for(HEAD)
    replies = await send_roster(harness, head, b"\x89PNG\r\n\x1a\n" + b"0" * 100, "photo.png")
    assert "XLSX те, CSV кестесі де емес" in texts(replies)
