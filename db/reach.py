"""The first connection, said plainly: a PostgreSQL database that does not exist yet is created
when the login may create databases; a server that does not answer, a refused login or a missing
database the login may not create end in one line saying what is wrong and what to do, instead of
a driver's traceback."""

from __future__ import annotations

from sqlalchemy import make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

MAINTENANCE_DATABASE = "postgres"
NO_ANSWER = {"ConnectionRefusedError", "OSError", "TimeoutError", "gaierror", "CannotConnectNowError"}


class DatabaseUnreachable(Exception):
    """What is wrong with the database connection, in one line, with what to do."""


def _causes(exc: BaseException) -> list[str]:
    """The class names along the exception's chain (SQLAlchemy wraps the driver's error)."""
    names: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(names) < 10:
        names.append(type(seen).__name__)
        seen = seen.__cause__ or getattr(seen, "orig", None) or seen.__context__
    return names


async def reach(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        return  # the file is made on first use, its folder by make_engine
    url = make_url(database_url)
    try:
        await _connect(url)
    except Exception as exc:
        causes = _causes(exc)
        if "InvalidCatalogNameError" in causes:
            await _create(url)
            return
        raise _explained(url, exc, causes) from exc


async def _connect(url: URL) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


async def _create(url: URL) -> None:
    admin = create_async_engine(
        url.set(database=MAINTENANCE_DATABASE), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    name = url.database or ""
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name.replace(chr(34), chr(34) * 2)}"'))
    except Exception as exc:
        raise DatabaseUnreachable(
            f"The PostgreSQL database {name!r} does not exist and user {url.username!r} may not create it: "
            f"create it (createdb -O {url.username} {name}) or name an existing one in USTAZ_DATABASE_URL."
        ) from exc
    finally:
        await admin.dispose()


def _explained(url: URL, exc: Exception, causes: list[str]) -> Exception:
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    if {"InvalidPasswordError", "InvalidAuthorizationSpecificationError"} & set(causes):
        return DatabaseUnreachable(
            f"PostgreSQL at {where} refused the login of user {url.username!r}: check the user and password "
            "in USTAZ_DATABASE_URL."
        )
    if NO_ANSWER & set(causes):
        return DatabaseUnreachable(
            f"PostgreSQL at {where} does not answer: start it, or correct the host and port in "
            "USTAZ_DATABASE_URL."
        )
    return exc
