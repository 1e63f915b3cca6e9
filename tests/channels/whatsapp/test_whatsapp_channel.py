"""WhatsApp end to end: signed webhooks into the inbox, the core, the outbox, and Twilio's stand-in."""

from __future__ import annotations

import datetime as dt
import json
import re

from sqlalchemy import func, select, update

from bot.core.messages import Reply
from bot.queues.outbox import enqueue
from bot.services.admin.demo import ensure_demo
from bot.services.people.invites import create_invite
from db.base import utcnow
from db.models import (
    Channel,
    FileName,
    InboxUpdate,
    MessengerAccount,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonRole,
    Role,
    StoredFile,
    WhatsAppBusinessStart,
)
from tests.channels.whatsapp.conftest import TEMPLATES, Phone, WhatsApp, text_of
from tests.stand_ins.twilio_api import SentMessage

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000") + b"\0" * 200 + b"\xff\xd9"


async def count(wa: WhatsApp, model: type) -> int:
    async with wa.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def joined_student(wa: WhatsApp, locale: str = "kk") -> tuple[Phone, Person]:
    """A demo student of that language, joined from a fresh WhatsApp number by typing the code."""
    phone, person, _ = await join(wa, locale)
    return phone, person


async def join(wa: WhatsApp, locale: str = "kk") -> tuple[Phone, Person, list[SentMessage]]:
    await ensure_demo(wa.runtime)
    async with wa.runtime.sessions() as session, session.begin():
        person = await session.scalar(
            select(Person)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(
                PersonRole.role == Role.student,
                Person.locale == locale,
                ~select(MessengerAccount.id).where(MessengerAccount.person_id == Person.id).exists(),
            )
            .order_by(Person.id)
            .limit(1)
        )
        assert person is not None
        code = (await create_invite(session, person, Role.student)).code
    phone = wa.phone()
    answer = await phone.send(f"{code[:4]} {code[4:].lower()}")  # typed from paper, with a space
    return phone, person, answer


async def test_forged_and_unsigned_webhooks_are_refused_and_store_nothing(wa: WhatsApp) -> None:
    form = wa.twilio.inbound_form("+77010000001", "Сәлем")
    assert await wa.post("/whatsapp/inbound", form, signature=False) == 403
    assert await wa.post("/whatsapp/inbound", form, signature="Zm9yZ2VkIHNpZ25hdHVyZQ==") == 403
    # Signed for the local address instead of the public URL Twilio was given: refused too.
    status, _ = await wa.twilio.post_webhook(wa.url + "/whatsapp/inbound", form, signed_url=None)
    assert status == 403
    # A body changed after signing.
    from tests.stand_ins.twilio_api import sign

    signature = sign(wa.twilio.auth_token, "https://ustaz.example.kz/whatsapp/inbound", form)
    status, _ = await wa.twilio.post_webhook(
        wa.url + "/whatsapp/inbound", {**form, "Body": "басқа"}, signature=signature
    )
    assert status == 403
    assert await count(wa, InboxUpdate) == 0
    assert await count(wa, MessengerAccount) == 0
    status_form = wa.twilio.status_form("SM" + "0" * 32, "delivered")
    assert await wa.post("/whatsapp/status", status_form, signature=False) == 403


async def test_joining_by_code_in_kazakh(wa: WhatsApp) -> None:
    stranger = wa.phone()
    welcome = text_of(await stranger.send("Сәлеметсіз бе"))
    assert "шақыру кодын жіберіңіз" in welcome  # asked for the invite code, in Kazakh (the default)
    assert "1. Қазақша\n2. Русский" in welcome  # the language buttons, as numbered choices
    unknown = text_of(await stranger.send("ABCD2345"))
    assert "Мұндай шақыру коды табылмады" in unknown

    phone, person, answer = await join(wa, "kk")
    assert "Сіз қосылдыңыз" in text_of(answer) and person.full_name in text_of(answer)
    async with wa.runtime.sessions() as session:
        account = await session.scalar(
            select(MessengerAccount).where(MessengerAccount.external_id == phone.number)
        )
    assert account is not None and account.channel is Channel.whatsapp and account.person_id == person.id
    assert account.display_name == "Айгерім" and account.last_inbound_at is not None


async def test_numbered_choice_dialog_in_kazakh(wa: WhatsApp) -> None:
    phone, person = await joined_student(wa, "kk")
    menu = text_of(await phone.send("/menu"))
    assert menu.startswith("Басты мәзір")
    assert "\n\n1. Сабақ кестесі\n" in menu
    assert menu.endswith("\n\nТаңдауыңыздың нөмірін немесе атауын жазыңыз.")
    choices = dict(re.findall(r"^(\d+)\. (.+)$", menu, flags=re.M))
    language_number = next(n for n, label in choices.items() if label == "Тіл")

    # The number of a choice presses its button.
    languages = text_of(await phone.send(language_number))
    assert languages.startswith("Тілді таңдаңыз:") and "1. Қазақша\n2. Русский" in languages
    # So does its label, typed in any case: the dialog goes on, now in Russian.
    switched = text_of(await phone.send("русский"))
    assert switched.startswith("Хорошо, теперь говорим по-русски.")
    assert f"\n{language_number}. Язык\n" in switched
    assert switched.endswith("\n\nОтветьте номером или названием выбранного пункта.")
    async with wa.runtime.sessions() as session:
        assert (await session.get(Person, person.id)).locale == "ru"  # type: ignore[union-attr]

    # A number that was not offered is not a press: the person gets the usual help.
    unknown = text_of(await phone.send("77"))
    assert "теперь говорим" not in unknown and "1. " in unknown
    # Choices belong to the last message that offered them: now "1" is that help's "Main menu".
    assert text_of(await phone.send("1")).startswith("Главное меню")
    assert "/menu" in text_of(await phone.send("справка"))


async def test_redelivered_message_is_applied_once(wa: WhatsApp) -> None:
    phone = wa.phone()
    await phone.send("Сәлем", message_sid="SM" + "1" * 32)
    first = len(wa.twilio.sent)
    await phone.send("Сәлем", message_sid="SM" + "1" * 32)  # Twilio's retry of the same message
    assert len(wa.twilio.sent) == first
    assert await count(wa, InboxUpdate) == 1


async def test_a_photo_and_a_pdf_are_stored(wa: WhatsApp) -> None:
    phone, person = await joined_student(wa)
    await phone.send("Үй тапсырмасы", media=[(JPEG, "image/jpeg")])
    await phone.send("", media=[(PDF, "application/pdf")])
    async with wa.runtime.sessions() as session:
        rows = (
            await session.execute(
                select(FileName.kind, FileName.uploaded_by_id, StoredFile.mime, StoredFile.sha256)
                .join(StoredFile, StoredFile.id == FileName.stored_file_id)
                .order_by(FileName.id)
            )
        ).all()
    assert [(k, who, mime) for k, who, mime, _ in rows] == [
        ("photo", person.id, "image/jpeg"),
        ("document", person.id, "application/pdf"),
    ]
    for *_, sha in rows:
        assert wa.runtime.files.path_for(sha).exists()
    assert len(wa.twilio.media_fetches) == 2


async def test_an_oversized_image_is_refused_in_the_persons_language(wa: WhatsApp) -> None:
    phone, _ = await joined_student(wa)
    big = JPEG[:-2] + b"\0" * (5 * 1024 * 1024) + b"\xff\xd9"
    answer = text_of(await phone.send("", media=[(big, "image/jpeg")]))
    assert "тым үлкен" in answer and "шегі — 5 МБ" in answer
    assert await count(wa, StoredFile) == 0


async def test_reminder_to_someone_silent_for_25_hours_goes_as_a_template(wa: WhatsApp) -> None:
    phone, person = await joined_student(wa, "kk")
    async with wa.runtime.sessions() as session, session.begin():
        await session.execute(
            update(MessengerAccount)
            .where(MessengerAccount.external_id == phone.number)
            .values(last_inbound_at=utcnow() - dt.timedelta(hours=25))
        )
        reminder = await enqueue(
            session,
            Reply("Ертең 18:00 дейін: Математика, үй тапсырмасы"),
            person_id=person.id,
            kind="reminder",
            template_vars={"1": "Математика", "2": "ертең 18:00"},
        )
        # A kind with no template: it must wait, marked, never dropped.
        notice = await enqueue(session, Reply("Хабарландыру"), person_id=person.id, kind="announcement")
    await wa.settle()
    (sent,) = phone.received()
    assert sent.content_sid == TEMPLATES["reminder"]["kk"] and sent.body is None
    assert json.loads(sent.get("ContentVariables") or "") == {"1": "Математика", "2": "ертең 18:00"}
    async with wa.runtime.sessions() as session:
        rows = {r.id: r for r in (await session.scalars(select(OutboxMessage))).all()}
        starts = await session.scalar(select(func.count()).select_from(WhatsAppBusinessStart))
    assert rows[reminder].status is OutboxStatus.sent and rows[reminder].external_message_id == sent.sid
    assert rows[notice].status is OutboxStatus.waiting_template
    assert starts == 1

    # The person writes: the window opens and the waiting message goes as an ordinary one.
    answers = await phone.send("Сәлем")
    assert "Хабарландыру" in text_of(answers)
    async with wa.runtime.sessions() as session:
        assert (await session.get(OutboxMessage, notice)).status is OutboxStatus.sent  # type: ignore[union-attr]


async def test_status_callbacks_recorded_and_never_backwards(wa: WhatsApp) -> None:
    phone = wa.phone()
    (answer, *_) = await phone.send("Сәлем")
    async with wa.runtime.sessions() as session:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.external_message_id == answer.sid)
        )
    assert row is not None and row.status is OutboxStatus.sent
    callback = answer.get("StatusCallback") or ""
    path = callback.removeprefix("https://ustaz.example.kz")
    assert path.startswith("/whatsapp/status?")

    for state in ("delivered", "sent", "read", "delivered"):  # out of order: read must stay
        assert await wa.post(path, wa.twilio.status_form(answer.sid, state)) == 204
    async with wa.runtime.sessions() as session:
        row = await session.get(OutboxMessage, row.id)
    assert row is not None and row.status is OutboxStatus.read

    # A failure with Twilio's error code, on another message.
    (second, *_) = await phone.send("/help")
    path = (second.get("StatusCallback") or "").removeprefix("https://ustaz.example.kz")
    assert await wa.post(path, wa.twilio.status_form(second.sid, "undelivered", error_code=63024)) == 204
    assert await wa.post(path, wa.twilio.status_form(second.sid, "sent")) == 204
    async with wa.runtime.sessions() as session:
        failed = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.external_message_id == second.sid)
        )
    assert failed is not None and failed.status is OutboxStatus.undelivered and failed.error_code == "63024"


async def test_twilio_429_is_retried_and_sent_once(wa: WhatsApp) -> None:
    phone = wa.phone()
    wa.twilio.fail_next(429)
    wa.twilio.fail_next(503)
    answers = await phone.send("Сәлем")
    assert len(answers) == len(set(m.body for m in answers)) >= 1
    statuses = [s for method, path, s in wa.twilio.requests if path.endswith("/Messages.json")]
    assert statuses[:2] == [429, 503] and statuses[2:] == [201] * len(answers)
    async with wa.runtime.sessions() as session:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.external_message_id == answers[-1].sid)
        )
    assert row is not None and row.status is OutboxStatus.sent and row.attempts == 2


async def test_media_twilio_will_not_give_is_kept_and_apologized_for(wa: WhatsApp) -> None:
    phone, _ = await joined_student(wa)
    gone = wa.twilio.add_media(PDF, "application/pdf").rsplit("/", 1)[0] + "/ME" + "0" * 32
    form = wa.twilio.inbound_form(phone.number, "", media=[(gone, "application/pdf")])
    assert await wa.post("/whatsapp/inbound", form) == 200
    await wa.settle()
    assert "Кешіріңіз" in text_of(phone.received())
    async with wa.runtime.sessions() as session:
        row = await session.scalar(select(InboxUpdate).where(InboxUpdate.external_id == form["MessageSid"]))
    assert row is not None and row.status.value == "failed" and "MediaUnavailable" in (row.error or "")
