"""The `ustaz` command: run, migrate, demo, invite."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable

from bot.cli import Command, logs
from bot.config import Settings, SettingsError, load_settings
from db.reach import DatabaseUnreachable, reach

COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        COMMANDS[name] = fn
        return fn

    return register


@command("run")
async def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import serve
    from bot.channels.webchat.signin import exposure_warning, picker_refusal
    from bot.processes import refusal as processes_refusal

    if args.processes is not None:
        settings = settings.model_copy(update={"processes": args.processes})
    if refusal := picker_refusal(settings) or processes_refusal(settings):
        print(refusal, file=sys.stderr)
        return 2
    if warning := exposure_warning(settings):
        print(warning, file=sys.stderr)
    messengers = settings.telegram_enabled or settings.whatsapp_enabled
    if settings.processes > 1 and settings.process_index is None and messengers and not settings.redis_url:
        print(
            "Each of the processes keeps its own count of the messengers' rate limits: set "
            "USTAZ_REDIS_URL to share them, or the processes together may send faster than allowed.",
            file=sys.stderr,
        )
    return await serve(settings)


@command("migrate")
async def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from db.migrate import upgrade
    from db.session import make_engine

    engine = make_engine(settings.database_url.get_secret_value())
    await upgrade(engine)
    await engine.dispose()
    print("The database is up to date.")
    return 0


async def _bot_username(settings: Settings) -> str | None:
    """For deep links: the setting, else Telegram's own answer when a token is configured."""
    if settings.telegram_bot_username or not settings.telegram_enabled:
        return settings.telegram_bot_username
    from bot.channels.telegram import make_bot

    bot = make_bot(settings)
    try:
        async with asyncio.timeout(15):
            return (await bot.get_me()).username
    except Exception as exc:  # offline or a wrong token: the links get a placeholder, the codes still work
        print(f"Telegram did not answer getMe ({exc}); set USTAZ_TELEGRAM_BOT_USERNAME.", file=sys.stderr)
        return None
    finally:
        await bot.session.close()


@command("demo")
async def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import build_runtime
    from bot.services.admin.demo import demo_people, ensure_demo
    from bot.services.people import invites
    from db.migrate import upgrade

    runtime = build_runtime(settings)
    await upgrade(runtime.engine)
    created = await ensure_demo(runtime.deps)
    print("The demo school was created." if created else "The demo school is already there.")
    async with runtime.sessions() as session, session.begin():
        people = await demo_people(session)
    username = await _bot_username(settings)
    for p in people:
        link = (
            (invites.deep_link(username, p.code) or f"code {p.code}")
            if p.code
            else "(joined: another messenger by «My messengers»)"
        )
        print(f"{p.role.value}\t{p.name}\t{p.locale}\t{p.group or '-'}\t{link}")
    if any(p.code is None for p in people):
        # Not a new invite: that would make a second person. The person links the other messenger.
        print(
            "Someone who joined adds another messenger (Telegram, WhatsApp or the web chat) themselves: "
            "«My messengers» in their menu gives a link code to send from it."
        )
    await runtime.engine.dispose()
    return 0


@command("invite")
async def cmd_invite(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot.app import build_runtime
    from bot.services.people import invites
    from db.migrate import upgrade
    from db.models import Group, Organization, Person, PersonRole, Role

    runtime = build_runtime(settings)
    await upgrade(runtime.engine)
    role = Role(args.role)
    async with runtime.sessions() as session, session.begin():
        org = await session.scalar(select(Organization).order_by(Organization.id))
        if org is None:
            print("No organization yet: run `ustaz demo` or import a roster first.", file=sys.stderr)
            return 2
        group = None
        if args.group:
            group = await session.scalar(
                select(Group).where(Group.organization_id == org.id, Group.name == args.group)
            )
            if group is None:
                print(f"No group named {args.group!r}.", file=sys.stderr)
                return 2
        elif role is Role.student:
            print("A student needs --group.", file=sys.stderr)
            return 2
        person = Person(organization_id=org.id, full_name=args.name, locale=args.lang, active_role=role)
        person.roles.append(PersonRole(role=role, group_id=group.id if group else None))
        session.add(person)
        await session.flush()
        invite = await invites.create_invite(session, person, role)
        code = invite.code
    print(f"Invite code: {code}")
    link = invites.deep_link(await _bot_username(settings), code)
    if link:
        print(f"Telegram: {link}")
    else:
        print("Telegram: no bot is configured (USTAZ_TELEGRAM_BOT_USERNAME), so there is no link.")
    print(f"WhatsApp or the web chat: send the code {code}")
    await runtime.engine.dispose()
    return 0


def _process_count(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 64:
        raise argparse.ArgumentTypeError("a number of processes from 1 to 64")
    return int(value)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ustaz", description="Ustaz, the messenger learning assistant.")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="serve the bot: web chat, and Telegram/WhatsApp when configured")
    run.add_argument(
        "--processes", type=_process_count, metavar="N",
        help="serve from N processes on one port, each owning its share of the chats (PostgreSQL only; "
        "default USTAZ_PROCESSES or 1)",
    )  # fmt: skip
    sub.add_parser("migrate", help="apply the database migrations")
    sub.add_parser("demo", help="create the demo school and print its people with invite links")
    inv = sub.add_parser("invite", help="add a person and print their invite code")
    inv.add_argument("--role", required=True, choices=[r.value for r in __import__("db.models").models.Role])
    inv.add_argument("--group")
    inv.add_argument("--name", required=True)
    inv.add_argument("--lang", choices=["kk", "ru"], default=None)
    extend_parser(sub)
    return p


def extend_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Staff tasks of later features add their subcommands here."""
    from bot.cli import backup as backup_cli
    from bot.cli import org as org_cli
    from bot.cli import person as person_cli
    from bot.cli import screens as screens_cli
    from bot.cli import staff as staff_cli

    staff_cli.extend(sub, command)
    org_cli.extend(sub, command)
    backup_cli.extend(sub, command)
    screens_cli.extend(sub, command)
    person_cli.extend(sub, command)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logs.setup()
    # Everything Ustaz creates (the SQLite database with IINs and phones, stored files, the link key)
    # is readable by its own user only.
    os.umask(0o077)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    logs.hide_secrets(settings)
    try:
        return asyncio.run(_reached_then(COMMANDS[args.command], settings, args))
    except (SettingsError, DatabaseUnreachable) as exc:  # found at start: a Redis or a database away
        print(exc, file=sys.stderr)
        return 2


OFFLINE = {"screens"}  # they build their own temporary database and never touch the configured one


async def _reached_then(run: Command, settings: Settings, args: argparse.Namespace) -> int:
    if args.command not in OFFLINE:
        await reach(settings.database_url.get_secret_value())
    return await run(settings, args)
