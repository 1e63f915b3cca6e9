"""The audit chain: written in the changing transaction, verified, and a direct SQL edit caught."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.admin import audit
from db.models import AuditRecord, Organization


async def _chain(sessions: async_sessionmaker[AsyncSession], n: int = 5) -> list[int]:
    async with sessions() as session, session.begin():
        org = Organization(name="Колледж")
        session.add(org)
        await session.flush()
        ids = []
        for i in range(n):
            rec = await audit.record(
                session,
                None,
                "grade",
                100 + i,
                "update",
                before={"score": Decimal("70.50") + i},
                after={"score": Decimal("85") + i, "comment": "Жақсы"},
                organization_id=org.id,
            )
            ids.append(rec.id)
        return ids


async def test_an_intact_chain_verifies(sessions: async_sessionmaker[AsyncSession]) -> None:
    await _chain(sessions)
    async with sessions() as session:
        verdict = await audit.verify(session)
    assert verdict.ok and verdict.checked == 5


async def test_a_direct_sql_update_is_caught(sessions: async_sessionmaker[AsyncSession]) -> None:
    ids = await _chain(sessions)
    async with sessions() as session, session.begin():
        tamper = text("UPDATE audit_record SET entity_id = '999' WHERE id = :id")
        await session.execute(tamper, {"id": ids[2]})
    async with sessions() as session:
        verdict = await audit.verify(session)
    assert not verdict.ok
    assert verdict.broken_id == ids[2] and verdict.checked == 2


async def test_a_rewritten_hash_breaks_the_next_link(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Whoever recomputes one record's hash after an edit still breaks the record after it."""
    ids = await _chain(sessions)
    async with sessions() as session, session.begin():
        rec = await session.scalar(select(AuditRecord).where(AuditRecord.id == ids[1]))
        assert rec is not None
        rec.after = {"score": "100"}
        rec.hash = audit.compute_hash(rec, rec.prev_hash)
    async with sessions() as session:
        verdict = await audit.verify(session)
    assert verdict.broken_id == ids[2]


async def test_a_deleted_record_is_caught(sessions: async_sessionmaker[AsyncSession]) -> None:
    ids = await _chain(sessions)
    async with sessions() as session, session.begin():
        await session.execute(text("DELETE FROM audit_record WHERE id = :id"), {"id": ids[3]})
    async with sessions() as session:
        verdict = await audit.verify(session)
    assert verdict.broken_id == ids[4]
