"""An announcement to 30 people or more is previewed with its count before it goes; a smaller one goes at
once (002 item 26-1: teachers inform students and parents; a broadcast to many is not sent by a slip)."""

from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import func, select

from bot.runtime import Runtime
from db.models import Announcement, Group, OutboxMessage, Person, PersonRole, Role
from tests.harness import Harness, texts

WORDS = {
    "kk": {
        "menu": "Хабарландыру",
        "both": "Білім алушылар мен ата-аналар",
        "preview": "Алдын ала қарау — бұл 35 адамға барады:",
        "send": "Жіберу",
        "cancel": "Бас тарту",
        "not_sent": "Хабарландыру жіберілмеді",
        "sent": "Хабарландыру жіберілді",
    },
    "ru": {
        "menu": "Объявление",
        "both": "Обучающиеся и родители",
        "preview": "Предпросмотр — это получат 35 человек:",
        "send": "Отправить",
        "cancel": "Отмена",
        "not_sent": "Объявление не отправлено",
        "sent": "Объявление отправлено",
    },
}


async def _announcements(demo: Runtime) -> int:
    async with demo.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Announcement)) or 0)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_announcement_to_thirty_people_is_previewed(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness, lang: str
) -> None:
    """002 item 26-1: an announcement to 30+ people shows its count and text and waits for «Send»."""
    words = WORDS[lang]
    async with demo.sessions() as session, session.begin():
        teacher = await session.scalar(select(Person).where(Person.full_name == "Айгүл Сейітқызы Нұрланова"))
        group = await session.scalar(select(Group).where(Group.name == "ПО-21"))
        assert teacher is not None and group is not None
        teacher.locale = lang
        students = int(
            await session.scalar(
                select(func.count()).where(PersonRole.group_id == group.id, PersonRole.role == Role.student)
            )
            or 0
        )
        parents = 4  # the demo links four of the group's students to a parent
        for n in range(35 - students - parents):
            extra = Person(organization_id=teacher.organization_id, full_name=f"Оқушы {n}", locale="kk")
            extra.roles.append(PersonRole(role=Role.student, group_id=group.id))
            session.add(extra)
    seat = await harness.seat_for("Айгүл Сейітқызы Нұрланова")
    replies = await harness.tap(seat, words["menu"], "ПО-21", words["both"])
    replies = await harness.say(seat, "Ертең сабақ болмайды / Завтра занятий не будет.")
    assert words["preview"] in texts(replies) and "Завтра занятий не будет" in texts(replies)
    assert await _announcements(demo) == 0
    replies = await harness.tap(seat, words["cancel"], on=replies)
    assert words["not_sent"] in texts(replies) and await _announcements(demo) == 0

    replies = await harness.tap(seat, words["menu"], "ПО-21", words["both"])
    replies = await harness.say(seat, "Ертең сабақ болмайды / Завтра занятий не будет.")
    replies = await harness.tap(seat, words["send"], on=replies)
    assert words["sent"] in texts(replies) and await _announcements(demo) == 1
    async with demo.sessions() as session:
        queued = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "announcement")
        )
    assert queued == 35
