"""The `ustaz` command as a person runs it: demo, invite, and run serving the web chat."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
USTAZ = [sys.executable, "-m", "bot"]


def env_for(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("USTAZ_")}
    env.update(USTAZ_DATABASE_URL=database_url, USTAZ_FILES_DIR=str(tmp_path / "files"), **extra)
    # This checkout's code, whichever checkout the virtualenv was installed from.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


async def ustaz(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *USTAZ, *args, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


async def test_demo_prints_every_person_with_a_deep_link(
    database_url: str, tmp_path: Path, engine: object
) -> None:
    env = env_for(database_url, tmp_path, USTAZ_TELEGRAM_BOT_USERNAME="UstazDemoBot")
    code, out = await ustaz("demo", env=env, cwd=tmp_path)
    assert code == 0, out
    lines = [line.split("\t") for line in out.splitlines() if "\t" in line]
    roles = {line[0] for line in lines}
    assert {"head", "teacher", "student", "parent", "methodist"} <= roles
    student = next(line for line in lines if line[1] == "Айдана Серікқызы Бекова")
    assert student[2:4] == ["kk", "ПО-21"]
    assert student[4].startswith("https://t.me/UstazDemoBot?start=")
    assert sum(1 for line in lines if line[0] == "student") == 20

    code, out = await ustaz(
        "invite",
        "--role",
        "student",
        "--group",
        "ИС-22",
        "--name",
        "Жанна Ерікқызы Сапарова",
        "--lang",
        "ru",
        env=env,
        cwd=tmp_path,
    )
    assert code == 0, out
    assert "https://t.me/UstazDemoBot?start=" in out

    code, out = await ustaz(
        "invite", "--role", "student", "--group", "НЕТ-1", "--name", "X", env=env, cwd=tmp_path
    )
    assert code == 2 and "НЕТ-1" in out, out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_run_serves_the_web_chat_on_the_demo_school(
    database_url: str, tmp_path: Path, engine: object
) -> None:
    port = free_port()
    env = env_for(database_url, tmp_path, USTAZ_HTTP_PORT=str(port))
    proc = await asyncio.create_subprocess_exec(
        *USTAZ, "run", env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        assert proc.stdout is not None
        url = None
        async with asyncio.timeout(60):
            while url is None:
                line = (await proc.stdout.readline()).decode()
                assert line, "ustaz run ended early"
                if line.startswith("Open the web chat:"):
                    url = line.split(":", 1)[1].strip()
        assert url == f"http://127.0.0.1:{port}/"
        async with aiohttp.ClientSession() as http:
            async with http.get(url + "api/webchat/people") as resp:
                people = await resp.json()
            async with http.get(url) as resp:
                assert "Ustaz" in await resp.text()
        assert any(p["name"] == "Сергей Викторович Ким" and p["role"] == "teacher" for p in people)
    finally:
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            await proc.wait()
    assert proc.returncode == 0


async def test_demo_asks_telegram_for_the_bots_name(
    database_url: str, tmp_path: Path, engine: object
) -> None:
    from tests.stand_ins.telegram_api import BOT_USERNAME, TOKEN, BotAPIStandIn

    async with BotAPIStandIn() as api:
        env = env_for(database_url, tmp_path, USTAZ_TELEGRAM_TOKEN=TOKEN, USTAZ_TELEGRAM_API_URL=api.base_url)
        code, out = await ustaz("demo", env=env, cwd=tmp_path)
    assert code == 0, out
    assert f"https://t.me/{BOT_USERNAME}?start=" in out


async def test_org_settings_are_changed_and_checked(
    database_url: str, tmp_path: Path, engine: object
) -> None:
    env = env_for(database_url, tmp_path)
    assert (await ustaz("demo", env=env, cwd=tmp_path))[0] == 0
    code, out = await ustaz("org", "set", "reminders.deadline_minutes", "[2880, 120]", env=env, cwd=tmp_path)
    assert code == 0, out
    assert '"deadline_minutes": [\n      2880,\n      120\n    ]' in out
    code, out = await ustaz("org", "set", "timezone", "Asia/Aqtobe", env=env, cwd=tmp_path)
    assert code == 0 and "\tAsia/Aqtobe\t" in out, out

    code, out = await ustaz("org", "set", "reminders.quiet_start", '"25:99"', env=env, cwd=tmp_path)
    assert code == 2 and "reminders.quiet_start" in out and "HH:MM" in out, out
    code, out = await ustaz("org", "set", "reminders.quiet_start", "03:00", env=env, cwd=tmp_path)
    assert code == 0 and '"quiet_start": "03:00"' in out, out
    code, out = await ustaz("org", "set", "timezone", "Mars/Olympus", env=env, cwd=tmp_path)
    assert code == 2 and "unknown time zone" in out, out
    code, out = await ustaz("org", "show", env=env, cwd=tmp_path)
    assert "\tAsia/Aqtobe\t" in out and "25:99" not in out

    # The reminders follow the organization's offsets.
    from sqlalchemy import select

    from bot.services.messaging.reminders import ReminderSettings
    from db.models import Organization
    from db.session import make_engine, make_sessionmaker

    eng = make_engine(database_url)
    async with make_sessionmaker(eng)() as session:
        org = await session.scalar(select(Organization))
        assert org is not None
        assert ReminderSettings.of(org.settings).deadline_minutes == (2880, 120)
    await eng.dispose()


async def test_org_digest_and_name_are_checked(database_url: str, tmp_path: Path, engine: object) -> None:
    env = env_for(database_url, tmp_path)
    assert (await ustaz("demo", env=env, cwd=tmp_path))[0] == 0
    for key, value, reason in (
        ("digest.weekday", "9", "digest.weekday (0 Monday ... 6 Sunday) must be a whole number from 0 to 6"),
        ("digest.weekday", "someday", "digest.weekday must be 0 (Monday) to 6 (Sunday) or a day's name"),
        ("digest.hour", "восемь", "digest.hour must be a whole number from 0 to 23, not 'восемь'"),
        ("digest.hour", "24", "digest.hour must be a whole number from 0 to 23"),
        ("digest.minute", "5", "unknown digest key 'minute'"),
        ("name", "", "the name must not be empty"),
        ("name", "   ", "the name must not be empty"),
        ("kind", "castle", "one of school, college, university"),
        ("order_prefix", "[1]", "order_prefix must be text"),
    ):
        code, out = await ustaz("org", "set", key, value, env=env, cwd=tmp_path)
        assert code == 2 and f"{key}: " in out and reason in out, (key, value, out)
    code, out = await ustaz("org", "show", env=env, cwd=tmp_path)
    assert "Алматы цифрлық колледжі" in out and '"digest"' not in out and "castle" not in out

    code, out = await ustaz("org", "set", "digest.weekday", "Жексенбі", env=env, cwd=tmp_path)
    assert code == 0 and '"weekday": 6' in out, out
    code, out = await ustaz("org", "set", "digest.weekday", "понедельник", env=env, cwd=tmp_path)
    assert code == 0 and '"weekday": 0' in out, out
    code, out = await ustaz("org", "set", "digest.hour", "8", env=env, cwd=tmp_path)
    assert code == 0 and '"hour": 8' in out and '"weekday": 0' in out, out


async def test_without_a_known_bot_the_invite_has_no_link_to_another_bot(
    database_url: str, tmp_path: Path, engine: object
) -> None:
    env = env_for(database_url, tmp_path)  # neither a token nor USTAZ_TELEGRAM_BOT_USERNAME
    code, out = await ustaz("demo", env=env, cwd=tmp_path)
    assert code == 0 and "t.me" not in out, out
    student = next(line.split("\t") for line in out.splitlines() if "Айдана Серікқызы Бекова" in line)
    assert student[4].startswith("code ") and len(student[4]) == len("code ") + 8
    code, out = await ustaz(
        "invite", "--role", "teacher", "--name", "Жанна Ерікқызы Сапарова", env=env, cwd=tmp_path
    )
    assert code == 0 and "t.me" not in out and "UstazBot" not in out, out
    assert "Invite code: " in out and "no bot is configured" in out and "send the code" in out


PG = "postgresql+asyncpg://postgres@127.0.0.1:5432"


async def test_a_postgresql_database_not_there_yet_is_created_on_first_run(tmp_path: Path) -> None:
    import uuid

    from sqlalchemy import text

    from db.session import make_engine

    name = f"ustaz_first_{uuid.uuid4().hex[:8]}"
    code, out = await ustaz("migrate", env=env_for(f"{PG}/{name}", tmp_path), cwd=tmp_path)
    admin = make_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    try:
        assert code == 0 and "The database is up to date." in out, out
        assert "Traceback" not in out and "alembic" not in out  # the operator's log, not Alembic's chatter
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_a_database_server_away_or_a_refused_login_is_said_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    away = env_for(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/x", tmp_path)
    code, out = await ustaz("migrate", env=away, cwd=tmp_path)
    assert code == 2 and out.strip() == (
        f"PostgreSQL at 127.0.0.1:{port} does not answer: start it, or correct the host and port in "
        "USTAZ_DATABASE_URL."
    )
    stranger = env_for("postgresql+asyncpg://nobody_here@127.0.0.1:5432/test", tmp_path)
    code, out = await ustaz("migrate", env=stranger, cwd=tmp_path)
    assert code == 2 and out.strip() == (
        "PostgreSQL at 127.0.0.1:5432 refused the login of user 'nobody_here': check the user and password "
        "in USTAZ_DATABASE_URL."
    )
