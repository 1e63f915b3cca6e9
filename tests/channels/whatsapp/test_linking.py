"""One person on the web chat and WhatsApp: «My messengers» gives a link code, the code sent from a phone
links that number to the same person, notices go where the person chose, and a number is unlinked."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.core.messages import Reply
from bot.services.admin.demo import ensure_demo
from bot.services.messaging.notify import notify
from db.models import Channel, LinkCode, MessengerAccount, Person
from tests.channels.whatsapp.conftest import WhatsApp, text_of
from tests.harness import Harness, Seat, texts

ANNA = "Анна Сергеевна Петрова"  # a Russian-speaking student of the demo school
# A number not yet linked speaks the school's language, Kazakh.
UNKNOWN = "байланыстыру коды белгісіз немесе мерзімі өтті"


async def person_id(wa: WhatsApp, name: str) -> int:
    async with wa.runtime.sessions() as session:
        found = await session.scalar(select(Person.id).where(Person.full_name == name))
    assert found is not None
    return found


async def link_code(harness: Harness, web: Seat) -> str:
    shown = await harness.tap(web, "Мои мессенджеры", "Привязать другой мессенджер")
    found = re.search(r"Ваш код привязки: ([A-Z0-9]{5}-[A-Z0-9]{5})", texts(shown))
    assert found, texts(shown)
    return found.group(1)


async def whatsapp_owner(wa: WhatsApp, number: str) -> int | None:
    async with wa.runtime.sessions() as session:
        return await session.scalar(
            select(MessengerAccount.person_id).where(
                MessengerAccount.channel == Channel.whatsapp, MessengerAccount.external_id == number
            )
        )


async def announce(wa: WhatsApp, to: int, text: str) -> None:
    async with wa.runtime.sessions() as session, session.begin():
        await notify(session, [to], lambda t: Reply(text), kind="announcement")
    await wa.settle()


async def test_a_code_from_the_web_links_a_whatsapp_number_to_the_same_person(wa: WhatsApp) -> None:
    await ensure_demo(wa.runtime)
    harness = Harness(wa.runtime)
    anna = await person_id(wa, ANNA)
    web = await harness.seat_for(ANNA)
    code = await link_code(harness, web)
    async with wa.runtime.sessions() as session:
        people = await session.scalar(select(func.count()).select_from(Person))
        hashes = (await session.scalars(select(LinkCode.code_hash).where(LinkCode.person_id == anna))).all()
    assert len(hashes) == 1 and code.replace("-", "") not in hashes[0]  # only a hash is kept

    phone = wa.phone(name="Анна")
    assert UNKNOWN in text_of(await phone.send("ABCDE-FGH23"))
    assert await whatsapp_owner(wa, phone.number) is None
    linked = text_of(await phone.send(code.lower()))
    assert "Этот мессенджер теперь привязан к вам" in linked and ANNA in linked
    assert await whatsapp_owner(wa, phone.number) == anna
    async with wa.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == people  # nobody new

    # The code worked once: another phone sending it is refused.
    other = wa.phone(name="Кто-то")
    assert UNKNOWN in text_of(await other.send(code))
    assert await whatsapp_owner(wa, other.number) is None

    # Both accounts are listed; notices go where Anna chooses, whichever she wrote from last.
    listed = await harness.tap(web, "Мои мессенджеры")
    assert f"WhatsApp {phone.number}" in texts(listed) and "Веб-чат — вы пишете из него" in texts(listed)
    chosen = await harness.tap(web, "Уведомления в Веб-чат", on=listed)
    assert "Уведомления будут приходить сначала в Веб-чат" in texts(chosen)
    await phone.send("меню")  # WhatsApp is now the account she wrote from last
    await announce(wa, anna, "Завтра занятий нет.")
    assert "Завтра занятий нет." in texts(await harness.received(web))
    assert "Завтра занятий нет." not in text_of(phone.received())

    await harness.tap(web, "Мои мессенджеры", "Уведомления в WhatsApp")
    await announce(wa, anna, "Экзамен в пятницу.")
    assert "Экзамен в пятницу." in text_of(phone.received())
    assert "Экзамен в пятницу." not in texts(await harness.received(web))

    # Unlinking WhatsApp, after a question; the last messenger cannot be unlinked.
    asked = await harness.tap(web, "Мои мессенджеры", "Отвязать WhatsApp")
    assert "Отвязать WhatsApp" in texts(asked)
    done = await harness.tap(web, "Да, отвязать", on=asked)
    assert "отвязан" in texts(done) and "Отвязать" not in " ".join(
        b.label for r in done for row in r.buttons for b in row
    )
    assert await whatsapp_owner(wa, phone.number) is None
    assert "шақыру кодын" in text_of(await phone.send("меню"))  # a stranger again: the welcome


async def test_wrong_codes_from_one_number_are_limited(wa: WhatsApp) -> None:
    await ensure_demo(wa.runtime)
    harness = Harness(wa.runtime)
    web = await harness.seat_for(ANNA)
    code = await link_code(harness, web)
    phone = wa.phone()
    for _ in range(5):
        assert UNKNOWN in text_of(await phone.send("ABCDE-FGH23"))
    assert "қате кодтар тым көп" in text_of(await phone.send(code))
    assert await whatsapp_owner(wa, phone.number) is None


async def test_a_number_joined_as_someone_else_is_not_taken_over(wa: WhatsApp) -> None:
    await ensure_demo(wa.runtime)
    harness = Harness(wa.runtime)
    web = await harness.seat_for(ANNA)
    phone = wa.phone()
    first = await link_code(harness, web)
    await phone.send(first)
    dmitry_web = await harness.seat_for("Дмитрий Олегович Ли")
    second = await link_code(harness, dmitry_web)
    assert "уже привязан к другому человеку" in text_of(await phone.send(second))  # Anna's number
    assert await whatsapp_owner(wa, phone.number) == await person_id(wa, ANNA)
    only = await harness.tap(dmitry_web, "Мои мессенджеры")
    assert "Отвязать" not in " ".join(b.label for r in only for row in r.buttons for b in row)
