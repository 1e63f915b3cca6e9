"""Each staff role does only what the rules give it; a student or parent is refused every staff action."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from bot.services.people import permissions
from bot.services.people.permissions import Action, NotAllowed
from db.models import Person, PersonRole, Role
from tests.harness import Harness, texts

# The raw payloads of staff buttons, pressed by people no screen shows them to: a forged or foreign payload
# is the point of the tests below, so they are sent as codes, not pressed by label.
STAFF_BUTTONS = [
    "sapq",
    "sap:1",
    "sok:1",
    "sref:1",
    "sask:1",
    "splan:1",
    "simp",
    "simpk:roster",
    "sreg",
    "sregx",
    "sord",
    "srep",
    "saud",
    "scert",
]
REFUSED = {
    "kk": "Бұл әрекет сіздің рөліңізге қолжетімді емес.",
    "ru": "Это действие недоступно в вашей роли.",
}


@pytest.mark.parametrize(
    ("name", "locale"),
    [
        ("Анна Сергеевна Петрова", "ru"),
        ("Айдана Серікқызы Бекова", "kk"),
        ("Гүлнара Қанатқызы Ахметова", "kk"),
    ],
)
async def test_a_student_or_parent_is_refused_every_staff_action(
    demo: Runtime, harness: Harness, name: str, locale: str
) -> None:
    seat = await harness.seat_for(name)
    for payload in STAFF_BUTTONS:
        assert REFUSED[locale] in texts(await harness.say(seat, button=payload)), payload


async def test_each_staff_role_is_held_to_its_duties(demo: Runtime, harness: Harness) -> None:
    methodist = await harness.seat_for("Салтанат Әбенқызы Исмаилова")
    head = await harness.seat_for("Ерлан Маратұлы Жұмабаев")
    async with demo.sessions() as session, session.begin():
        admin = Person(
            organization_id=(await session.scalar(select(Person.organization_id))),
            full_name="Админ Админов",
            locale="ru",
            active_role=Role.admin,
        )
        admin.roles.append(PersonRole(role=Role.admin))
        session.add(admin)
    admin_seat = await harness.seat_for("Админ Админов")

    # Only the head signs orders: the buttons of his screens, forged by others (no screen shows them theirs).
    for seat in (methodist, admin_seat):
        assert "недоступ" in texts(await harness.say(seat, button="sok:1")) or "қолжетімді емес" in texts(
            await harness.say(seat, button="sok:1")
        )
        assert "қолжетімді емес" in texts(await harness.say(seat, button="sord")) or "недоступ" in texts(
            await harness.say(seat, button="sord")
        )
    # A methodist edits the timetable; the head and the admin do not.
    menu = await harness.tap(methodist, "Файлдан импорттау")
    kinds = [b.payload for row in menu[-1].buttons for b in row]
    assert "simpk:timetable" in kinds and "simpk:roster" not in kinds
    menu = await harness.tap(head, "Файлдан импорттау")
    kinds = [b.payload for row in menu[-1].buttons for b in row]
    assert "simpk:roster" in kinds and "simpk:timetable" not in kinds
    # Forged: the import of a timetable, the reports and the queue that no screen of theirs shows.
    assert "қолжетімді емес" in texts(await harness.say(head, button="simpk:timetable"))
    assert "недоступно" in texts(await harness.say(admin_seat, button="simpk:timetable"))
    # The admin keeps people but does not read reports or decide applications.
    assert "недоступно" in texts(await harness.say(admin_seat, button="srep"))
    assert "недоступно" in texts(await harness.say(admin_seat, button="sapq"))
    assert "Журнал аудита" in " ".join(
        b.label for row in (await harness.say(admin_seat, "/menu"))[-1].buttons for b in row
    )
    # A methodist may not refuse an application (her card shows no «Refuse»: the payload is forged).
    assert "қолжетімді емес" in texts(await harness.say(methodist, button="sref:1"))


async def test_a_teacher_sees_only_their_own_courses(demo: Runtime, harness: Harness) -> None:
    teacher = await harness.seat_for("Айгүл Сейітқызы Нұрланова")
    replies = await harness.tap(teacher, "Менің курстарым бойынша есеп")
    assert "Python негіздері" in texts(replies)
    assert "Деректер қоры" not in texts(replies) and "Веб-программирование" not in texts(replies)
    # The staff's reports and audit trail, forged: no screen of a teacher shows them.
    assert "қолжетімді емес" in texts(await harness.say(teacher, button="srep"))
    assert "қолжетімді емес" in texts(await harness.say(teacher, button="saud"))


def test_services_check_the_same_rules() -> None:
    with pytest.raises(NotAllowed):
        permissions.require([Role.methodist, Role.deputy], Action.sign_orders)
    permissions.require([Role.head], Action.sign_orders)
    assert not permissions.may([Role.teacher, Role.student, Role.parent], Action.read_audit)
    assert all(not permissions.may([Role.student], action) for action in Action)


# Forged set-up payloads (no screen of a student or a teacher shows them), sent as codes on purpose.
SETUP_BUTTONS = [
    "sset",
    "sprog",
    "sgrp",
    "scrs",
    "sced",
    "slsn",
    "schg",
    "sterm",
    "sevt",
    "sinv",
    "simpk:calendar",
]


@pytest.mark.parametrize(
    ("name", "locale"),
    [
        ("Анна Сергеевна Петрова", "ru"),  # a student
        ("Айдана Серікқызы Бекова", "kk"),  # a student
        ("Айгүл Сейітқызы Нұрланова", "kk"),  # a teacher
        ("Сергей Викторович Ким", "ru"),  # a teacher
    ],
)
async def test_students_and_teachers_are_refused_every_setup_action(
    demo: Runtime, harness: Harness, name: str, locale: str
) -> None:
    seat = await harness.seat_for(name)
    for payload in SETUP_BUTTONS:
        assert REFUSED[locale] in texts(await harness.say(seat, button=payload)), payload
    menu = await harness.say(seat, "/menu")
    shown = [b.payload for row in menu[-1].buttons for b in row]
    assert "cal" in shown and "sset" not in shown


async def test_setup_duties_follow_the_table(demo: Runtime, harness: Harness) -> None:
    methodist = await harness.seat_for("Салтанат Әбенқызы Исмаилова")
    head = await harness.seat_for("Ерлан Маратұлы Жұмабаев")
    # The methodist sets up and keeps the timetable and the calendar, but invites are for who imports.
    menu = await harness.tap(methodist, "Ұйымды баптау")
    offered = [b.payload for row in menu[-1].buttons for b in row]
    assert {"sprog", "sgrp", "scrs", "slsn", "schg", "sterm", "sevt"} <= set(offered)
    assert REFUSED["kk"] in texts(await harness.say(methodist, button="sinv"))  # forged: not on her screens
    # The head sends invites but neither composes the timetable nor the calendar (forged payloads).
    for payload in ("sset", "sprog", "sced", "slsn", "schg", "sevt"):
        assert REFUSED["kk"] in texts(await harness.say(head, button=payload)), payload
    replies = await harness.tap(head, "Файлдан импорттау", "Шақыруларды жіберу")
    assert "WhatsApp Ustaz-ға қосылмаған" in texts(replies)
    assert not permissions.may([Role.admin], Action.edit_timetable)
    assert permissions.may([Role.admin], Action.setup) and permissions.may([Role.admin], Action.send_invites)
