"""Admission to attestation has one meaning (Order 169 item 29): every control measure of the discipline
handed in, and the organization's rating threshold if it set one. The test gate, the written attestation,
the gradebook's «admitted» column and its exports all say the same."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import time_machine
from sqlalchemy import select

from bot.runtime import Runtime
from bot.services.attestation import admission
from bot.services.coursework import grading_scale as scale
from bot.services.coursework import review
from db.models import Assignment, Organization, Person, Submission, SubmissionStatus
from tests.harness import JPEG, Harness, Seat, texts


async def _post_written_attestation(harness: Harness, teacher: Seat, labels: dict[str, str]) -> str:
    """The teacher posts a written intermediate attestation by the visible labels; returns the preview."""
    await harness.tap(teacher, labels["new"], labels["course"])
    await harness.say(teacher, labels["title"])
    replies = await harness.say(teacher, labels["text"])
    replies = await harness.tap(teacher, labels["ready"], labels["when"], on=replies)
    replies = await harness.say(teacher, "100")
    replies = await harness.tap(teacher, labels["control"], labels["kind"], on=replies)
    preview = texts(replies)
    await harness.press(teacher, replies[-1], labels["publish"])
    return preview


async def test_written_attestation_is_refused_before_all_control_measures_in_russian(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    """Order 169 item 29: a written intermediate attestation is refused until every control measure is
    handed in, naming what is left; the teacher is warned when it is due before the last measure."""
    kim = await harness.seat_for("Сергей Викторович Ким")
    anna = await harness.seat_for("Анна Сергеевна Петрова")
    preview = await _post_written_attestation(
        harness,
        kim,
        {
            "new": "Новое задание",
            "course": "Веб-программирование — ИС-22",
            "title": "Письменный экзамен",
            "text": "Ответьте письменно на вопросы билета.",
            "ready": "Готово",
            "when": "Через 3 дня, 18:00",  # «Рубежный контроль 1» is due in 4 days
            "control": "промежуточная аттестация",
            "kind": "письменная работа",
            "publish": "Опубликовать",
        },
    )
    assert "аттестация назначена раньше последнего контрольного мероприятия" in preview
    assert "приказ № 169, пункт 29" in preview

    notice = await harness.received(anna)
    replies = await harness.press(anna, notice[-1], "Сдать работу")
    refused = texts(replies)
    assert "Вы пока не допущены к этой аттестации" in refused
    assert "«Рубежный контроль 1»" in refused and "Вёрстка" not in refused  # she handed that one in
    async with demo.sessions() as session:
        exam = await session.scalar(select(Assignment).where(Assignment.title == "Письменный экзамен"))
        assert exam is not None
        assert await session.scalar(select(Submission).where(Submission.assignment_id == exam.id)) is None

    # She hands in the boundary control through chat; now the attestation takes her work.
    async with demo.sessions() as session:
        boundary = await session.scalar(select(Assignment).where(Assignment.title == "Рубежный контроль 1"))
        assert boundary is not None
    await harness.say(anna, button=f"sub:{boundary.id}")
    replies = await harness.say(anna, "Ответы на рубежный контроль.")
    replies = await harness.press(anna, replies[-1], "Подтвердить и сдать")
    assert "Работа сдана" in texts(replies)
    replies = await harness.say(anna, button=f"sub:{exam.id}")
    assert "Сдача: «Письменный экзамен»" in texts(replies)
    # A written attestation also waits for her ID photo (item 16) before it takes the work.
    assert "Фото получено" in texts(await harness.say(anna, files=[("me.jpg", JPEG)]))
    replies = await harness.say(anna, "Мои ответы на билет.")
    assert "Работа сдана" in texts(await harness.press(anna, replies[-1], "Подтвердить и сдать"))
    async with demo.sessions() as session:
        handed = await session.scalar(select(Submission).where(Submission.assignment_id == exam.id))
        assert handed is not None and handed.status == SubmissionStatus.submitted


async def test_the_gradebook_and_the_organizations_threshold_say_the_same_in_kazakh(
    clock: time_machine.Coordinates, demo: Runtime, harness: Harness
) -> None:
    """Order 169 item 29: the gradebook's «admitted» is «every control measure handed in», not «rating
    >= 50»; an organization's own threshold (grading.admission_threshold) is added on top, and the
    written attestation refuses with the rating and the threshold in the student's language."""
    teacher = await harness.seat_for("Айгүл Сейітқызы Нұрланова")
    aidana = await harness.seat_for("Айдана Серікқызы Бекова")
    await _post_written_attestation(
        harness,
        teacher,
        {
            "new": "Жаңа тапсырма",
            "course": "Python негіздері — ПО-21",
            "title": "Жазбаша емтихан",
            "text": "Билет сұрақтарына жазбаша жауап беріңіз.",
            "ready": "Дайын",
            "when": "Бір аптадан кейін, 18:00",  # after every measure: no warning
            "control": "аралық аттестаттау",
            "kind": "жазбаша жұмыс",
            "publish": "Жариялау",
        },
    )
    notice = await harness.received(aidana)
    refused = texts(await harness.press(aidana, notice[-1], "Жұмысты тапсыру"))
    assert "Сіз әлі бұл аттестаттауға жіберілмедіңіз" in refused
    assert "«Функциялар: зертханалық жұмыс»" in refused

    # The gradebook's column says the same: 95 % but the lab work is not handed in, so not admitted.
    replies = await harness.tap(teacher, "Бағалар журналы", "Python негіздері — ПО-21", "XLSX")
    async with demo.sessions() as session:
        data = (await demo.files.load(session, replies[-1].files[0].file_name_id)).data
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = {r[1]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["Айдана Серікқызы Бекова"][-1] == "жоқ"

    # She hands in the lab work and it is graded 50; the organization admits from 80 %.
    async with demo.sessions() as session, session.begin():
        lab = await session.scalar(
            select(Assignment).where(Assignment.title == "Функциялар: зертханалық жұмыс")
        )
        org = await session.scalar(select(Organization))
        person = await session.scalar(select(Person).where(Person.full_name == "Айдана Серікқызы Бекова"))
        assert lab is not None and org is not None and person is not None
        await review.put_grade(session, lab.created_by_id, lab, person.id, Decimal(50), None)
        org.settings = {**(org.settings or {}), "grading": {"admission_threshold": 80}}
    await harness.settle()
    await harness.received(aidana)
    refused = texts(await harness.press(aidana, notice[-1], "Жұмысты тапсыру"))
    assert "жіберу рейтингіңіз — 72,5%, ұйымның жіберу шегі — 80%" in refused

    async with demo.sessions() as session, session.begin():
        org = await session.scalar(select(Organization))
        assert org is not None
        org.settings = {**(org.settings or {}), "grading": {}}
    replies = await harness.tap(teacher, "Бағалар журналы", "Python негіздері — ПО-21", "XLSX")
    async with demo.sessions() as session:
        data = (await demo.files.load(session, replies[-1].files[0].file_name_id)).data
    rows = {
        r[1]: r
        for r in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2, values_only=True)
    }
    assert rows["Айдана Серікқызы Бекова"][-1] == "иә"
    assert "Тапсыру: «Жазбаша емтихан»" in texts(await harness.press(aidana, notice[-1], "Жұмысты тапсыру"))


def test_decide_is_the_one_rule() -> None:
    """Order 169 item 29: missing measures refuse whatever the rating; the threshold is only on top."""
    none = scale.GradingSettings.of({})
    own = scale.GradingSettings.of({"grading": {"admission_threshold": 60}})
    assert admission.decide([], None, none)
    assert not admission.decide(["Рубежный контроль 1"], Decimal(100), none)
    assert not admission.decide([], Decimal("59.99"), own) and admission.decide([], Decimal(60), own)
    assert not admission.decide([], None, own)
