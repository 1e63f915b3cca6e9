"""The outbox's set-based entry: one INSERT ... SELECT makes complete rows, a second one adds none."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Select, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Reply
from bot.queues.outbox import enqueue_from_select
from db.base import JSONType, utcnow
from db.models import Channel, MessengerAccount, Organization, OutboxMessage, OutboxStatus, Person
from db.statements import joined_text

VARS = {"template": "reminder", "1": "«Essay» (History)", "2": "1 May 18:00"}


async def two_people(session: AsyncSession) -> tuple[int, int]:
    """Two people; only the first has a WhatsApp account."""
    org = Organization(name="College")
    session.add(org)
    await session.flush()
    on_whatsapp = Person(organization_id=org.id, full_name="Aruzhan")
    on_telegram = Person(organization_id=org.id, full_name="Dana")
    session.add_all([on_whatsapp, on_telegram])
    await session.flush()
    session.add_all(
        [
            MessengerAccount(channel=Channel.whatsapp, external_id="+77010000001", person_id=on_whatsapp.id),
            MessengerAccount(channel=Channel.telegram, external_id="1002", person_id=on_telegram.id),
        ]
    )
    await session.flush()
    return on_whatsapp.id, on_telegram.id


def one_per_person(text: str) -> Select[Any]:
    return select(
        Person.id.label("person_id"),
        literal(Reply(text).to_json(), JSONType).label("payload"),
        literal(VARS, JSONType).label("template_vars"),
        joined_text("bulk:", Person.id).label("dedupe_key"),
    )


async def test_rows_are_made_whole_and_a_repeat_adds_none(session: AsyncSession) -> None:
    moment = utcnow().replace(microsecond=0) + dt.timedelta(minutes=5)
    async with session.begin():
        whatsapp_id, telegram_id = await two_people(session)
        added = await enqueue_from_select(
            session, one_per_person("first"), kind="reminder", priority=3, not_before=moment
        )
        again = await enqueue_from_select(session, one_per_person("second"), kind="reminder")
    assert (added, again) == (2, 0)

    rows = {row.person_id: row for row in (await session.scalars(select(OutboxMessage))).all()}
    assert set(rows) == {whatsapp_id, telegram_id}
    for person_id, row in rows.items():
        assert (row.kind, row.priority, row.status, row.attempts) == ("reminder", 3, OutboxStatus.pending, 0)
        assert row.not_before == moment and row.dedupe_key == f"bulk:{person_id}"
        assert Reply.from_json(row.payload).text == "first"  # the repeat changed nothing
    # Template variables only where WhatsApp could need them.
    assert rows[whatsapp_id].template_vars == VARS
    assert rows[telegram_id].template_vars is None


async def test_a_select_missing_a_column_is_refused(session: AsyncSession) -> None:
    with pytest.raises(ValueError, match="dedupe_key"):
        await enqueue_from_select(session, select(Person.id.label("person_id")), kind="reminder")
