"""UTC datetimes: aware in, aware out, on both databases; SQLite's text is SQLAlchemy's own."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import DateTime, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import UTCDateTime
from db.models import Channel, InboxStatus, InboxUpdate

ALMATY = dt.timezone(dt.timedelta(hours=5))
MOMENTS = [
    dt.datetime(2026, 12, 3, 21, 20, 5, 123456, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 3, 21, 20, 5, tzinfo=dt.UTC),  # no microseconds: still written, as SQLAlchemy does
    dt.datetime(2027, 1, 1, 2, 0, 0, 7, tzinfo=ALMATY),  # the day before, in UTC
    dt.datetime(999, 5, 6, 7, 8, 9, 10, tzinfo=dt.UTC),
]


@pytest.mark.parametrize("moment", MOMENTS)
def test_sqlite_text_is_what_sqlalchemys_datetime_writes(moment: dt.datetime) -> None:
    dialect = sqlite.dialect()
    ours = UTCDateTime().bind_processor(dialect)
    theirs = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert ours is not None and theirs is not None
    naive_utc = UTCDateTime().process_bind_param(moment, dialect)
    assert ours(moment) == theirs(naive_utc)
    assert ours(None) is None


def test_a_naive_datetime_is_refused() -> None:
    process = UTCDateTime().bind_processor(sqlite.dialect())
    assert process is not None
    with pytest.raises(ValueError, match="naive"):
        process(dt.datetime(2026, 12, 3, 12, 0))


async def test_stored_and_read_back_as_the_same_moment_and_ordered(session: AsyncSession) -> None:
    async with session.begin():
        for n, moment in enumerate(MOMENTS):
            session.add(
                InboxUpdate(
                    channel=Channel.telegram,
                    external_id=f"m{n}",
                    chat_key="telegram:1",
                    payload={},
                    status=InboxStatus.new,
                    attempts=0,
                    received_at=moment,
                )
            )
    got = (await session.scalars(select(InboxUpdate.received_at).order_by(InboxUpdate.received_at))).all()
    assert got == sorted(MOMENTS)
    assert all(g.tzinfo is not None and g.utcoffset() == dt.timedelta(0) for g in got)
