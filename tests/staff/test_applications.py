"""The application to order round trip, through the real chat: student, head, order PDF, register."""

from __future__ import annotations

from sqlalchemy import select

from bot.runtime import Runtime
from db.models import ApplicationStatus, AuditRecord, DistanceApplication, Order, StudyPlan
from tests.harness import Harness, Seat, texts
from tests.staff.helpers import button_payload, files_of, pdf_text, scan

HEAD = "Ерлан Маратұлы Жұмабаев"

# The labels an applicant sees, per language (a part of a long category label is enough to press it).
APPLYING = {
    "kk": {
        "apply": "ҚБТ бойынша оқуға өтініш",
        "mine": "Менің өтініштерім",
        "temporary_health": "Денсаулықтың уақытша шектелуі",
        "academic_mobility": "Академиялық ұтқырлық",
        "send": "Өтінішті жіберу",
        "add": "Құжаттарды қосу",
    },
    "ru": {
        "apply": "Заявление на обучение по ДОТ",
        "mine": "Мои заявления",
        "temporary_health": "Временное ограничение по здоровью",
        "academic_mobility": "Академическая мобильность",
        "send": "Отправить заявление",
        "add": "Добавить документы",
    },
}
# What the head and the methodist press on an application, per language.
DECIDING = {
    "kk": {
        "open": "Өтінішті ашу",
        "approve": "Мақұлдау және бұйрыққа қол қою",
        "ask": "Құжаттарды сұрау",
        "plan": "Жеке оқу жоспары",
        "back": "Өтінішке оралу",
    },
    "ru": {
        "open": "Открыть заявление",
        "approve": "Одобрить и подписать приказ",
        "ask": "Запросить документы",
        "plan": "Индивидуальный учебный план",
        "back": "Вернуться к заявлению",
    },
}
OPEN, APPROVE, ASK = (DECIDING["kk"][k] for k in ("open", "approve", "ask"))
REFUSE = "Бас тарту"


async def apply(harness: Harness, student: Seat, lang: str, category: str = "temporary_health") -> list:
    words = APPLYING[lang]
    await harness.tap(student, words["apply"], words[category])
    await harness.say(student, "Сломал ногу, врач запретил ходить два месяца / Аяғым сынды")
    sent = await harness.say(student, files=[("spravka.pdf", scan())])
    return await harness.tap(student, words["send"], on=sent)


async def approve_from_notice(harness: Harness, head: Seat, lang: str = "kk") -> list:
    """The head opens the application from its notice and approves it there."""
    words = DECIDING[lang]
    card = await harness.tap(head, words["open"], on=await harness.received(head))
    return await harness.press(head, card[-1], words["approve"])


async def test_russian_student_application_to_order(demo: Runtime, harness: Harness) -> None:
    head = await harness.seat_for(HEAD)
    parent = await harness.seat_for("Ольга Викторовна Петрова")
    student = await harness.seat_for("Анна Сергеевна Петрова")
    replies = await harness.tap(student, APPLYING["ru"]["apply"])
    assert "Выберите категорию" in texts(replies)
    assert "дети-инвалиды" in texts(replies) or any(
        "инвалид" in b.label for row in replies[-1].buttons for b in row
    )
    await harness.press(student, replies[-1], APPLYING["ru"]["temporary_health"])
    replies = await harness.say(student, "ok")
    assert "хотя бы несколько слов" in texts(replies)
    replies = await harness.say(student, "Сломала ногу, врач запретил ходить два месяца.")
    replies = await harness.press(student, replies[-1], APPLYING["ru"]["send"])
    assert "хотя бы один подтверждающий документ" in texts(replies)
    replies = await harness.say(student, files=[("spravka.pdf", scan())])
    assert "1 файл" in texts(replies)
    replies = await harness.press(student, replies[-1], APPLYING["ru"]["send"])
    assert "Ваше заявление №" in texts(replies)

    notices = await harness.received(head)
    assert "жаңа өтініш" in texts(notices)
    card = await harness.press(head, notices[-1], OPEN)
    assert "Анна Сергеевна Петрова" in texts(card) and "ИС-22" in texts(card)
    assert len(card[-1].files) == 1  # the supporting document
    signed = await harness.press(head, card[-1], APPROVE)
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

    mine = await harness.tap(student, APPLYING["ru"]["mine"])
    assert order.number in texts(mine) and len(mine[-1].files) == 1


async def test_kazakh_student_is_asked_for_documents_then_refused(demo: Runtime, harness: Harness) -> None:
    head = await harness.seat_for(HEAD)
    methodist = await harness.seat_for("Салтанат Әбенқызы Исмаилова")
    student = await harness.seat_for("Айдана Серікқызы Бекова")
    replies = await apply(harness, student, "kk")
    assert "өтінішіңіз" in texts(replies)
    notice = (await harness.received(methodist))[-1]
    app_id = button_payload(notice, "sap:").split(":")[1]
    card = await harness.press(methodist, notice, OPEN)
    shown = [b.payload for row in card[-1].buttons for b in row]
    assert f"sask:{app_id}" in shown and f"sok:{app_id}" not in shown and f"sref:{app_id}" not in shown
    await harness.press(methodist, card[-1], ASK)
    await harness.say(methodist, "Дәрігердің анықтамасының түпнұсқасы керек")
    asked = await harness.received(student)
    assert "түпнұсқасы" in texts(asked)
    await harness.press(student, asked[-1], APPLYING["kk"]["add"])
    replies = await harness.say(student, files=[("anyqtama.jpg", b"\xff\xd8\xff\xe0" + b"0" * 200)])
    replies = await harness.press(student, replies[-1], APPLYING["kk"]["send"])
    assert "қосылды" in texts(replies)

    card = await harness.tap(head, OPEN, on=await harness.received(head))
    await harness.press(head, card[-1], REFUSE)
    replies = await harness.say(head, "Құжаттар жеткіліксіз")
    assert "бас тартылды" in texts(replies)
    told = await harness.received(student)
    assert "Құжаттар жеткіліксіз" in texts(told)
    # The card shown before the refusal still shows «Approve»: pressed late, it signs nothing.
    again = await harness.press(head, card[-1], APPROVE)
    assert "шешім қабылданған" in texts(again)


async def test_an_application_can_be_cancelled_with_its_button_at_any_step(
    demo: Runtime, harness: Harness
) -> None:
    student = await harness.seat_for("Анна Сергеевна Петрова")
    words = APPLYING["ru"]
    replies = await harness.tap(student, words["apply"])
    replies = await harness.press(student, replies[-1], "Отмена")
    assert "Отменено." in texts(replies)
    await harness.tap(student, words["apply"], words["temporary_health"])
    await harness.say(student, "Сломала ногу, врач запретил ходить два месяца.")
    documents = await harness.say(student, files=[("spravka.pdf", scan())])
    replies = await harness.press(student, documents[-1], "Отмена")
    assert "Отменено." in texts(replies)
    # «Send the application» on the message before the cancel sends nothing.
    assert "Ваше заявление №" not in texts(await harness.press(student, documents[-1], words["send"]))
    async with demo.sessions() as session:
        assert await session.scalar(select(DistanceApplication)) is None
