"""WhatsApp's numbers belong to the dialog in progress: a notice arriving meanwhile does not take
them over, a re-asked step keeps them, and a bare «2» typed as an answer never throws work away."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.core.messages import Button, OutFile, Reply
from bot.queues.outbox import enqueue
from db.models import Assignment, DistanceApplication, Submission
from tests.channels.whatsapp.conftest import WhatsApp, text_of
from tests.channels.whatsapp.test_whatsapp_channel import JPEG, PDF, joined_student


def number_of(text: str, label: str) -> str:
    found = dict((lbl, n) for n, lbl in re.findall(r"^(\d+)\. (.+)$", text, flags=re.M))
    assert label in found, f"{label!r} not offered in:\n{text}"
    return found[label]


def number_starting(text: str, start: str) -> str:
    """The number of the offered line that begins with `start` (an assignment shows its deadline after it)."""
    found = [n for n, lbl in re.findall(r"^(\d+)\. (.+)$", text, flags=re.M) if lbl.startswith(start)]
    assert len(found) == 1, f"{start!r} not offered once in:\n{text}"
    return found[0]


async def open_work(wa: WhatsApp, phone, title: str) -> str:  # type: ignore[no-untyped-def]
    """From the menu to the assignment's «Submit work», by the numbers the phone is shown."""
    menu = text_of(await phone.send("/menu"))
    listing = text_of(await phone.send(number_of(menu, "Тапсырмалар")))
    card = text_of(await phone.send(number_starting(listing, title)))
    return text_of(await phone.send(number_of(card, "Жұмысты тапсыру")))


async def test_a_notice_mid_dialog_does_not_take_over_the_numbers(wa: WhatsApp) -> None:
    phone, person = await joined_student(wa, "kk")
    await open_work(wa, phone, "ER-диаграмма")
    collected = text_of(await phone.send("", media=[(JPEG, "image/jpeg")]))
    confirm = number_of(collected, "Растау және тапсыру")
    async with wa.runtime.sessions() as session, session.begin():
        notice = Reply("Жаңа тест жарияланды.", buttons=[[Button("Тестті бастау", "quiz:1")]])
        await enqueue(session, notice, person_id=person.id, kind="assignment")
    await wa.settle()
    shown = text_of(phone.received())
    assert "Жаңа тест жарияланды." in shown and "Тестті бастау" not in shown  # no numbers of its own
    receipt = text_of(await phone.send(confirm))
    assert "Түбіртек №" in receipt
    async with wa.runtime.sessions() as session:
        mine = (
            select(func.count())
            .select_from(Submission)
            .join(Assignment, Assignment.id == Submission.assignment_id)
            .where(Submission.student_id == person.id, Assignment.title == "ER-диаграмма")
        )
        assert await session.scalar(mine) == 1


async def test_a_re_asked_step_keeps_its_numbers(wa: WhatsApp) -> None:
    phone, _ = await joined_student(wa, "kk")
    menu = text_of(await phone.send("/menu"))
    categories = text_of(await phone.send(number_of(menu, "ҚБТ бойынша оқуға өтініш")))
    first = re.search(r"^1\. (.+)$", categories, flags=re.M)
    assert first is not None
    assert "батырмамен" in text_of(await phone.send("ертең")).lower()  # a typo: the step asks again
    reason = text_of(await phone.send("1"))  # the category list's «1» still holds
    assert "себебін" in reason.lower()
    async with wa.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DistanceApplication)) == 0


async def test_a_bare_number_never_throws_a_draft_away(wa: WhatsApp) -> None:
    phone, _ = await joined_student(wa, "kk")
    await open_work(wa, phone, "ER-диаграмма")
    collected = text_of(await phone.send("", media=[(JPEG, "image/jpeg")]))
    cancel = number_of(collected, "Бас тарту")
    asked = text_of(await phone.send(cancel))  # meant as an answer, read as «Cancel»
    assert "Жіберген нәрселеріңізді өшіру керек пе?" in asked
    kept = text_of(await phone.send(number_of(asked, "Жоқ, қалдыру")))
    assert "Сақталды." in kept
    receipt = text_of(await phone.send(number_of(kept, "Растау және тапсыру")))
    assert "Түбіртек №" in receipt and ".jpg" in receipt


async def test_a_file_too_big_for_whatsapp_arrives_as_a_link(wa: WhatsApp) -> None:
    phone, person = await joined_student(wa, "kk")
    big_photo = JPEG[:-2] + b"\0" * (6 * 1024 * 1024) + b"\xff\xd9"  # over WhatsApp's 5 MB for images
    async with wa.runtime.sessions() as session, session.begin():
        stored = await wa.runtime.files.save(session, big_photo, "plan.jpg", "photo")
        small = await wa.runtime.files.save(session, PDF, "kesté.pdf", "document")
        reply = Reply("Сабақ жоспары", files=[OutFile(stored.id), OutFile(small.id)])
        await enqueue(session, reply, person_id=person.id, kind="announcement")
    await wa.settle()
    sent = phone.received()
    media = [url for m in sent for url in m.media_urls]
    assert len(media) == 1 and "kest" in media[0]  # the PDF goes as media
    assert "📎 " in text_of(sent) and "plan.jpg" in text_of(sent)  # the big photo as a link
