"""The outbox's WhatsApp side: parts never sent twice, the daily cap, waiting templates, callbacks, pacing."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import quote

import aiohttp
from sqlalchemy import select, update

from bot.channels.whatsapp.sender import RateLimiter, template_variables
from bot.core.messages import OutFile, Reply
from bot.queues.outbox import enqueue
from db.base import utcnow
from db.models import MessengerAccount, OutboxMessage, OutboxStatus, WhatsAppPart
from tests.channels.whatsapp.conftest import TEMPLATES, Phone, WhatsApp
from tests.channels.whatsapp.test_whatsapp_channel import joined_student
from tests.stand_ins.twilio_api import SentMessage


async def silence(wa: WhatsApp, number: str, hours: float) -> None:
    async with wa.runtime.sessions() as session, session.begin():
        await session.execute(
            update(MessengerAccount)
            .where(MessengerAccount.external_id == number)
            .values(last_inbound_at=utcnow() - dt.timedelta(hours=hours))
        )


async def outbox_row(wa: WhatsApp, row_id: int) -> OutboxMessage:
    async with wa.runtime.sessions() as session:
        row = await session.get(OutboxMessage, row_id)
    assert row is not None
    return row


async def test_a_long_message_retried_after_429_sends_no_part_twice(wa: WhatsApp) -> None:
    phone, person = await joined_student(wa)
    text = "\n\n".join(f"{i}. " + "Тақырыптық кесте жаңартылды. " * 40 for i in range(1, 4))
    async with wa.runtime.sessions() as session, session.begin():
        row_id = await enqueue(session, Reply(text), person_id=person.id, kind="notice")
    wa.twilio.fail_next(429, after=1)  # the first part goes, the second is refused once
    await wa.settle()
    parts = phone.received()
    assert len(parts) == 3 and all(len(p.body or "") <= 1600 for p in parts)
    assert len({p.body for p in parts}) == 3  # each part once
    assert " ".join(" ".join(p.body or "" for p in parts).split()) == " ".join(text.split())
    row = await outbox_row(wa, row_id)
    assert row.status is OutboxStatus.sent and row.attempts == 1 and row.external_message_id == parts[-1].sid


async def test_the_daily_cap_of_new_conversations_defers_the_rest(wa: WhatsApp) -> None:
    wa.runtime.settings.twilio_daily_cap = 1
    first, first_person = await joined_student(wa, "kk")
    second, second_person = await joined_student(wa, "kk")
    await silence(wa, first.number, 30)
    await silence(wa, second.number, 30)
    async with wa.runtime.sessions() as session, session.begin():
        a = await enqueue(session, Reply("Еске салу 1"), person_id=first_person.id, kind="reminder")
        b = await enqueue(session, Reply("Еске салу 2"), person_id=second_person.id, kind="reminder")
        again = await enqueue(session, Reply("Еске салу 3"), person_id=first_person.id, kind="reminder")
    await wa.settle()
    assert [m.content_sid for m in first.received()] == [TEMPLATES["reminder"]["kk"]] * 2
    assert second.received() == []
    deferred = await outbox_row(wa, b)
    assert deferred.status is OutboxStatus.pending and deferred.not_before > utcnow() + dt.timedelta(hours=23)
    assert "daily cap" in (deferred.error or "")
    assert (await outbox_row(wa, a)).status is (await outbox_row(wa, again)).status is OutboxStatus.sent


async def test_waiting_messages_go_once_their_kind_has_a_template(wa: WhatsApp) -> None:
    phone, person = await joined_student(wa, "ru")
    await silence(wa, phone.number, 48)
    async with wa.runtime.sessions() as session, session.begin():
        row_id = await enqueue(
            session, Reply("Завтра собрание\nв 18:00"), person_id=person.id, kind="announcement"
        )
    await wa.settle()
    assert (await outbox_row(wa, row_id)).status is OutboxStatus.waiting_template
    assert phone.received() == []

    wa.runtime.settings.twilio_templates = {**TEMPLATES, "announcement": {"kk": "HX" + "c" * 32}}
    (tick,) = [t for t in wa.runtime.ticks if t.name == "whatsapp-templates"]
    assert await tick.run(wa.runtime) == 1
    await wa.settle()
    (sent,) = phone.received()
    # No Russian template for announcements: the Kazakh one of the same kind goes rather than nothing.
    assert sent.content_sid == "HX" + "c" * 32
    assert sent.get("ContentVariables") == '{"1": "Завтра собрание в 18:00"}'
    assert (await outbox_row(wa, row_id)).status is OutboxStatus.sent


async def test_a_status_callback_that_overtakes_the_api_answer_is_kept(wa: WhatsApp) -> None:
    phone, person = await joined_student(wa)
    async with wa.runtime.sessions() as session, session.begin():
        row_id = await enqueue(session, Reply("Бағаңыз қойылды"), person_id=person.id, kind="notice")
    # Twilio reports delivery before its API has answered the send.
    wa.twilio.early_statuses = ["sent", "delivered"]
    wa.twilio.public_to_local = ("https://ustaz.example.kz", wa.url)
    await wa.settle()
    wa.twilio.early_statuses = []
    (sent,) = phone.received()
    assert (await outbox_row(wa, row_id)).status is OutboxStatus.sent
    async with wa.runtime.sessions() as session:
        (part,) = (await session.scalars(select(WhatsAppPart).where(WhatsAppPart.outbox_id == row_id))).all()
    assert (part.sid, part.status) == (sent.sid, "delivered")  # the early news was kept
    # The next callback (a late "sent") brings the row up to what is known: delivered.
    path = (sent.get("StatusCallback") or "").removeprefix("https://ustaz.example.kz")
    assert await wa.post(path, wa.twilio.status_form(sent.sid, "sent")) == 204
    assert (await outbox_row(wa, row_id)).status is OutboxStatus.delivered
    # A callback for a message Ustaz never sent is acknowledged and changes nothing.
    assert await wa.post("/whatsapp/status", wa.twilio.status_form("SM" + "8" * 32, "read")) == 204


def test_template_variables_are_flat_and_bounded() -> None:
    assert template_variables(None, "Бірінші жол\n\nекінші\tжол") == {"1": "Бірінші жол екінші жол"}
    assert template_variables({"template": "notice", "1": 5}, "x") == {"1": "5"}
    long = template_variables(None, "а" * 5000)["1"]
    assert len(long) == 1000 and long.endswith("…")


async def test_the_rate_limiter_spaces_sends() -> None:
    limiter = RateLimiter(per_second=50, slack=0.1)
    started = time.monotonic()
    for _ in range(21):
        await limiter.wait()
    # 21 calls at 50/s: 20 intervals, of which the slack (5 calls' worth) may go at once.
    assert time.monotonic() - started >= (20 - 5) / 50 * 0.95


async def test_whatsapp_says_the_window_is_closed_so_a_template_goes(wa: WhatsApp) -> None:
    phone, person = await joined_student(wa, "kk")
    async with wa.runtime.sessions() as session, session.begin():
        row_id = await enqueue(session, Reply("Ертең бақылау жұмысы"), person_id=person.id, kind="reminder")
    # Our clock says the person wrote recently; WhatsApp disagrees (error 63016).
    wa.twilio.fail_next(400, code=63016)
    await wa.settle()
    (sent,) = phone.received()
    assert sent.content_sid == TEMPLATES["reminder"]["kk"]
    assert (await outbox_row(wa, row_id)).status is OutboxStatus.sent


async def test_files_go_by_signed_links_to_the_bots_own_server(wa: WhatsApp) -> None:
    phone, person = await joined_student(wa)
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    async with wa.runtime.sessions() as session, session.begin():
        saved = await wa.runtime.files.save(session, pdf, "Тапсырма 3.pdf", "document")
        reply = Reply("Жаңа тапсырма", files=[OutFile(saved.id, "Тапсырма 3.pdf")])
        await enqueue(session, reply, person_id=person.id, kind="assignment")
    await wa.settle()
    text, document = phone.received()
    assert text.body == "Жаңа тапсырма" and text.media_urls == []
    (url,) = document.media_urls
    assert document.body == "Тапсырма 3.pdf"
    assert url.startswith("https://ustaz.example.kz/files/") and url.endswith("/" + quote("Тапсырма 3.pdf"))
    local = url.replace("https://ustaz.example.kz", wa.url)
    async with aiohttp.ClientSession() as http:
        async with http.get(local) as resp:
            assert resp.status == 200 and await resp.read() == pdf
        token = local.split("/files/", 1)[1].split("/", 1)[0]
        forged = local.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
        async with http.get(forged) as resp:
            assert resp.status == 404


async def test_a_message_cut_short_stays_failed_whatever_its_first_part_reports(wa: WhatsApp) -> None:
    phone, person = await joined_student(wa)
    text = "\n\n".join(f"{i}. " + "Оқу жоспары өзгерді. " * 60 for i in range(1, 3))
    async with wa.runtime.sessions() as session, session.begin():
        row_id = await enqueue(session, Reply(text), person_id=person.id, kind="notice")
    wa.twilio.fail_next(400, code=21617, after=1)  # Twilio refuses the second part for good
    await wa.settle()
    (first,) = phone.received()
    row = await outbox_row(wa, row_id)
    assert row.status is OutboxStatus.failed and row.error_code == "21617"
    path = (first.get("StatusCallback") or "").removeprefix("https://ustaz.example.kz")
    assert await wa.post(path, wa.twilio.status_form(first.sid, "delivered")) == 204
    assert (await outbox_row(wa, row_id)).status is OutboxStatus.failed


async def _refused_for_the_window(wa: WhatsApp, sent: SentMessage, status: str) -> None:
    """Twilio accepted the message, then its status callback reports WhatsApp's error 63016."""
    path = (sent.get("StatusCallback") or "").removeprefix("https://ustaz.example.kz")
    assert await wa.post(path, wa.twilio.status_form(sent.sid, status, error_code=63016)) == 204


async def _sent_free_form(wa: WhatsApp, text: str, kind: str) -> tuple[Phone, int, SentMessage]:
    """A student inside the window (by our clock) gets `text` free-form: the phone, the row, the message."""
    phone, person = await joined_student(wa, "kk")
    async with wa.runtime.sessions() as session, session.begin():
        row_id = await enqueue(session, Reply(text), person_id=person.id, kind=kind)
    assert row_id is not None
    await wa.settle()
    (free_form,) = phone.received()
    assert free_form.content_sid is None and free_form.body == text
    return phone, row_id, free_form


async def test_a_window_closed_reported_by_the_status_callback_sends_the_template(wa: WhatsApp) -> None:
    phone, row_id, free_form = await _sent_free_form(wa, "Ертең бақылау жұмысы", "reminder")
    await _refused_for_the_window(wa, free_form, "undelivered")
    await wa.settle()
    (template,) = phone.received()
    assert template.content_sid == TEMPLATES["reminder"]["kk"]
    row = await outbox_row(wa, row_id)
    assert (row.status, row.external_message_id) == (OutboxStatus.sent, template.sid)
    # Twilio's later "failed" for the same refused message sends nothing more.
    await _refused_for_the_window(wa, free_form, "failed")
    await wa.settle()
    assert phone.received() == []
    assert (await outbox_row(wa, row_id)).status is OutboxStatus.sent


async def test_a_window_closed_reported_by_the_status_callback_waits_for_a_template(wa: WhatsApp) -> None:
    phone, row_id, free_form = await _sent_free_form(wa, "Сабақ кестесі өзгерді", "notice")
    await _refused_for_the_window(wa, free_form, "failed")
    await wa.settle()
    assert phone.received() == []
    assert (await outbox_row(wa, row_id)).status is OutboxStatus.waiting_template
    # They write: the window is open again, and the notice goes free-form once more, once.
    replies = await phone.send("Сәлем")
    assert [m.body for m in replies].count("Сабақ кестесі өзгерді") == 1
    assert (await outbox_row(wa, row_id)).status is OutboxStatus.sent
