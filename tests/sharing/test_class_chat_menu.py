"""Who may make a class chat's code: a teacher for their own groups, the head for every group."""

from __future__ import annotations

from sqlalchemy import select

from bot.actions.common import ClassChats
from bot.runtime import Runtime
from db.models import ClassChat, Group, Role
from tests.harness import Harness, labels, texts

HEAD = "Ерлан Маратұлы Жұмабаев"
KK_TEACHER = "Айгүл Сейітқызы Нұрланова"
RU_STUDENT = "Анна Сергеевна Петрова"


async def _groups(runtime: Runtime) -> dict[str, int]:
    async with runtime.sessions() as session:
        return dict((await session.execute(select(Group.name, Group.id))).tuples().all())


async def test_the_head_links_any_group_and_a_teacher_only_their_own(demo: Runtime, harness: Harness) -> None:
    groups = await _groups(demo)
    head = await harness.seat_for(HEAD, Role.head)
    shown = await harness.tap(head, "Топтың чаты")
    assert set(groups) <= set(labels(shown[-1]))
    code_screen = await harness.tap(head, sorted(groups)[0], on=shown)
    assert "/link " in texts(code_screen) and "әлі байланыстырылған чат жоқ" in texts(code_screen)

    teacher = await harness.seat_for(KK_TEACHER, Role.teacher)
    own = await harness.tap(teacher, "Топтың чаты")
    taught = [name for name in groups if name in labels(own[-1])]
    assert len(taught) == 1
    other = next(gid for name, gid in groups.items() if name not in taught)
    before = await _codes(demo)
    refused = await harness.say(teacher, button=ClassChats(other).pack())
    assert "рөліңізге қолжетімді емес" in texts(refused)
    assert await _codes(demo) == before, "no code for a group she does not teach"


async def _codes(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return len((await session.scalars(select(ClassChat.id))).all())


async def test_a_student_has_no_class_chat_entry(demo: Runtime, harness: Harness) -> None:
    student = await harness.seat_for(RU_STUDENT, Role.student)
    menu = await harness.say(student, "/menu")
    assert "Чат группы" not in labels(menu[-1])
    assert "Календарь для телефона" in labels(menu[-1])
    refused = await harness.say(student, button=ClassChats().pack())
    assert "недоступно в вашей роли" in texts(refused)
