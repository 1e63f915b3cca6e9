"""What a screen counts is what will arrive: a WhatsApp-only person outside the 24-hour window without a
template waits for one; a blocked or never-joined one has no way; both are named."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.i18n import Translator
from bot.runtime import Runtime
from bot.services.messaging import reach
from db.base import utcnow
from db.models import Channel, MessengerAccount, Person


async def test_counts_name_who_waits_for_a_template_and_who_cannot_be_reached(demo: Runtime) -> None:
    names = [
        "Анна Сергеевна Петрова",
        "Дмитрий Олегович Ли",
        "Алина Руслановна Ахметова",
        "Камила Тимуровна Садыкова",
    ]
    async with demo.sessions() as session, session.begin():
        ids = {n: await session.scalar(select(Person.id).where(Person.full_name == n)) for n in names}
        anna, dmitry, alina, _kamila = (ids[n] for n in names)  # Камила never joined
        session.add_all(
            [
                MessengerAccount(channel=Channel.telegram, external_id="t-anna", person_id=anna),
                MessengerAccount(
                    channel=Channel.whatsapp,
                    external_id="+77010000001",
                    person_id=dmitry,
                    last_inbound_at=utcnow() - dt.timedelta(days=2),
                ),
                MessengerAccount(
                    channel=Channel.telegram, external_id="t-alina", person_id=alina, unreachable_at=utcnow()
                ),
            ]
        )
        await session.flush()
        found = await reach.reach(session, ids.values(), "assignment", {})
        assert (found.reached, found.total) == (1, 4)
        assert found.waiting_template == ["Дмитрий Олегович Ли"]
        assert found.unreachable == ["Алина Руслановна Ахметова", "Камила Тимуровна Садыкова"]
        text = reach.not_reached_text(Translator("ru"), found)
        assert "Не дойдёт до: Алина Руслановна Ахметова, Камила Тимуровна Садыкова" in text
        assert "пригласите их снова" in text and "Ждут шаблона WhatsApp: Дмитрий Олегович Ли" in text
        # With an approved template for the kind, WhatsApp outside the window reaches him.
        with_template = await reach.reach(session, ids.values(), "assignment", {"assignment": {"ru": "HX1"}})
        assert with_template.reached == 2 and with_template.waiting_template == []
