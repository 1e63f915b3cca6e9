"""Enrolment orders are shown before they are signed, name only students, and print in each language.

The head's journeys in Kazakh and Russian: a preview of the order with «Sign» and «Cancel» (nothing
is numbered or registered before «Sign»), a teacher refused for admission, the grounds of an approved
application in the language of each PDF and of the register, and the audit trail in the viewer's words.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime
from bot.services.admin import orders
from db.models import AuditRecord, Group, Order, OrderKind, Organization, Person, PersonRole, Role
from tests.harness import Harness, Seat, labels, texts
from tests.staff.helpers import files_of, pdf_text, xlsx_rows
from tests.staff.test_applications import apply, approve_from_notice

HEAD = "Ерлан Маратұлы Жұмабаев"
KIM = "Екатерина Павловна Ким"  # the only student matching «Ким»; a teacher Сергей Викторович Ким too
NEWCOMER = "Жанна Ерікқызы Сапарова"  # a person with no role yet: admission may name her

# What the head sees, per language.
SEEN = {
    "kk": {
        "expulsion": "оқудан шығару",
        "admission": "қабылдау",
        "check": "Қол қоймас бұрын бұйрықты тексеріңіз",
        "numbered": "қол қойылғанда беріледі",
        "sign": "Қол қою",
        "cancel": "Бас тарту",
        "cancelled": "Бұйрыққа қол қойылмады",
        "signed": "тізілімге енгізілді",
        "not_student": "білім алушы емес",
        "teacher": "педагог",
        "grounds": "Негіздеме: Оқу ақысын төлемеген.",
        "write_name": "аты-жөнін немесе оның бір бөлігін жазыңыз",
        "enrolled_admission": "тобына қабылданған: қабылдау тек білім алушылар құрамында жоқ адамға",
        "enrolled_readmission": "қайта қабылдау тек қазір білім алушылар құрамында жоқ (оқудан шығарылған)",
        "same_group": "қазір ИС-22 тобында оқиды: ауыстыру үшін қазіргі топтан басқа топ керек",
        "other_group": "Басқа топты таңдаңыз немесе /cancel.",
        "transfer": "ауыстыру",
        "readmission": "қайта қабылдау",
        "no_access": "сізде Ustaz-ға енді қолжетімділік жоқ",
        "contact": "ұйымға хабарласыңыз",
        "register": "Бұйрықтар тізілімі",
        "new_order": "Жаңа бұйрық",
        "export": "XLSX-ке экспорттау",
        "audit": "Аудит журналы",
    },
    "ru": {
        "expulsion": "отчисление",
        "admission": "зачисление",
        "check": "Проверьте приказ перед подписанием",
        "numbered": "присваивается при подписании",
        "sign": "Подписать",
        "cancel": "Отмена",
        "cancelled": "Приказ не подписан",
        "signed": "внесён в реестр",
        "not_student": "а не обучающийся",
        "teacher": "педагог",
        "grounds": "Основание: Оқу ақысын төлемеген.",
        "write_name": "Напишите имя человека или его часть",
        "enrolled_admission": "уже числится в группе ИС-22: зачисление — только для того, кто не числится",
        "enrolled_readmission": "восстановление — только для того, кто сейчас не числится обучающимся",
        "same_group": "уже учится в группе ИС-22: для перевода нужна другая группа, не текущая",
        "other_group": "Выберите другую группу или /cancel.",
        "transfer": "перевод",
        "readmission": "восстановление",
        "no_access": "у вас больше нет доступа к Ustaz",
        "contact": "обратитесь в организацию",
        "register": "Реестр приказов",
        "new_order": "Новый приказ",
        "export": "Выгрузить в XLSX",
        "audit": "Журнал аудита",
    },
}


async def head_in(demo: Runtime, harness: Harness, lang: str) -> Seat:
    async with demo.sessions() as session, session.begin():
        head = await session.scalar(select(Person).where(Person.full_name == HEAD))
        assert head is not None
        head.locale = lang
    return await harness.seat_for(HEAD)


async def count_orders(demo: Runtime) -> int:
    async with demo.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Order)) or 0)


async def kim_is_student(demo: Runtime) -> bool:
    async with demo.sessions() as session:
        role = await session.scalar(
            select(PersonRole)
            .join(Person, Person.id == PersonRole.person_id)
            .where(Person.full_name == KIM, PersonRole.role == Role.student)
        )
    return role is not None


async def expel_kim_preview(harness: Harness, head: Seat, seen: dict[str, str]) -> list:
    replies = await harness.tap(head, seen["register"], seen["new_order"])
    await harness.press(head, replies[-1], seen["expulsion"])
    await harness.say(head, "Ким")
    return await harness.say(head, "Оқу ақысын төлемеген")


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_expulsion_is_previewed_and_signed_only_on_sign(
    demo: Runtime, harness: Harness, lang: str
) -> None:
    seen = SEEN[lang]
    head = await head_in(demo, harness, lang)

    preview = await expel_kim_preview(harness, head, seen)
    shown = texts(preview)
    assert seen["check"] in shown and seen["numbered"] in shown
    assert seen["expulsion"] in shown and KIM in shown and "ИС-22" in shown and seen["grounds"] in shown
    assert labels(preview[-1]) == [seen["sign"], seen["cancel"]]
    assert "001/" not in shown
    assert await count_orders(demo) == 0 and await kim_is_student(demo)

    cancelled = await harness.press(head, preview[-1], seen["cancel"])
    assert seen["cancelled"] in texts(cancelled) and not any(r.files for r in cancelled)
    assert await count_orders(demo) == 0 and await kim_is_student(demo)
    # The dialog is over: a late «Sign» on the old preview signs nothing.
    await harness.press(head, preview[-1], seen["sign"])
    assert await count_orders(demo) == 0

    preview = await expel_kim_preview(harness, head, seen)
    typed = await harness.say(head, "иә / да")  # only the buttons sign
    assert await count_orders(demo) == 0 and seen["sign"] in texts(typed)
    signed = await harness.press(head, preview[-1], seen["sign"])
    assert seen["signed"] in texts(signed) and "001/" in texts(signed)
    assert await count_orders(demo) == 1 and not await kim_is_student(demo)
    ((_, pdf),) = await files_of(demo, signed)
    # As a clerk writes it: the surname first, declined in Russian, the participle agreeing.
    written = {"kk": "ИС-22 тобының білім алушысы Ким Екатерина Павловна оқудан шығарылсын.",
               "ru": "Отчислить Ким Екатерину Павловну, обучающуюся группы ИС-22."}[lang]  # fmt: skip
    assert written in pdf_text(pdf)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_teacher_is_refused_for_admission(demo: Runtime, harness: Harness, lang: str) -> None:
    seen = SEEN[lang]
    head = await head_in(demo, harness, lang)
    replies = await harness.tap(head, seen["register"], seen["new_order"])
    await harness.press(head, replies[-1], seen["admission"])
    choices = await harness.say(head, "Ким")
    assert "Сергей Викторович Ким" in labels(choices[-1])
    refused = await harness.press(head, choices[-1], "Сергей Викторович Ким")
    assert seen["not_student"] in texts(refused) and seen["teacher"] in texts(refused)
    assert "Сергей Викторович Ким" in texts(refused)
    assert not refused[-1].buttons or "ИС-22" not in labels(refused[-1])  # no group asked: no way on
    # The dialog still waits for a name: a file asks for it again; a student enrolled now is refused too.
    asked = await harness.say(head, files=[("list.pdf", b"%PDF-1.4\n%%EOF\n")])
    assert seen["write_name"] in texts(asked)
    enrolled = await harness.say(head, "Екатерина Павловна")
    assert seen["enrolled_admission"] in texts(enrolled) and KIM in texts(enrolled)
    assert not enrolled[-1].buttons or "ИС-22" not in labels(enrolled[-1])
    # Someone who holds no role yet is taken, and the order previewed.
    async with demo.sessions() as session, session.begin():
        org_id = await session.scalar(select(Person.organization_id).where(Person.full_name == KIM))
        session.add(Person(organization_id=org_id, full_name=NEWCOMER, locale="ru"))
    groups = await harness.say(head, "Сапарова")
    await harness.press(head, groups[-1], "ИС-22")
    preview = await harness.say(head, "Өтініші бойынша / По заявлению")
    assert seen["admission"] in texts(preview) and NEWCOMER in texts(preview)
    await harness.press(head, preview[-1], seen["cancel"])
    async with demo.sessions() as session:
        teacher_roles = set(
            await session.scalars(
                select(PersonRole.role)
                .join(Person, Person.id == PersonRole.person_id)
                .where(Person.full_name == "Сергей Викторович Ким")
            )
        )
    assert teacher_roles == {Role.teacher}
    assert await count_orders(demo) == 0


async def test_grounds_of_an_approved_application_are_in_each_language(
    demo: Runtime, harness: Harness
) -> None:
    head = await harness.seat_for(HEAD)
    student = await harness.seat_for("Анна Сергеевна Петрова")  # writes in Russian
    await apply(harness, student, "ru")
    signed = await approve_from_notice(harness, head)

    ((_, kk_pdf),) = await files_of(demo, signed)
    kk_text = " ".join(pdf_text(kk_pdf).split())
    assert "2. Негіздеме: денсаулық мүмкіндіктерінің уақытша шектелуі" in kk_text

    got = await harness.received(student)
    assert "Основание: временное ограничение по здоровью" in texts(got)
    ((_, ru_pdf),) = await files_of(demo, got)
    ru_text = " ".join(pdf_text(ru_pdf).split())
    assert "2. Основание: временное ограничение по здоровью, не позволяющее регулярно посещать" in ru_text
    assert "на основании заявления Петровой Анны Сергеевны от" in ru_text
    assert "1. Разрешить Петровой Анне Сергеевне, обучающейся группы" in ru_text
    assert "Петрова Анна Сергеевнаның" in kk_text and "берген өтініші негізінде" in kk_text
    assert "білім алушысы Петрова Анна Сергеевнаға қашықтықтан" in kk_text
    assert "денсаулық" not in ru_text

    exported = await harness.tap(head, SEEN["kk"]["register"], SEEN["kk"]["export"])
    rows = xlsx_rows((await files_of(demo, exported))[0][1])
    assert rows[1][5].startswith("денсаулық мүмкіндіктерінің уақытша шектелуі")
    async with demo.sessions() as session, session.begin():
        head_person = await session.scalar(select(Person).where(Person.full_name == HEAD))
        assert head_person is not None
        head_person.locale = "ru"
    exported = await harness.tap(head, SEEN["ru"]["register"], SEEN["ru"]["export"])
    rows = xlsx_rows((await files_of(demo, exported))[0][1])
    assert rows[0][5] == "Основание" and rows[1][5].startswith("временное ограничение по здоровью")


RAW_CODES = (
    "approve",
    "submit",
    "sign",
    "distance_learning",
    "temporary_health",
    "expulsion",
    "student_id",
    "status",
    "kind",
    "application ",
    "order ",
    "enrolment",
    "group_id",
    "True",
    "False",
)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_the_audit_trail_speaks_the_viewers_language(
    demo: Runtime, harness: Harness, lang: str
) -> None:
    seen = SEEN[lang]
    head = await head_in(demo, harness, lang)
    student = await harness.seat_for("Анна Сергеевна Петрова")
    await apply(harness, student, "ru")
    await approve_from_notice(harness, head, lang)
    preview = await expel_kim_preview(harness, head, seen)
    await harness.press(head, preview[-1], seen["sign"])
    async with demo.sessions() as session:
        actions = set(await session.scalars(select(AuditRecord.action)))
    assert {"submit", "approve", "sign", "expulsion"} <= actions  # the codes are in the data...

    trail = texts(await harness.tap(head, seen["audit"]))
    for code in RAW_CODES:  # ...and not in what the head reads
        assert code not in trail, code
    words = {
        "kk": ["өтініш", "мақұлданды", "бұйрық", "қол қойылды", "қашықтықтан", "оқудан шығару"],
        "ru": ["заявление", "одобрено", "приказ", "подписан", "дистанционным", "отчисление"],
    }[lang]
    for word in words:
        assert word in trail, word
    # People by name, not by id.
    assert "Анна Сергеевна Петрова" in trail and KIM in trail and HEAD in trail


async def kim_group(demo: Runtime) -> str | None:
    async with demo.sessions() as session:
        return await session.scalar(
            select(Group.name)
            .join(PersonRole, PersonRole.group_id == Group.id)
            .join(Person, Person.id == PersonRole.person_id)
            .where(Person.full_name == KIM, PersonRole.role == Role.student)
        )


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_orders_that_make_no_sense_are_refused_before_the_grounds(
    demo: Runtime, harness: Harness, lang: str
) -> None:
    seen = SEEN[lang]
    head = await head_in(demo, harness, lang)

    # A transfer to the group she is in: refused at the group step, the groups offered again.
    replies = await harness.tap(head, seen["register"], seen["new_order"])
    await harness.press(head, replies[-1], seen["transfer"])
    groups = await harness.say(head, "Ким")
    refused = await harness.press(head, groups[-1], "ИС-22")
    assert seen["same_group"] in texts(refused) and KIM in texts(refused)
    assert seen["other_group"] in texts(refused) and "ПО-21" in labels(refused[-1])
    # Another group goes on to the grounds; nothing was signed.
    asked = await harness.press(head, refused[-1], "ПО-21")
    assert seen["same_group"] not in texts(asked)
    await harness.say(head, "/cancel")
    assert await count_orders(demo) == 0 and await kim_group(demo) == "ИС-22"

    # A readmission of a student enrolled now: refused at once, no group asked.
    replies = await harness.tap(head, seen["register"], seen["new_order"])
    await harness.press(head, replies[-1], seen["readmission"])
    refused = await harness.say(head, "Екатерина Павловна")
    assert seen["enrolled_readmission"] in texts(refused) and KIM in texts(refused)
    assert not refused[-1].buttons or "ИС-22" not in labels(refused[-1])
    await harness.say(head, "/cancel")
    assert await count_orders(demo) == 0 and await kim_group(demo) == "ИС-22"

    # Expelled, she sees why Ustaz no longer lets her in, in her own language...
    preview = await expel_kim_preview(harness, head, seen)
    await harness.press(head, preview[-1], seen["sign"])
    assert await kim_group(demo) is None
    async with demo.sessions() as session, session.begin():
        kim = await session.scalar(select(Person).where(Person.full_name == KIM))
        assert kim is not None
        kim.locale = lang
    student = await harness.seat_for(KIM)
    # {"button": "asg"}: her old menu's «Assignments», pressed after she was expelled (no menu shows it now).
    for said in ({"text": "/menu"}, {"text": "/help"}, {"text": "сәлем"}, {"button": "asg"}):
        shown = texts(await harness.say(student, **said))
        assert seen["no_access"] in shown and seen["contact"] in shown, said

    # ...and now a readmission names her: the order is signed and she is back in a group.
    replies = await harness.tap(head, seen["register"], seen["new_order"])
    await harness.press(head, replies[-1], seen["readmission"])
    groups = await harness.say(head, "Екатерина Павловна")
    await harness.press(head, groups[-1], "ПО-21")
    preview = await harness.say(head, "Өтініші бойынша / По заявлению")
    signed = await harness.press(head, preview[-1], seen["sign"])
    assert seen["signed"] in texts(signed)
    assert await count_orders(demo) == 2 and await kim_group(demo) == "ПО-21"
    assert seen["no_access"] not in texts(await harness.say(student, "/menu"))


async def test_the_service_refuses_a_transfer_to_the_same_group_and_an_admission_of_the_enrolled(
    demo: Runtime,
) -> None:
    async with demo.sessions() as session, session.begin():
        head = await session.scalar(select(Person).where(Person.full_name == HEAD))
        kim = await session.scalar(select(Person).where(Person.full_name == KIM))
        assert head is not None and kim is not None
        org = await session.get(Organization, head.organization_id)
        same = await session.scalar(select(Group).where(Group.name == "ИС-22"))
        assert org is not None and same is not None
        for kind, group, reason in (
            (OrderKind.transfer, same, "same_group"),
            (OrderKind.transfer, None, "no_group"),
            (OrderKind.readmission, same, "enrolled_readmission"),
            (OrderKind.admission, same, "enrolled_admission"),
        ):
            with pytest.raises(orders.EnrolmentRefused) as refused:
                await orders.issue_enrolment_order(
                    session,
                    demo.files,
                    org=org,
                    kind=kind,
                    student=kim,
                    head=head,
                    head_roles=[Role.head],
                    grounds="—",
                    group=group,
                )
            assert refused.value.reason == reason
    assert await count_orders(demo) == 0 and await kim_group(demo) == "ИС-22"
