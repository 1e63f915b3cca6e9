"""The roster import: good rows all in with invites, one bad row and nothing in, errors by line."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from bot.files.tables import xlsx
from bot.runtime import Runtime
from bot.services.people import permissions
from db.models import AuditRecord, Group, Invite, ParentLink, Person, PersonRole, Role
from tests.harness import Harness, texts
from tests.staff.helpers import files_of, pdf_text, start_import, xlsx_rows

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
    """Sends a roster; when Ustaz asks whether to create the file's new groups, says yes."""
    await start_import(harness, seat, "roster")
    replies = await harness.say(seat, files=[(name, data)])
    asked = [b.label for b in replies[-1].buttons[0]] if replies and replies[-1].buttons else []
    if asked and ("топтарын құрып" in asked[0] or "Создать группы" in asked[0]):
        replies = await harness.press(seat, replies[-1], asked[0])
    return replies


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
    # No Telegram bot is known: no link column, no link to someone else's bot, the code and how to send it.
    assert all(len(r) == 4 for r in rows) and "t.me" not in pdf_text(printable)
    assert "Шақыру кодын Алматы цифрлық колледжі ұйымының Ustaz-ына" in " ".join(pdf_text(printable).split())
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
        # The import's records: the demo school's rows were sealed by a record of their own.
        records = select(func.count()).select_from(AuditRecord).where(AuditRecord.action != "seal")
        assert await session.scalar(records) == 5

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
    assert "Ничего не импортировано: 6 ошибок." in text
    # A new group among other errors is reported, not created (issue 15: ask or refuse).
    assert "Строка 2: группы «ПО-23» нет в организации" in text
    assert "Строка 7: роль «волшебник» неизвестна" in text
    assert "Строка 8: у обучающегося должна быть указана группа" in text
    assert "Строка 8: телефон «12345» — не казахстанский номер" in text
    assert "Строка 9: ребёнка «Нет Такого Ребёнка» нет" in text
    assert "Строка 10: этот человек уже есть в строке 3" in text
    assert await count(demo, Person) == people_before and await count(demo, Invite) == invites_before

    # The dialog still waits for the corrected file; now only the new group stands: Ustaz asks.
    replies = await harness.say(head, files=[("roster.xlsx", xlsx([("Roster", HEADER, GOOD)]))])
    assert "группы «ПО-23» нет в организации" in texts(replies)
    replies = await harness.press(head, replies[-1], "Создать группы ПО-23 и импортировать")
    assert "Список импортирован: новых людей — 5" in texts(replies)


async def test_a_file_that_is_no_table_is_explained(demo: Runtime, harness: Harness) -> None:
    head = await harness.seat_for(HEAD)
    replies = await send_roster(harness, head, b"\x89PNG\r\n\x1a\n" + b"0" * 100, "photo.png")
    assert "XLSX те, CSV кестесі де емес" in texts(replies)


async def add_staff(demo: Runtime, full_name: str, role: Role, locale: str) -> None:
    async with demo.sessions() as session, session.begin():
        person = Person(
            organization_id=(await session.scalar(select(Person.organization_id))),
            full_name=full_name,
            locale=locale,
            active_role=role,
        )
        person.roles.append(PersonRole(role=role))
        session.add(person)


async def roles_of(demo: Runtime, full_name: str) -> set[Role]:
    async with demo.sessions() as session:
        return set(
            await session.scalars(
                select(PersonRole.role)
                .join(Person, Person.id == PersonRole.person_id)
                .where(Person.full_name == full_name)
            )
        )


@pytest.mark.parametrize(
    ("importer", "role", "locale", "row_role", "seen"),
    [
        (
            "Админ Второй Админов",
            Role.admin,
            "ru",
            "заместитель",
            "Строка 3: ваша роль не может давать роль «заместитель»",
        ),
        (
            "Әкімші Екінші Әкімшиев",
            Role.admin,
            "kk",
            "әдіскер",
            "3-жол: сіздің рөліңіз «әдіскер» рөлін бере алмайды",
        ),
        (
            "Орынбасар Екінші Орынбасаров",
            Role.deputy,
            "kk",
            "орынбасар",
            "3-жол: сіздің рөліңіз «орынбасар» рөлін бере алмайды",
        ),
    ],
)
async def test_nobody_imports_a_role_above_their_own(  # noqa: PLR0913
    demo: Runtime, harness: Harness, importer: str, role: Role, locale: str, row_role: str, seen: str
) -> None:
    await add_staff(demo, importer, role, locale)
    seat = await harness.seat_for(importer)
    rows = [
        ["обучающийся", "Мария Ивановна Ким", "ИС-22", "ru", "", "", "", ""],
        [row_role, importer, "", "", "", "", "", ""],  # themselves, one step up
    ]
    people_before, invites_before = await count(demo, Person), await count(demo, Invite)
    text = texts(await send_roster(harness, seat, xlsx([("Roster", HEADER, rows)])))
    assert seen in text, text
    assert "Мария Ивановна Ким" not in text  # the good row is not reported, and not imported either
    assert await count(demo, Person) == people_before and await count(demo, Invite) == invites_before
    assert await roles_of(demo, importer) == {role}


async def test_the_head_gives_staff_roles_and_the_cli_any(demo: Runtime, harness: Harness) -> None:
    head = await harness.seat_for(HEAD)
    rows = [["заместитель", "Орынбасар Жаңа Орынбасаров", "", "kk", "", "", "", ""]]
    text = texts(await send_roster(harness, head, xlsx([("Roster", HEADER, rows)])))
    assert "Тізім импортталды: 1 жаңа адам" in text
    assert await roles_of(demo, "Орынбасар Жаңа Орынбасаров") == {Role.deputy}
    assert permissions.grantable([Role.head]) >= {Role.deputy, Role.methodist, Role.admin, Role.teacher}
    assert Role.head not in permissions.grantable([Role.head])
    assert permissions.grantable([Role.admin]) == {Role.teacher, Role.tutor, Role.student, Role.parent}
    assert permissions.grantable([Role.teacher, Role.student]) == frozenset()


ANNA = "Анна Сергеевна Петрова"  # a demo student of ИС-22, with no IIN
ANNA_IIN = "070101600111"
ANNA_ROWS = [
    ["обучающийся", ANNA, "ИС-22", "ru", "", ANNA_IIN, "", ""],
    ["родитель", "Сергей Петрович Петров", "", "ru", "", "", "", ANNA_IIN],
]


async def annas(demo: Runtime) -> list[tuple[int, str | None]]:
    async with demo.sessions() as session:
        return [
            (p.id, p.iin)
            for p in await session.scalars(select(Person).where(Person.full_name == ANNA).order_by(Person.id))
        ]


@pytest.mark.parametrize("locale", ["kk", "ru"])
async def test_a_row_with_a_new_iin_is_the_person_already_there(
    demo: Runtime, harness: Harness, locale: str
) -> None:
    async with demo.sessions() as session, session.begin():
        head_person = await session.scalar(select(Person).where(Person.full_name == HEAD))
        assert head_person is not None
        head_person.locale = locale
    head = await harness.seat_for(HEAD)
    ((anna_id, iin),) = await annas(demo)
    assert iin is None
    people_before = await count(demo, Person)
    text = texts(await send_roster(harness, head, xlsx([("Roster", HEADER, ANNA_ROWS)])))
    seen = {"kk": "1 жаңа адам, 1 бұрыннан бар", "ru": "новых людей — 1, уже известных — 1"}[locale]
    assert seen in text, text
    assert await annas(demo) == [(anna_id, ANNA_IIN)]  # one Анна, her IIN filled in
    assert await count(demo, Person) == people_before + 1  # only the parent is new
    async with demo.sessions() as session:
        parent = await session.scalar(select(Person).where(Person.full_name == "Сергей Петрович Петров"))
        assert parent is not None
        children = set(
            await session.scalars(select(ParentLink.child_id).where(ParentLink.parent_id == parent.id))
        )
    assert children == {anna_id}

    # Again: the same people, nothing new.
    text = texts(await send_roster(harness, head, xlsx([("Roster", HEADER, ANNA_ROWS)])))
    assert {"kk": "0 жаңа адам, 2 бұрыннан бар", "ru": "новых людей — 0, уже известных — 2"}[locale] in text
    assert await annas(demo) == [(anna_id, ANNA_IIN)] and await count(demo, Person) == people_before + 1


@pytest.mark.parametrize("locale", ["kk", "ru"])
async def test_a_row_that_fits_several_people_is_refused(
    demo: Runtime, harness: Harness, locale: str
) -> None:
    async with demo.sessions() as session, session.begin():
        head_person = await session.scalar(select(Person).where(Person.full_name == HEAD))
        assert head_person is not None
        head_person.locale = locale
        group_id = await session.scalar(select(Group.id).where(Group.name == "ИС-22"))
        namesake = Person(organization_id=head_person.organization_id, full_name=ANNA, locale="ru")
        namesake.roles.append(PersonRole(role=Role.student, group_id=group_id))
        session.add(namesake)
    head = await harness.seat_for(HEAD)
    people_before = await count(demo, Person)
    text = texts(await send_roster(harness, head, xlsx([("Roster", HEADER, ANNA_ROWS)])))
    seen = {
        "kk": f"2-жол: «{ANNA}» ұйымда осы рөлдегі бірнеше адамға сәйкес келеді: оларды ажырату үшін ЖСН",
        "ru": f"Строка 2: «{ANNA}» подходит нескольким людям организации с этой ролью: укажите ИИН",
    }[locale]
    assert seen in text, text
    assert [iin for _id, iin in await annas(demo)] == [None, None]
    assert await count(demo, Person) == people_before


async def test_the_invite_list_has_the_telegram_link_of_this_bot(demo: Runtime, harness: Harness) -> None:
    demo.facts["telegram_username"] = "OurCollegeBot"  # learnt from Telegram at start
    head = await harness.seat_for(HEAD)
    replies = await send_roster(harness, head, xlsx([("Roster", HEADER, GOOD)]))
    (_, table), (_, printable) = await files_of(demo, replies)
    rows = xlsx_rows(table)
    assert rows[0] == ["Аты-жөні", "Рөлі", "Топ", "Шақыру коды", "Telegram сілтемесі"]
    assert all(r[4] == f"https://t.me/OurCollegeBot?start={r[3]}" for r in rows[1:])
    assert "Telegram" in pdf_text(printable)
