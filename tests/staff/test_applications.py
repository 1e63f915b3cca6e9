"""The application to order round trip, through the real chat: student, head, order PDF, register."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core.router import dialog_button
from bot.runtime import Runtime
from db.models import ApplicationStatus, AuditRecord, DistanceApplication, Order, Person, StudyPlan
from tests.harness import Harness, Seat, texts
from tests.staff.helpers import button_payload, files_of, make_bachelor, pdf_text, scan

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
        "sign": "Қол қою",
    },
    "ru": {
        "open": "Открыть заявление",
        "approve": "Одобрить и подписать приказ",
        "ask": "Запросить документы",
        "plan": "Индивидуальный учебный план",
        "back": "Вернуться к заявлению",
        "sign": "Подписать",
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
    return await approve_and_sign(harness, head, card, lang)


async def approve_and_sign(harness: Harness, head: Seat, card: list, lang: str = "kk") -> list:
    """«Approve» previews the order (nothing signed yet); «Sign» signs it."""
    preview = await harness.press(head, card[-1], DECIDING[lang]["approve"])
    if not any(DECIDING[lang]["sign"] == b.label for row in preview[-1].buttons for b in row):
        return preview  # refused before any preview (item 17, a cap, decided already)
    assert not preview[-1].files
    return await harness.press(head, preview[-1], DECIDING[lang]["sign"])


async def test_russian_student_application_to_order(demo: Runtime, harness: Harness) -> None:
    head = await harness.seat_for(HEAD)
    parent = await harness.seat_for("Ольга Викторовна Петрова")
    student = await harness.seat_for("Анна Сергеевна Петрова")
    replies = await harness.tap(student, APPLYING["ru"]["apply"])
    assert "Выберите категорию" in texts(replies)
    assert "ребёнок-инвалид" in texts(replies)  # the full wording in the message, short labels on buttons
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
    signed = await approve_and_sign(harness, head, card)
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
    # The parent of the student got it too, in her language, worded for her: her child applied, not she.
    to_parent = await harness.received(parent)
    assert "Анна Сергеевна Петрова: заявление №" in texts(to_parent) and "Ваше заявление" not in texts(
        to_parent
    )
    assert "ПРИКАЗ" in pdf_text((await files_of(demo, to_parent))[0][1])

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


@pytest.mark.parametrize(
    ("lang", "full_61", "level", "trip"),
    [
        (
            "ru",
            "Правила № 137, пункт 6.1",
            "техническое и профессиональное образование",
            "Командировка за рубеж · 6.4",
        ),
        ("kk", "№ 137 қағидалар, 6.1-тармақ", "техникалық және кәсіптік білім", "Шетелдік іссапар · 6.4"),
    ],
)
async def test_categories_by_the_programs_level(
    demo: Runtime, harness: Harness, lang: str, full_61: str, level: str, trip: str
) -> None:
    """002 item 6 and 003 item 1.5: only the categories the student's program level allows are offered
    (a long business trip, item 6.4, is for higher education), the full wording with its item in the
    message and short whole labels on the buttons, with no internal «002» and no «…» cut."""
    student = await harness.seat_for("Дмитрий Олегович Ли")
    async with demo.sessions() as session, session.begin():
        person = await session.get(Person, student.person_id)
        assert person is not None
        person.locale = lang
    replies = await harness.tap(student, APPLYING[lang]["apply"])
    shown = texts(replies)
    buttons = [b.label for row in replies[-1].buttons for b in row]
    assert full_61 in shown and level in shown

    def offered(label: str) -> bool:
        return any(label in b for b in buttons)

    assert not offered(trip) and not offered(APPLYING[lang]["academic_mobility"])  # a college program
    assert offered(APPLYING[lang]["temporary_health"])
    assert all("002" not in b and "…" not in b and len(b) <= 48 for b in buttons)
    assert "002" not in shown
    # A forged press of a category the level does not allow is refused and asked again.
    again = texts(await harness.say(student, button=dialog_button("business_trip")))
    assert ("Выберите категорию" if lang == "ru" else "Санатын батырмамен") in again
    async with demo.sessions() as session:
        assert await session.scalar(select(DistanceApplication)) is None

    await make_bachelor(demo)
    replies = await harness.tap(student, APPLYING[lang]["apply"])
    buttons = [b.label for row in replies[-1].buttons for b in row]
    assert offered(trip) and offered(APPLYING[lang]["academic_mobility"])
    moved = await harness.press(student, replies[-1], trip)
    assert [b.label for row in moved[-1].buttons for b in row] == [
        buttons[-1]
    ]  # the reason step: cancel only


@pytest.mark.parametrize(
    ("lang", "check", "plan"),
    [
        ("kk", "Қол қоймас бұрын", "Веб-программирование — "),
        ("ru", "Проверьте приказ", "Веб-программирование — "),
    ],
)
async def test_the_distance_learning_order_is_signed_only_after_its_preview(
    demo: Runtime, harness: Harness, lang: str, check: str, plan: str
) -> None:
    """002 items 8-10: the order is shown with its plan and schedule before the head signs it, like
    transfer and expulsion; «Cancel» signs and registers nothing."""
    async with demo.sessions() as session, session.begin():
        head_person = await session.scalar(select(Person).where(Person.full_name == HEAD))
        assert head_person is not None
        head_person.locale = lang
    head = await harness.seat_for(HEAD)
    student = await harness.seat_for("Дмитрий Олегович Ли")
    await apply(harness, student, "ru")
    card = await harness.tap(head, DECIDING[lang]["open"], on=await harness.received(head))
    preview = await harness.press(head, card[-1], DECIDING[lang]["approve"])
    shown = texts(preview)
    assert check in shown and plan in shown and not preview[-1].files
    async with demo.sessions() as session:
        assert await session.scalar(select(Order)) is None
    cancelled = await harness.tap(head, "Бас тарту" if lang == "kk" else "Отмена", on=preview)
    assert not cancelled[-1].files
    async with demo.sessions() as session:
        assert await session.scalar(select(Order)) is None
        app = await session.scalar(select(DistanceApplication))
        assert app is not None and app.status == ApplicationStatus.submitted
    signed = await approve_and_sign(harness, head, card, lang)
    assert len(signed[-1].files) == 1
    async with demo.sessions() as session:
        assert await session.scalar(select(Order)) is not None
