"""A second role for a person already known (issue 15, «each role its duties»): given in chat with
«Give a role», or by the roster import, which matches known people safely (by IIN, or by full name and
birth date) and asks when unsure, so a name-only row never silently makes a duplicate person; a roster
with a group the organization does not have asks (chat) or refuses (command line without
--create-groups)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from bot.files.tables import xlsx
from bot.runtime import Runtime
from db.models import Group, Person, PersonRole, Role
from tests.harness import Harness, labels, texts
from tests.staff.test_roster import HEADER, send_roster

HEAD = "Ерлан Маратұлы Жұмабаев"
KIM = "Сергей Викторович Ким"
ANNA = "Анна Сергеевна Петрова"


async def people_named(demo: Runtime, name: str) -> list[Person]:
    async with demo.sessions() as session:
        return list(await session.scalars(select(Person).where(Person.full_name == name)))


async def roles_of(demo: Runtime, person_id: int) -> set[Role]:
    async with demo.sessions() as session:
        return set(await session.scalars(select(PersonRole.role).where(PersonRole.person_id == person_id)))


async def test_item_26_1_the_head_gives_a_teacher_the_parent_role_in_chat(
    demo: Runtime, harness: Harness
) -> None:
    """«Give a role» in the head's chat: the teacher Ким becomes a parent too, without a second person;
    he is told in his language and switches with /role."""
    head = await harness.seat_for(HEAD)
    kim = await harness.seat_for(KIM)
    replies = await harness.tap(head, "Рөл беру")
    assert "Кімге рөл бересіз?" in texts(replies)
    replies = await harness.say(head, "Ким Сергей")
    assert "Сергей Викторович Ким рөлдері: педагог." in texts(replies)
    assert "басшының орынбасары" in labels(replies[-1])  # the head may give a deputy, too
    replies = await harness.press(head, replies[-1], "ата-ана")
    assert "енді «ата-ана» рөлінде де" in texts(replies)
    (person,) = await people_named(demo, KIM)
    assert await roles_of(demo, person.id) == {Role.teacher, Role.parent}
    assert "ещё одна роль: «родитель»" in texts(await harness.received(kim))
    # Nothing left of a role he has: the parent role is not offered again.
    await harness.tap(head, "Рөл беру")
    replies = await harness.say(head, "Ким Сергей")
    assert "ата-ана" not in labels(replies[-1]) and "педагог" not in labels(replies[-1])
    assert "тьютор" in labels(replies[-1])


async def test_item_26_1_a_tutor_role_with_its_group_given_in_chat(demo: Runtime, harness: Harness) -> None:
    """A role that needs a group (tutor) asks for it; the person then has the tutor's menu."""
    head = await harness.seat_for(HEAD)
    await harness.tap(head, "Рөл беру")
    replies = await harness.say(head, KIM)
    replies = await harness.press(head, replies[-1], "тьютор")
    replies = await harness.press(head, replies[-1], "ИС-22")
    assert "«тьютор» рөлінде де" in texts(replies)
    (person,) = await people_named(demo, KIM)
    async with demo.sessions() as session:
        group = await session.scalar(
            select(Group.name)
            .join(PersonRole, PersonRole.group_id == Group.id)
            .where(PersonRole.person_id == person.id, PersonRole.role == Role.tutor)
        )
    assert group == "ИС-22"


async def test_roster_gives_a_known_person_a_second_role_by_iin_or_birth_date(
    demo: Runtime, harness: Harness
) -> None:
    """The roster import matches a known person by IIN, or by full name and birth date, and gives them the
    row's role; two rows of one file with one IIN are one person with two roles."""
    async with demo.sessions() as session, session.begin():
        kim = await session.scalar(select(Person).where(Person.full_name == KIM))
        assert kim is not None
        kim.birth_date = dt.date(1980, 3, 14)
    head = await harness.seat_for(HEAD)
    rows = [
        ["родитель", KIM, "", "ru", "", "", "14.03.1980", ANNA],  # by name and birth date
        ["тьютор", "Айгүл Сейітқызы Нұрланова", "ИС-22", "kk", "", "870101400123", "", ""],
        ["оқытушы", "Айгүл Сейітқызы Нұрланова", "", "kk", "", "870101400123", "", ""],
    ]
    replies = await send_roster(harness, head, xlsx([("Roster", HEADER, rows)]))
    assert "Бұрыннан бар 2 адам тағы бір рөл алды" in texts(replies)
    (kim_person,) = await people_named(demo, KIM)
    assert await roles_of(demo, kim_person.id) == {Role.teacher, Role.parent}
    (aigul,) = await people_named(demo, "Айгүл Сейітқызы Нұрланова")
    assert await roles_of(demo, aigul.id) == {Role.teacher, Role.tutor}
    assert aigul.iin == "870101400123"


async def test_roster_name_only_row_never_silently_duplicates_a_known_person(
    demo: Runtime, harness: Harness
) -> None:
    """A name-only row for a known person of another role is refused with a question (add the IIN or the
    birth date) instead of making a second person; one with another birth date is someone else."""
    async with demo.sessions() as session, session.begin():
        kim = await session.scalar(select(Person).where(Person.full_name == KIM))
        assert kim is not None
        kim.birth_date = dt.date(1980, 3, 14)
    async with demo.sessions() as session:
        before = await session.scalar(select(func.count()).select_from(Person))
    head = await harness.seat_for(HEAD)
    replies = await send_roster(
        harness, head, xlsx([("Roster", HEADER, [["родитель", KIM, "", "ru", "", "", "", ANNA]])])
    )
    assert "ұйымда басқа рөлмен бар: сол адам екенін анықтау үшін ЖСН немесе туған күнін қосыңыз" in texts(
        replies
    )
    assert len(await people_named(demo, KIM)) == 1
    # Two rows of one file, the same name and two roles, nothing to tell: asked too.
    rows = [
        ["оқытушы", "Бақыт Ержанұлы Нұров", "", "kk", "", "", "", ""],
        ["ата-ана", "Бақыт Ержанұлы Нұров", "", "kk", "", "", "", ANNA],
    ]
    await harness.say(head, "/cancel")
    replies = await send_roster(harness, head, xlsx([("Roster", HEADER, rows)]))
    assert "3-жол: 2-жолда басқа рөлмен дәл осы аты-жөні бар" in texts(replies)
    # Another birth date: another person of the same name, created as such.
    await harness.say(head, "/cancel")
    other = [["родитель", KIM, "", "ru", "", "", "01.01.1975", ANNA]]
    replies = await send_roster(harness, head, xlsx([("Roster", HEADER, other)]))
    assert "1 жаңа адам" in texts(replies)
    async with demo.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == (before or 0) + 1


async def test_roster_cli_refuses_an_unknown_group_without_create_groups(
    database_url: str, tmp_path: Path, engine: object
) -> None:
    """The command line names the unknown group and the flag; with --create-groups it imports."""
    from tests.test_cli import env_for, ustaz

    env = env_for(database_url, tmp_path)
    assert (await ustaz("demo", env=env, cwd=tmp_path))[0] == 0
    path = tmp_path / "roster.xlsx"
    row = ["обучающийся", "Нұрлан Асқарұлы Жанов", "ПО-99", "kk", "", "", "", ""]
    path.write_bytes(xlsx([("Roster", HEADER, [row])]))
    code, out = await ustaz("roster", "import", str(path), "--lang", "ru", env=env, cwd=tmp_path)
    assert code == 1, out
    assert "группы «ПО-99» нет в организации" in out and "--create-groups" in out
    code, out = await ustaz("roster", "import", str(path), "--create-groups", env=env, cwd=tmp_path)
    assert code == 0, out
