"""`ustaz backup` and `ustaz restore`: the database and the files store in one archive.

The archive (a .tar.gz, private to its owner) holds:
- database.sqlite3: SQLite's online backup, consistent while Ustaz keeps running; or
  database.dump: PostgreSQL's `pg_dump --format=custom`, also consistent while it runs;
- files/: the content-addressed files store (people's submitted work, orders, exports);
- secret.key: the file-link key, so links already sent keep working after a restore;
- manifest.json: what it holds and when it was made.

A restore goes only into an empty database (no tables yet) of the same kind, so it never mixes two
schools' records; the files are added to the store (same content, same name: nothing is overwritten).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, make_url
from sqlalchemy.engine import URL

from db.session import make_engine

FORMAT = 1


class BackupError(Exception):
    """What went wrong, in one line, with what to do."""


@dataclass(frozen=True)
class Places:
    database_url: str
    files_dir: Path
    key_file: Path


def _sqlite_path(url: URL) -> Path:
    return Path(url.database or "")


def _pg_env(url: URL) -> tuple[list[str], dict[str, str]]:
    """libpq's connection options and environment for pg_dump / pg_restore from a SQLAlchemy URL."""
    args = [
        "--host",
        url.host or "127.0.0.1",
        "--port",
        str(url.port or 5432),
        "--username",
        url.username or "",
    ]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed: install PostgreSQL's client tools (postgresql-client).")
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(
            f"{tool} failed: {done.stderr.strip().splitlines()[-1] if done.stderr else done.returncode}"
        )


def backup(places: Places, archive: Path) -> Path:
    url = make_url(places.database_url)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if url.get_backend_name() == "sqlite":
            source = sqlite3.connect(_sqlite_path(url))
            target = sqlite3.connect(work / "database.sqlite3")
            with target:
                source.backup(target)
            source.close()
            target.close()
            kind = "sqlite"
        else:
            args, env = _pg_env(url)
            dump = str(work / "database.dump")
            _run(["pg_dump", *args, "--format=custom", "--no-owner", "--file", dump, url.database or ""], env)
            kind = "postgresql"
        manifest = {"format": FORMAT, "database": kind, "made_at": dt.datetime.now(dt.UTC).isoformat()}
        (work / "manifest.json").write_text(json.dumps(manifest))
        archive.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive, "w:gz") as tar:
            for name in ("manifest.json", "database.sqlite3", "database.dump"):
                if (work / name).exists():
                    tar.add(work / name, arcname=name)
            if places.files_dir.exists():
                tar.add(places.files_dir, arcname="files")
            if places.key_file.exists():
                tar.add(places.key_file, arcname="secret.key")
    return archive


async def _is_empty(database_url: str) -> bool:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    return not tables


async def restore(places: Places, archive: Path) -> dict[str, str]:
    url = make_url(places.database_url)
    kind = "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive, "r:gz") as tar:
        work = Path(tmp)
        tar.extractall(work, filter="data")
        manifest = json.loads((work / "manifest.json").read_text())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{archive} is not an Ustaz backup of format {FORMAT}.")
        if manifest["database"] != kind:
            raise BackupError(
                f"The backup holds a {manifest['database']} database and USTAZ_DATABASE_URL names {kind}: "
                "restore into the same kind of database."
            )
        if kind == "sqlite":
            target = _sqlite_path(url)
            if target.exists() and target.stat().st_size > 0 and not await _is_empty(places.database_url):
                raise BackupError(f"{target} already holds a database: restore into a new, empty one.")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(work / "database.sqlite3", target)
        else:
            if not await _is_empty(places.database_url):
                raise BackupError(
                    f"The database {url.database!r} is not empty: restore into a new, empty one."
                )
            args, env = _pg_env(url)
            dump = str(work / "database.dump")
            _run(["pg_restore", *args, "--no-owner", "--dbname", url.database or "", dump], env)
        if (work / "files").exists():
            shutil.copytree(work / "files", places.files_dir, dirs_exist_ok=True)
        if (work / "secret.key").exists() and not places.key_file.exists():
            places.key_file.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(work / "secret.key", places.key_file)
    return dict(manifest)
