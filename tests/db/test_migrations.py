"""Migrations from empty, down and up again, on both databases."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from db.base import Base
from db.migrate import downgrade, upgrade


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_stairway_down_to_empty_and_up_again(engine: AsyncEngine) -> None:
    assert set(Base.metadata.tables) <= await table_names(engine)

    await downgrade(engine, "base")
    assert await table_names(engine) <= {"alembic_version"}

    await upgrade(engine, "head")
    assert set(Base.metadata.tables) <= await table_names(engine)


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    """Autogenerate finds nothing to add: no model change is missing its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def diff(conn: object) -> list[object]:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})  # type: ignore[arg-type]
        return compare_metadata(ctx, Base.metadata)

    async with engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == []
