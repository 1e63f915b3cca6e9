"""Reports in chat and XLSX, the weekly summary to the head, and certificates checked on the web."""

from __future__ import annotations

import datetime as dt

import aiohttp
from sqlalchemy import select

from bot.app import running
from bot.runtime import Runtime
from bot.services.admin import reports
from bot.services.coursework import grading_scale
from db.models import Certificate, Organization, OutboxMessage
from tests.harness import Harness, texts
from tests.staff.helpers import files_of, pdf_text, xlsx_rows

HEAD = "Ерлан Маратұлы Жұмабаев"


async def test_head_reads_the_report_and_gets_the_xlsx(demo: Runtime, harness: Harness) -> None:
    head = await harness.seat_for(HEAD)
    replies = await harness.tap(head, "Есептер")
    text = texts(replies)
    assert "ҚБТ бойынша оқу туралы есеп" in text
    # Two passed deadlines in the demo: 6 of 10 handed in, one of them late.
    assert "ПО-21, Python негіздері: 1 тапсырма, уақытында 50%, кешіктірілген 1, тапсырылмаған 4" in text
    assert "ИС-22, Веб-программирование: 1 тапсырма, уақытында 50%" in text
    assert "Бағалар: A: 2, B+: 2, B-: 2, C: 2" in text  # 95, 86, 77, 68 in both groups
    assert "8 ата-анамен байланыс жоқ" in text
    assert "мерзім өткізілген немесе кешіктірілген" in text
    files = await files_of(demo, replies)
    ((name, data),) = [f for f in files if f[0].endswith(".xlsx")]  # the charts come as PNG images too
    rows = xlsx_rows(data)
    # 001 item 29: nobody is admitted yet, «Функциялар» (due in 2 days) is still to hand in for everyone
    assert rows[0][0] == "Топ" and ["ПО-21", "Python негіздері", 1, 10, 5, 1, 4, 50, 10, 0] in rows
    assert rows[0][-2:] == ["Білім алушылар", "Аттестаттауға жіберілгендер"]
    assert "Аттестаттауға жіберілгендер" in text and "ПО-21, Python негіздері: 0 / 10" in text
    weekly = await harness.press(head, replies[-1], "Апталық есеп")
    assert "ҚБТ бойынша оқу туралы апталық есеп" in texts(weekly)


def test_letters_follow_the_scale() -> None:
    assert [grading_scale.letter(p).symbol for p in (100, 94, 86, 80, 77, 70, 65, 60, 55, 50, 49, 10)] == [
        "A",
        "A-",
        "B+",
        "B",
        "B-",
        "C+",
        "C",
        "C-",
        "D+",
        "D",
        "FX",
        "F",
    ]


async def test_weekly_summary_reaches_the_head_once_a_week(demo: Runtime, harness: Harness) -> None:
    head = await harness.seat_for(HEAD)
    async with demo.sessions() as session:
        org_id = await session.scalar(select(Organization.id))
    assert org_id is not None
    monday_early = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 07:00 in Almaty
    async with demo.sessions() as session, session.begin():
        assert await reports.send_weekly(session, demo.files, org_id, now=monday_early) == 0
    monday = monday_early + dt.timedelta(hours=2)
    async with demo.sessions() as session, session.begin():
        assert await reports.send_weekly(session, demo.files, org_id, now=monday) == 1
    async with demo.sessions() as session, session.begin():
        assert await reports.send_weekly(session, demo.files, org_id, now=monday + dt.timedelta(days=2)) == 0
    await harness.settle()
    got = await harness.received(head)
    assert "ҚБТ бойынша оқу туралы апталық есеп" in texts(got)
    names = [name for name, _ in await files_of(demo, got)]
    assert names[0].endswith(".xlsx")
    # The charts come with it (issue 15): four PNG images, named in the head's language.
    assert sum(n.endswith(".png") for n in names) == 4 and "Бағалар.png" in names
    assert "Тәуекел тобындағы білім алушылар.png" in names
    async with demo.sessions() as session, session.begin():
        next_week = monday + dt.timedelta(days=7)
        assert await reports.send_weekly(session, demo.files, org_id, now=next_week) == 1
        assert (
            len((await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "report"))).all())
            == 2
        )


async def test_certificate_is_issued_and_checked_on_the_web(demo: Runtime, harness: Harness) -> None:
    head = await harness.seat_for(HEAD)
    await harness.tap(head, "Сертификаттар")
    replies = await harness.say(head, "Жақыпова")
    await harness.say(head, "Python негіздері (МООК)")
    replies = await harness.say(head, "сегіз")
    assert "бүтін санмен" in texts(replies)
    replies = await harness.say(head, "5")
    assert "сертификаты берілді" in texts(replies)
    text = pdf_text((await files_of(demo, replies))[0][1])
    assert (
        "Жақыпова Ә. М." in text and "Python негіздері (МООК)" in text and "Алматы цифрлық колледжі" in text
    )
    assert "5 кредит" in text
    async with demo.sessions() as session:
        cert = await session.scalar(select(Certificate))
    assert cert is not None and cert.code in text

    async with running(demo, port=0) as live, aiohttp.ClientSession() as http:
        async with http.get(f"{live.url}/verify/{cert.code}") as resp:
            page = await resp.text()
            assert resp.status == 200
        assert "Сертификат түпнұсқа." in page and "Сертификат подлинный." in page and "Жақыпова Ә. М." in page
        async with http.get(f"{live.url}/verify/NOSUCHCODE12") as resp:
            assert resp.status == 404 and "Сертификата с кодом NOSUCHCODE12 нет." in await resp.text()


async def test_messages_waiting_for_a_whatsapp_template_show_in_the_report(
    demo: Runtime, harness: Harness
) -> None:
    from bot.core.messages import Reply
    from db.models import OutboxStatus, Person

    async with demo.sessions() as session, session.begin():
        parents = (await session.scalars(select(Person.id).where(Person.full_name.like("%Петрова")))).all()
        for person_id in parents:
            session.add(
                OutboxMessage(
                    person_id=person_id,
                    kind="reminder",
                    payload=Reply("x").to_json(),
                    status=OutboxStatus.waiting_template,
                )
            )
    head = await harness.seat_for(HEAD)
    menu = await harness.tap(head, "Тіл", "Русский")
    text = texts(await harness.tap(head, "Отчёты", on=menu))
    assert (
        "2 сообщения WhatsApp ждут утверждённого шаблона" in text
        and "• напоминания: 2" in text
        and "reminder" not in text
    )


async def test_item_23_certificate_reaches_its_holder_with_a_qr_code_to_the_verification_page(
    demo: Runtime, harness: Harness
) -> None:
    """002 item 23 (MOOC certificates): the holder gets the PDF in their own chat and language, and the
    PDF carries a QR code of the verification page (read back from the PDF, module by module)."""
    import io

    import pypdf

    from bot.files.pdf import qr_image
    from bot.services.admin import certificates

    head = await harness.seat_for(HEAD)
    asel = await harness.seat_for("Әсел Маратқызы Жақыпова")
    await harness.tap(head, "Сертификаттар")
    await harness.say(head, "Жақыпова")
    await harness.say(head, "Python негіздері (МООК)")
    await harness.say(head, "5")
    got = await harness.received(asel)
    assert "«Python негіздері (МООК)» бойынша сертификатыңыз" in texts(got)
    ((_, data),) = await files_of(demo, got)
    async with demo.sessions() as session:
        cert = await session.scalar(select(Certificate))
    assert cert is not None
    url = certificates.verify_url(demo.settings.base_url, cert.code)
    assert url in texts(got)
    images = pypdf.PdfReader(io.BytesIO(data)).pages[0].images
    assert len(images) == 1
    shown = images[0].image.convert("1")
    expected = qr_image(url).convert("1")
    assert shown.size == expected.size and shown.tobytes() == expected.tobytes()
    other = qr_image(url + "X").convert("1")
    assert other.tobytes() != shown.tobytes()


async def test_item_23_a_listener_outside_the_roster_receives_a_certificate(
    demo: Runtime, harness: Harness
) -> None:
    """002 item 23: a MOOC's listener who is not on the roster gets a certificate under the typed name,
    after the staff confirm it is a listener; nobody is made a student."""
    from db.models import Person, PersonRole

    head = await harness.seat_for(HEAD)
    await harness.tap(head, "Сертификаттар")
    replies = await harness.say(head, "Дана Ерланқызы Садықова")
    assert "Ұйымда «Дана Ерланқызы Садықова» деген адам жоқ" in texts(replies)
    replies = await harness.press(head, replies[-1], "Иә, тізімнен тыс тыңдаушы")
    await harness.say(head, "Цифрлық сауаттылық (МООК)")
    replies = await harness.say(head, "3")
    assert "сертификаты берілді" in texts(replies)
    text = pdf_text((await files_of(demo, replies))[0][1])
    assert "Садықова Д. Е." in text and "Цифрлық сауаттылық (МООК)" in text
    async with demo.sessions() as session:
        listener = await session.scalar(select(Person).where(Person.full_name == "Дана Ерланқызы Садықова"))
        assert listener is not None
        assert await session.scalar(select(PersonRole).where(PersonRole.person_id == listener.id)) is None
