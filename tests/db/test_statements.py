"""The one insert-or-ignore, on both databases: a duplicate is skipped and returns no id."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Channel, InboxStatus, InboxUpdate
from db.statements import dialect_insert, insert_or_ignore


def update_row(external_id: str, text: str) -> dict[str, object]:
    return dict(
        channel=Channel.telegram,
        external_id=external_id,
        chat_key="telegram:1",
        payload={"text": text},
        status=InboxStatus.new,
        attempts=0,
        received_at=utcnow(),
    )


async def test_a_duplicate_is_ignored_and_returns_no_id(session: AsyncSession) -> None:
    stmt = insert_or_ignore(session, InboxUpdate, ["channel", "external_id"]).returning(InboxUpdate.id)
    async with session.begin():
        first = await session.scalar(stmt, update_row("u1", "first"))
        again = await session.scalar(stmt, update_row("u1", "second"))
        other = await session.scalar(stmt, update_row("u2", "other"))
    assert isinstance(first, int) and isinstance(other, int) and first != other
    assert again is None
    rows = (await session.execute(select(InboxUpdate.external_id, InboxUpdate.payload))).all()
    assert sorted(rows) == [("u1", {"text": "first"}), ("u2", {"text": "other"})]  # the first one kept


async def test_built_from_a_dialect_name_without_a_session(session: AsyncSession) -> None:
    """The inbox builds its statement once per dialect, before any session exists."""
    name = session.bind.dialect.name if session.bind is not None else ""
    stmt = insert_or_ignore(name, InboxUpdate, ["channel", "external_id"])
    async with session.begin():
        await session.execute(stmt, [update_row("u1", "a"), update_row("u1", "b")])
    assert await session.scalar(select(func.count()).select_from(InboxUpdate)) == 1


def test_an_unknown_dialect_is_refused() -> None:
    with pytest.raises(ValueError, match="mysql"):
        dialect_insert("mysql", InboxUpdate)
