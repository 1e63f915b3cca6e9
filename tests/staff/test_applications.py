"""The application to order round trip, through the real chat: student, head, order PDF, register."""

from __future__ import annotations

from sqlalchemy import select

from bot.runtime import Runtime
from db.models import ApplicationStatus, AuditRecord, DistanceApplication, Order, StudyPlan
from tests.harness import Harness, Seat, texts
from tests.staff.helpers import button_payload, files_of, pdf_text, scan

HEAD = "Ерлан Маратұлы Жұмабаев"


async def apply(harness: Harness, student: Seat, category: str = "temporary_health") -> list:
    await harness.say(student, button="app_new")
    await harness.say(student, button=f"dlg:{category}")
    await harness.say(student, "Сломал ногу, врач запретил ходить два месяца / Аяғым сынды")
    await harness.say(student, files=[("spravka.pdf", scan())])
    return await harness.say(student, button="dlg:send")


async def test_russian_student_application_to_order(demo: Runtime, harness: Harness) -> None:
    head = await harness.seat_for(HEAD)
    parent = await harness.seat_for("Ольга Викторовна Петрова")
    student = await harness.seat_for("Анна Сергеевна Петрова")
    replies = await harness.say(student, button="app_new")
    assert "Выберите категорию" in texts(replies)
    assert "дети-инвалиды" in texts(replies) or any(
        "инвалид" in b.label for row in replies[-1].buttons for b in row
    )
    await harness.say(student, button="dlg:temporary_health")
    replies = await harness.say(student, "ok")
    assert "хотя бы несколько слов" in texts(replies)
    await harness.say(student, "Сломала ногу, врач запретил ходить два месяца.")
    replies = await harness.say(student, button="dlg:send")
    assert "хотя бы один подтверждающий документ" in texts(replies)
    replies = await harness.say(student, files=[("spravka.pdf", scan())])
    assert "1 файл" in texts(replies)
    replies = await harness.say(student, button="dlg:send")
    assert "Ваше заявление №" in texts(replies)

    notices = await harness.received(head)
    assert "жаңа өтініш" in texts(notices)
    payload = button_payload(notices[-1], "sap:")
    card = await harness.say(head, button=payload)
    assert "Анна Сергеевна Петрова" in texts(card) and "ИС-22" in texts(card)
    assert len(card[-1].files) == 1  # the supporting document
    signed = await harness.say(head, button=payload.replace("sap:", "sok:"))
    assert "бұйрық" in texts(signed).lower()
    ((name, head_pdf),) = await files_of(demo, signed)
    text = pdf_text(head_pdf)
    assert "БҰЙРЫҚ" in text and "Анна Сергеевна Петрова" in text and "Веб-программирование" in text
    assert "Е. М. Жұмабаев" in text and "Алматы цифрлық колледжі" in text

    got = await harness.received(student)
    assert "одобрено" in texts(got) and "приказ" in texts(got).lower()
    ((_, student_pdf),) = await files_of(demo, got)
    text = pdf_text(student_pdf)
    assert "ПРИКАЗ №" in text and "индивидуальный учебный план" in text.lower()
    assert "Анна Сергеевна Петрова" in text and "spravka.pdf" in text
    # The parent of the student got it too, in her language.
    assert "ПРИКАЗ" in pdf_text((await files_of(demo, await harness.received(parent)))[0][1])

    async with demo.sessions() as session:
        app = await session.scalar(select(DistanceApplication))
        order = await session.scalar(select(Order))
        plan = await session.scalar(select(StudyPlan))
        actions = set(await session.scalars(select(AuditRecord.action)))
    assert app is not None and app.status is ApplicationStatus.approved
    assert order is not None and order.application_id == app.id and order.number.startswith("001/")
    assert plan is not None and plan.approved
    assert {"submit", "sign", "approve"} <= actions

    mine = await harness.say(student, button="app_my")
    assert order.number in texts(mine) and len(mine[-1].files) == 1


async def test_kazakh_student_is_asked_for_documents_then_refused(demo: Runtime, harness: Harness) -> None:
    head = await harness.seat_for(HEAD)
    methodist = await harness.seat_for("Салтанат Әбенқызы Исмаилова")
    student = await harness.seat_for("Айдана Серікқызы Бекова")
    replies = await apply(harness, student)
    assert "өтінішіңіз" in texts(replies)
    notice = (await harness.received(methodist))[-1]
    app_id = button_payload(notice, "sap:").split(":")[1]
    card = await harness.say(methodist, button=f"sap:{app_id}")
    shown = [b.payload for row in card[-1].buttons for b in row]
    assert f"sask:{app_id}" in shown and f"sok:{app_id}" not in shown and f"sref:{app_id}" not in shown
    await harness.say(methodist, button=f"sask:{app_id}")
    await harness.say(methodist, "Дәрігердің анықтамасының түпнұсқасы керек")
    asked = await harness.received(student)
    assert "түпнұсқасы" in texts(asked)
    await harness.say(student, button=button_payload(asked[-1], "app_more:"))
    await harness.say(student, files=[("anyqtama.jpg", b"\xff\xd8\xff\xe0" + b"0" * 200)])
    replies = await harness.say(student, button="dlg:send")
    assert "қосылды" in texts(replies)

    await harness.say(head, button=f"sref:{app_id}")
    replies = await harness.say(head, "Құжаттар жеткіліксіз")
    assert "бас тартылды" in texts(replies)
    told = await harness.received(student)
    assert "Құжаттар жеткіліксіз" in texts(told)
    again = await harness.say(head, button=f"sok:{app_id}")
    assert "шешім қабылданған" in texts(again)


async def test_an_application_can_be_cancelled_with_its_button_at_any_step(
    demo: Runtime, harness: Harness
) -> None:
    student = await harness.seat_for("Анна Сергеевна Петрова")
    replies = await harness.say(student, button="app_new")
    replies = await harness.press(student, replies[-1], "Отмена")
    assert "Отменено." in texts(replies)
    await harness.say(student, button="app_new")
    await harness.say(student, button="dlg:temporary_health")
    await harness.say(student, "Сломала ногу, врач запретил ходить два месяца.")
    replies = await harness.say(student, files=[("spravka.pdf", scan())])
    replies = await harness.press(student, replies[-1], "Отмена")
    assert "Отменено." in texts(replies)
    assert "Ваше заявление №" not in texts(await harness.say(student, button="dlg:send"))
    async with demo.sessions() as session:
        assert await session.scalar(select(DistanceApplication)) is None
