"""Calendar feeds: a private, signed, revocable .ics link from the menu, read over HTTP as a phone would."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from icalendar import Calendar
from sqlalchemy import select

from bot.app import build_web
from bot.runtime import Runtime
from db.models import Assignment, Course, Group, Person, PersonRole, Role
from tests.harness import Harness, texts

KK_STUDENT = "Айдана Серікқызы Бекова"
RU_PARENT = "Ольга Викторовна Петрова"
RU_CHILD = "Анна Сергеевна Петрова"
FEED_PATH = re.compile(r"/calendar/[^\s]+\.ics")


@pytest.fixture
async def client(demo: Runtime) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    client = TestClient(TestServer(build_web(demo)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def _read(client: TestClient, path: str) -> tuple[int, bytes, dict[str, str]]:  # type: ignore[type-arg]
    async with client.get(path) as resp:
        return resp.status, await resp.read(), dict(resp.headers)


def _summaries(body: bytes) -> list[str]:
    return [str(e["SUMMARY"]) for e in Calendar.from_ical(body).walk("VEVENT")]


async def _group_titles(runtime: Runtime, student: str) -> tuple[set[str], set[str]]:
    """The assignment titles of the student's groups' courses, and those of the other groups."""
    async with runtime.sessions() as session:
        person = await session.scalar(select(Person).where(Person.full_name == student))
        assert person is not None
        groups = set(
            (
                await session.scalars(
                    select(PersonRole.group_id).where(
                        PersonRole.person_id == person.id, PersonRole.role == Role.student
                    )
                )
            ).all()
        )
        rows = (
            await session.execute(
                select(Assignment.title, Course.group_id).join(Course, Course.id == Assignment.course_id)
            )
        ).all()
    assert await _has_groups(runtime)
    return {t for t, g in rows if g in groups}, {t for t, g in rows if g not in groups}


async def _has_groups(runtime: Runtime) -> bool:
    async with runtime.sessions() as session:
        return bool((await session.scalars(select(Group.id))).first())


async def test_a_student_subscribes_and_revokes_in_kazakh(
    demo: Runtime,
    harness: Harness,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    seat = await harness.seat_for(KK_STUDENT, Role.student)
    shown = await harness.tap(seat, "Телефонға арналған күнтізбе")
    assert "Сіздің жеке күнтізбе сілтемеңіз" in texts(shown)
    found = FEED_PATH.search(texts(shown))
    assert found is not None
    status, body, headers = await _read(client, found.group())
    assert status == 200
    assert headers["Content-Type"].startswith("text/calendar")
    assert headers["Cache-Control"] == "private, no-store" and headers["X-Content-Type-Options"] == "nosniff"
    calendar = Calendar.from_ical(body)
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Asia/Almaty"]
    events = calendar.walk("VEVENT")
    assert all(
        e["DTSTART"].dt.tzinfo is not None and str(e["DTSTART"].dt.tzinfo) == "Asia/Almaty" for e in events
    )
    assert b"DTSTART;TZID=Asia/Almaty:" in body
    mine, others = await _group_titles(demo, KK_STUDENT)
    summaries = _summaries(body)
    assert any(s.startswith("Сабақ: ") for s in summaries), "the lessons of her group"
    assert {t for t in mine if any(t in s and s.startswith("Орындау мерзімі") for s in summaries)} == mine
    assert not {t for t in others - mine if any(t in s for s in summaries)}, "nothing of other groups"
    assert len({str(e["UID"]) for e in events}) == len(events)

    renewed = await harness.tap(seat, "Сілтемені жауып, жаңасын жасау", on=shown)
    assert "Жаңа сілтеме жасалды" in texts(renewed)
    new = FEED_PATH.search(texts(renewed))
    assert new is not None and new.group() != found.group()
    assert (await _read(client, found.group()))[0] == 404, "the old link no longer works"
    assert (await _read(client, new.group()))[0] == 200


async def test_a_parent_sees_the_childs_calendar_in_russian(
    demo: Runtime,
    harness: Harness,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    seat = await harness.seat_for(RU_PARENT, Role.parent)
    shown = await harness.tap(seat, "Календарь для телефона")
    assert "занятия и сроки сдачи ваших детей" in texts(shown)
    found = FEED_PATH.search(texts(shown))
    assert found is not None
    status, body, _ = await _read(client, found.group())
    assert status == 200
    summaries = _summaries(body)
    assert summaries and all(s.startswith(RU_CHILD + ": ") for s in summaries)
    assert any("Срок сдачи: " in s for s in summaries) and any("Занятие: " in s for s in summaries)


async def test_bad_tokens_are_a_404_without_a_traceback(
    demo: Runtime,
    harness: Harness,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    seat = await harness.seat_for(KK_STUDENT, Role.student)
    found = FEED_PATH.search(texts(await harness.tap(seat, "Телефонға арналған күнтізбе")))
    assert found is not None
    person, version, mac = found.group().removeprefix("/calendar/").removesuffix(".ics").split(".")
    for token in (
        f"{int(person) + 1}.{version}.{mac}",  # another person with this one's tag
        f"{person}.{int(version) + 1}.{mac}",
        f"{person}.{version}.{mac[:-1]}{'B' if mac.endswith('A') else 'A'}",  # its last character changed
        f"{person}.{version}",
        "x.y.z",
        "%D0%B6.1.2",
        "9" * 40 + ".1.abc",
    ):
        status, body, headers = await _read(client, f"/calendar/{token}.ics")
        assert status == 404, token
        assert b"Traceback" not in body
        assert headers["Cache-Control"] == "private, no-store"


async def test_a_teacher_sees_the_lessons_and_deadlines_of_their_own_courses(
    demo: Runtime,
    harness: Harness,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    seat = await harness.seat_for("Сергей Викторович Ким", Role.teacher)
    found = FEED_PATH.search(texts(await harness.tap(seat, "Календарь для телефона")))
    assert found is not None
    status, body, _ = await _read(client, found.group())
    assert status == 200
    async with demo.sessions() as session:
        rows = (
            await session.execute(
                select(Assignment.title, Person.full_name)
                .join(Course, Course.id == Assignment.course_id)
                .join(Person, Person.id == Course.teacher_id)
            )
        ).all()
    summaries = _summaries(body)
    own = {title for title, teacher in rows if teacher == "Сергей Викторович Ким"}
    others = {title for title, teacher in rows if teacher != "Сергей Викторович Ким"} - own
    assert own and all(any(t in s for s in summaries) for t in own)
    assert not any(t in s for t in others for s in summaries), "not a colleague's courses"
    assert any(s.startswith("Занятие: ") for s in summaries)
