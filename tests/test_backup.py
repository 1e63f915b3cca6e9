"""`ustaz backup` and `ustaz restore` round trip: the school and its files come back in a new database."""

from __future__ import annotations

import contextlib
import tarfile
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import func, select

from bot.files.store import FileStore
from bot.ops.backup import Places, backup, restore
from bot.runtime import Runtime
from db.models import Person
from db.scratch import scratch_postgres
from db.session import make_engine, make_sessionmaker
from tests.conftest import PG_ADMIN_URL
from tests.test_cli import env_for, ustaz


@contextlib.asynccontextmanager
async def empty_database(db_kind: str, tmp_path: Path) -> AsyncIterator[str]:
    """A new database with no tables: where a restore may go."""
    if db_kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'ustaz.sqlite3'}"
        return
    async with scratch_postgres("ustaz_restore", PG_ADMIN_URL) as url:
        yield url


async def people_in(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(Person)) or 0)
    finally:
        await engine.dispose()


async def test_a_backup_restores_the_school_and_its_files_into_a_new_database(
    demo: Runtime, db_kind: str, tmp_path: Path
) -> None:
    work = "%PDF-1.4\n% Айдананың эссесі\n%%EOF\n".encode()
    async with demo.sessions() as session, session.begin():
        saved = await demo.files.save(session, work, "Эссе.pdf")
    people = await people_in(demo.settings.database_url.get_secret_value())
    source = Places(
        demo.settings.database_url.get_secret_value(), demo.settings.files_dir, tmp_path / "secret.key"
    )
    source.key_file.write_bytes(b"k" * 32)
    archive = backup(source, tmp_path / "backups" / "ustaz.tar.gz")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and "secret.key" in names and any(n.startswith("files/") for n in names)

    async with empty_database(db_kind, tmp_path) as url:
        target = Places(url, tmp_path / "restored" / "files", tmp_path / "restored" / "secret.key")
        manifest = await restore(target, archive)
        assert manifest["database"] == db_kind
        assert await people_in(url) == people > 0
        engine = make_engine(url)
        async with make_sessionmaker(engine)() as session:
            back = await FileStore(target.files_dir).load(session, saved.id)
        await engine.dispose()
        assert back.data == work and back.name == "Эссе.pdf"
        assert target.key_file.read_bytes() == b"k" * 32

        again = await ustaz("restore", str(archive), env=env_for(url, tmp_path / "again"), cwd=tmp_path)
        assert again[0] == 2 and "restore into a new" in again[1]  # never over a school's records
