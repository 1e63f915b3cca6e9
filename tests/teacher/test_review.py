"""Reviewing from chat: the queue oldest first, grading, drafts released together, a grade change
kept in the audit trail, returning for revision, an extension, and every file as one ZIP."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import time_machine
from sqlalchemy import select

from bot.runtime import Runtime
from bot.services.admin import audit
from db.base import utcnow
from db.models import (
    Assignment,
    AuditRecord,
    Extension,
    Grade,
    GradeChange,
    Person,
    Submission,
    SubmissionFile,
    SubmissionStatus,
    SubmissionVersion,
)
from tests.harness import Harness, labels, texts
from tests.teacher.conftest import PDF


async def ids(runtime: Runtime, title: str, student: str) -> tuple[int, int, int | None]:
    """(assignment id, student id, submission id) from the demo school."""
    async with runtime.sessions() as session:
        assignment_id = await session.scalar(select(Assignment.id).where(Assignment.title == title))
        student_id = await session.scalar(select(Person.id).where(Person.full_name == student))
        submission_id = await session.scalar(
            select(Submission.id).where(
                Submission.assignment_id == assignment_id, Submission.student_id == student_id
            )
        )
    assert assignment_id is not None and student_id is not None
    return assignment_id, student_id, submission_id


async def hand_in(runtime: Runtime, title: str, student: str, name: str, data: bytes) -> int:
    """What the student side does when work arrives: a submission with a file in the store."""
    assignment_id, student_id, _ = await ids(runtime, title, student)
    async with runtime.sessions() as session, session.begin():
        stored = await runtime.files.save(session, data, name, uploaded_by_id=student_id)
        submission = Submission(
            number=f"T-{assignment_id}-{student_id}",
            assignment_id=assignment_id,
            student_id=student_id,
            status=SubmissionStatus.submitted,
            submitted_at=utcnow(),
        )
        version = SubmissionVersion(number=1, text="Дайын", submitted_at=utcnow())
        version.files.append(SubmissionFile(file_name_id=stored.id))
        submission.versions.append(version)
        session.add(submission)
        await session.flush()
        return submission.id


async def test_queue_grade_draft_release_and_a_change_with_its_reason(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for("Айгүл Сейітқызы Нұрланова")
    on_time = await harness.seat_for("Жансая Болатқызы Омарова")
    her_parent = await harness.seat_for("Болат Омарұлы Омаров")
    late_one = await harness.seat_for("Ерасыл Нұрланұлы Тоқтаров")

    replies = await harness.say(teacher, "/menu")
    replies = await harness.press(teacher, replies[-1], "Тексерілетін жұмыстар")
    assert "2 жұмыс бағалауды күтуде" in texts(replies)
    queue = labels(replies[-1])
    assert queue[0].startswith("Омарова Ж. Б. · Циклдер: 5 есеп") and "кешікті" not in queue[0]
    assert queue[1].startswith("Тоқтаров Е. Н.") and queue[1].endswith("кешікті")

    replies = await harness.press(teacher, replies[-1], "Омарова Ж. Б.")
    assert "«Циклдер: 5 есеп» жұмысы, орындаған: Жансая Болатқызы Омарова" in texts(replies)
    replies = await harness.press(teacher, replies[-1], "Бағалау")
    assert "Балл сан болуы керек" in texts(await harness.say(teacher, "жақсы"))
    assert "0-ден 100-ге дейін" in texts(await harness.say(teacher, "120"))
    await harness.say(teacher, "88,5")
    replies = await harness.say(teacher, "Жақсы, бірақ 5-есепті тексеріңіз")
    replies = await harness.press(teacher, replies[-1], "Қазір жариялау")
    assert "Бағаланды: 100 балдан 88,5" in texts(replies)
    got = texts(await harness.received(on_time))
    assert "бағаланды: 100 балдан 88,5" in got and "5-есепті тексеріңіз" in got
    assert "88,5" in texts(await harness.received(her_parent))

    replies = await harness.press(teacher, replies[-1], "Келесі жұмыс")
    assert "1 жұмыс бағалауды күтуде" in texts(replies)
    replies = await harness.press(teacher, replies[-1], "Тоқтаров")
    await harness.press(teacher, replies[-1], "Бағалау")
    replies = await harness.say(teacher, "70")
    replies = await harness.tap(teacher, "Пікірсіз", "Жоба ретінде сақтау", on=replies)
    assert "Жоба ретінде сақталды: 70" in texts(replies)
    assert await harness.received(late_one) == []  # a draft is not told

    replies = await harness.press(teacher, replies[-1], "Тапсырманы ашу")
    assert "Әлі жарияланбаған жоба бағалар: 1" in texts(replies)
    replies = await harness.press(teacher, replies[-1], "Жоба бағаларды жариялау")
    assert "1 баға жарияланды" in texts(replies)
    assert "100 балдан 70" in texts(await harness.received(late_one))

    # Айдана's work was graded 95 before: a change needs a reason and leaves a trace.
    assignment_id, student_id, submission_id = await ids(demo, "Циклдер: 5 есеп", "Айдана Серікқызы Бекова")
    # Graded work left the review queue; the assignment's card finds it again.
    replies = await harness.tap(teacher, "Менің тапсырмаларым", "Циклдер: 5 есеп", "Бағаланған жұмыстар")
    replies = await harness.press(
        teacher, replies[-1], "Айдана Серікқызы Бекова · Циклдер: 5 есеп · 100 балдан 95"
    )
    assert "Баға: 100 балдан 95 (жарияланды)" in texts(replies)
    replies = await harness.press(teacher, replies[-1], "Бағаны өзгерту")
    replies = await harness.say(teacher, "90")
    assert "Неге өзгертесіз" in texts(replies)
    assert "себебін көрсетіп" in texts(await harness.say(teacher, " "))
    replies = await harness.say(teacher, "5-есеп қате шығарылған")
    assert "Баға 90 болып өзгертілді" in texts(replies)

    async with demo.sessions() as session:
        grade = await session.scalar(
            select(Grade).where(Grade.assignment_id == assignment_id, Grade.student_id == student_id)
        )
        assert grade is not None and grade.score == Decimal(90)
        change = await session.scalar(select(GradeChange).where(GradeChange.grade_id == grade.id))
        assert change is not None and change.old_score == Decimal(95) and change.new_score == Decimal(90)
        assert change.reason == "5-есеп қате шығарылған" and change.changed_by_id == teacher.person_id
        record = await session.scalar(
            select(AuditRecord).where(
                AuditRecord.entity == "grade",
                AuditRecord.entity_id == str(grade.id),
                AuditRecord.action == "update",
            )
        )
        assert record is not None and record.actor_id == teacher.person_id
        assert record.before == {"score": "95"} and record.after == {"score": "90", "reason": change.reason}
        assert (await audit.verify(session)).ok


async def test_return_extension_and_zip_in_russian(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    teacher = await harness.seat_for("Сергей Викторович Ким")
    kamila = await harness.seat_for("Камила Тимуровна Садыкова")
    anna = await harness.seat_for("Анна Сергеевна Петрова")

    _, _, submission_id = await ids(demo, "Вёрстка страницы", "Камила Тимуровна Садыкова")
    replies = await harness.tap(teacher, "Работы на проверку", "Садыкова К. Т.", "Вернуть на доработку")
    assert "Что обучающемуся нужно исправить" in texts(replies)
    assert "Напишите комментарий" in texts(await harness.say(teacher, "  "))
    replies = await harness.say(teacher, "Добавьте адаптивную вёрстку")
    assert "возвращена на доработку" in texts(replies)
    assert "Добавьте адаптивную вёрстку" in texts(await harness.received(kamila))
    async with demo.sessions() as session:
        assert (await session.get(Submission, submission_id)).status == SubmissionStatus.returned  # type: ignore[union-attr]

    assignment_id, anna_id, _ = await ids(demo, "Рубежный контроль 1", "Анна Сергеевна Петрова")
    replies = await harness.tap(teacher, "Мои задания", "Рубежный контроль 1", "Продление срока")
    replies = await harness.press(teacher, replies[-1], "Анна Сергеевна Петрова")
    assert "уже прошло" in texts(await harness.say(teacher, "20.11 18:00"))
    replies = await harness.say(teacher, "30.11 18:00")
    assert "Срок продлён до 30 ноября, 18:00" in texts(replies)
    assert "продлён до 30 ноября, 18:00" in texts(await harness.received(anna))
    async with demo.sessions() as session:
        assert await session.scalar(select(Extension).where(Extension.student_id == anna_id)) is not None

    await hand_in(demo, "Рубежный контроль 1", "Анна Сергеевна Петрова", "otvety.pdf", PDF)
    await hand_in(demo, "Рубежный контроль 1", "Дмитрий Олегович Ли", "otvety.pdf", PDF + b"%li")
    replies = await harness.tap(teacher, "Мои задания", "Рубежный контроль 1", "Все файлы одним ZIP")
    assert "Все сданные работы" in texts(replies) and len(replies[-1].files) == 1
    async with demo.sessions() as session:
        archive = await demo.files.load(session, replies[-1].files[0].file_name_id)
    names = sorted(zipfile.ZipFile(io.BytesIO(archive.data)).namelist())
    assert names == [
        "Анна Сергеевна Петрова/otvety.pdf",
        "Анна Сергеевна Петрова/text.txt",
        "Дмитрий Олегович Ли/otvety.pdf",
        "Дмитрий Олегович Ли/text.txt",
    ]


async def test_another_teacher_cannot_grade(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    kim = await harness.seat_for("Сергей Викторович Ким")
    _, _, submission_id = await ids(demo, "Циклдер: 5 есеп", "Жансая Болатқызы Омарова")
    # Another teacher's submission is never shown to him: these are forged payloads.
    assert "Это не ваш курс" in texts(await harness.say(kim, button=f"tgr:{submission_id}"))
    assert "Это не ваш курс" in texts(await harness.say(kim, button=f"tsub:{submission_id}"))
    replies = await harness.tap(kim, "Работы на проверку")
    assert "Жансая" not in " ".join(labels(replies[-1]))
