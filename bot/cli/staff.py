"""Staff tasks from the command line: the audit check, the roster import, the register export.

ustaz audit verify [--lang kk|ru]
ustaz audit anchor [--send]
ustaz audit baseline
ustaz roster import roster.xlsx [--invites invites.csv] [--send] [--create-groups]
ustaz calendar import calendar.xlsx
ustaz orders export [--out orders.xlsx]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bot.cli import Register
from bot.config import Settings

if TYPE_CHECKING:  # the commands import what they use when they run, to start quickly
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.i18n import Translator
    from bot.runtime import Runtime
    from bot.services.people.invite_sending import SendResult
    from bot.services.people.roster import ImportResult


def extend(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    command: Register,
) -> None:
    """Adds the staff subcommands to the parser and registers their coroutines."""
    aud = sub.add_parser("audit", help="the audit trail of grades, orders, enrolments and roles")
    aud_sub = aud.add_subparsers(dest="audit_action", required=True)
    ver = aud_sub.add_parser(
        "verify", help="check the chain, its anchors and every grade, order, role and certificate against it"
    )
    ver.add_argument("--lang", choices=["en", "kk", "ru"], default="en", help="the language of the findings")
    anc = aud_sub.add_parser("anchor", help="print the chain's head and append it to the anchor log")
    anc.add_argument("--send", action="store_true", help="also send it to the heads through the outbox")
    aud_sub.add_parser(
        "baseline", help="once, after upgrading: seal the rows written before they were sealed"
    )
    command("audit")(cmd_audit)

    ros = sub.add_parser("roster", help="the roster of students, parents and teachers")
    ros_sub = ros.add_subparsers(dest="roster_action", required=True)
    imp = ros_sub.add_parser("import", help="import a CSV or XLSX roster; all rows or none")
    imp.add_argument("file", type=Path)
    imp.add_argument("--invites", type=Path, help="write the invite list here (.xlsx or .csv)")
    imp.add_argument("--org", type=int, help="the organization's id (default: the first)")
    imp.add_argument(
        "--lang",
        choices=["kk", "ru"],
        default=None,
        help="the language of the messages and the invite list (default: the organization's)",
    )
    imp.add_argument(
        "--send", action="store_true", help="send the invites to the people's phones through WhatsApp"
    )
    imp.add_argument(
        "--create-groups",
        action="store_true",
        help="create the groups the file names that the organization does not have (else they refuse it)",
    )
    command("roster")(cmd_roster)

    cal = sub.add_parser("calendar", help="academic periods and the academic calendar")
    cal_sub = cal.add_subparsers(dest="calendar_action", required=True)
    cimp = cal_sub.add_parser(
        "import", help="import periods, holidays, sessions, attestation weeks; all or none"
    )
    cimp.add_argument("file", type=Path)
    cimp.add_argument("--org", type=int, help="the organization's id (default: the first)")
    cimp.add_argument("--lang", choices=["kk", "ru"], default="ru", help="the language of the messages")
    command("calendar")(cmd_calendar)

    ords = sub.add_parser("orders", help="the register of orders")
    ords_sub = ords.add_subparsers(dest="orders_action", required=True)
    exp = ords_sub.add_parser("export", help="export the register of orders to XLSX")
    exp.add_argument("--out", type=Path, default=Path("orders.xlsx"))
    exp.add_argument("--year", type=int)
    exp.add_argument("--org", type=int)
    exp.add_argument("--lang", choices=["kk", "ru"], default="ru")
    command("orders")(cmd_orders)


async def _runtime(settings: Settings) -> Runtime:
    from bot.app import build_runtime
    from db.migrate import upgrade

    runtime = build_runtime(settings)
    await upgrade(runtime.engine)
    return runtime


async def cmd_audit(settings: Settings, args: argparse.Namespace) -> int:
    from bot.i18n import Translator
    from bot.services.admin import audit, audit_anchor

    runtime = await _runtime(settings)
    try:
        if args.audit_action == "anchor":
            async with runtime.sessions() as session, session.begin():
                head = await audit_anchor.head(session)
                if head is None:
                    print("The audit trail is empty: nothing to anchor yet.", file=sys.stderr)
                    return 1
                path = audit_anchor.write(runtime.files.root, head)
                sent = await audit_anchor.tell_heads(session, head) if args.send else 0
            print(f"{head.seq} {head.hash}")
            print(
                f"Anchored at {head.at.isoformat()} in {path}" + (f"; sent to {sent} heads." if sent else ".")
            )
            return 0
        if args.audit_action == "baseline":
            async with runtime.sessions() as session, session.begin():
                count = await audit.baseline(session)
            if count is None:
                print(
                    "No baseline: the audit trail already seals rows or is broken; see `ustaz audit verify`.",
                    file=sys.stderr,
                )
                return 1
            print(f"Baseline: {count} rows (grades, orders, roles, certificates) sealed as they stand.")
            return 0
        anchors = audit_anchor.read(runtime.files.root)
        t = Translator(getattr(args, "lang", "en"))  # called without --lang by older callers
        async with runtime.sessions() as session:
            verdict = await audit.verify(session, anchors)
            lines = await audit.explain(session, t, verdict)
    finally:
        await runtime.engine.dispose()
    if verdict.ok:
        anchored = f", the last anchor ({anchors[-1].seq}) holds" if anchors else ", no anchor yet"
        print(
            f"The audit chain is intact: {verdict.checked} records checked{anchored}; "
            "every protected row fits it."
        )
        return 0
    for line in lines:
        print(line, file=sys.stderr)
    return 1


async def _org_id(session: AsyncSession, wanted: int | None) -> int | None:
    from sqlalchemy import select

    from db.models import Organization

    query = select(Organization.id).order_by(Organization.id).limit(1)
    if wanted is not None:
        query = select(Organization.id).where(Organization.id == wanted)
    return await session.scalar(query)


T = TypeVar("T")


async def _import(
    settings: Settings,
    args: argparse.Namespace,
    work: Callable[[AsyncSession, int, bytes, str], Awaitable[T]],
) -> T | int:
    """`await work(session, org_id, data, name)` in one transaction on the chosen organization,
    or an exit code when the file or the organization is missing (said in --lang, else English)."""
    from bot.i18n import Translator

    t = Translator(getattr(args, "lang", None) or "en")
    if not args.file.is_file():
        print(t.gettext("No such file: {path}").format(path=args.file), file=sys.stderr)
        return 2
    runtime = await _runtime(settings)
    try:
        async with runtime.sessions() as session, session.begin():
            org_id = await _org_id(session, args.org)
            if org_id is None:
                print(
                    t.gettext("No organization yet: run `ustaz demo` first, or give --org."), file=sys.stderr
                )
                return 2
            # With any bad row the import writes nothing at all.
            return await work(session, org_id, args.file.read_bytes(), args.file.name)
    finally:
        await runtime.engine.dispose()


async def cmd_roster(settings: Settings, args: argparse.Namespace) -> int:
    from bot.i18n import Translator
    from bot.labels import ROLE_NAMES
    from bot.services.people import invite_sending, roster
    from db.models import Organization, Role

    send = getattr(args, "send", False)
    if send and not settings.whatsapp_enabled:
        print(
            Translator(args.lang or "en").gettext(
                "--send needs WhatsApp: set USTAZ_TWILIO_ACCOUNT_SID, _AUTH_TOKEN and _WHATSAPP_FROM."
            ),
            file=sys.stderr,
        )
        return 2

    async def work(
        session: AsyncSession, org_id: int, data: bytes, name: str
    ) -> tuple[ImportResult, SendResult | None, str]:
        result = await roster.import_roster(
            session, org_id, data, name, create_groups=getattr(args, "create_groups", False)
        )
        org = await session.get(Organization, org_id)
        assert org is not None  # _import found it
        if not (result.ok and send):
            return result, None, org.default_locale
        ids = [p.person_id for p in result.people if p.code]
        sent = await invite_sending.send_invites(session, org, settings.telegram_bot_username, ids)
        return result, sent, org.default_locale

    outcome = await _import(settings, args, work)
    if isinstance(outcome, int):
        return outcome
    result, sent, org_locale = outcome
    # The messages and the invite list speak --lang, else the organization's language.
    t = Translator(args.lang or org_locale)
    if not result.ok:
        print_errors(t, result)
        return 1
    print(
        t.gettext("The roster is imported: {created} new people, {existing} already known.").format(
            created=result.created, existing=result.existing
        )
    )
    rows = [
        [r[0], t.gettext(ROLE_NAMES[Role(r[1])]), *r[2:]]
        for r in roster.invite_rows(result.people, settings.telegram_bot_username)
    ]
    header = [
        t.gettext("Full name"),
        t.gettext("Role"),
        t.gettext("Group"),
        t.gettext("Invite code"),
        t.gettext("Telegram link"),
    ]
    if not settings.telegram_bot_username:  # no link to someone else's bot: the codes alone
        header, rows = header[:4], [r[:4] for r in rows]
    if args.invites:
        if args.invites.suffix.lower() == ".xlsx":
            from bot.files.tables import xlsx

            args.invites.write_bytes(xlsx([(t.gettext("Invites"), header, rows)]))
        else:
            with open(args.invites, "w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerows([header, *rows])
        print(t.gettext("Invites: {path}").format(path=args.invites))
    else:
        for row in rows:
            print("\t".join(str(c) for c in row))
    if sent is not None:
        print(
            t.gettext(
                "Invites queued for WhatsApp: {queued} (sent before: {again}, no phone: {no_phone}, "
                "number of someone else: {taken})."
            ).format(queued=sent.queued, again=sent.again, no_phone=sent.no_phone, taken=sent.taken)
        )
        if sent.queued and "invite" not in settings.twilio_templates:
            print(
                t.gettext(
                    "No WhatsApp template «invite» in USTAZ_TWILIO_TEMPLATES: "
                    "the invites wait in the outbox until one is set."
                )
            )
    return 0


def print_errors(t: Translator, result: ImportResult) -> None:
    print(
        t.ngettext(
            "Nothing was imported: {n} error.", "Nothing was imported: {n} errors.", len(result.errors)
        ).format(n=len(result.errors)),
        file=sys.stderr,
    )
    for err in result.errors:
        reason = err.reason(t.gettext)
        print(t.gettext("Line {line}: {reason}").format(line=err.line, reason=reason), file=sys.stderr)
    if result.unknown_groups:
        print(
            t.gettext("To create the groups {names}, run the import again with --create-groups.").format(
                names=", ".join(result.unknown_groups)
            ),
            file=sys.stderr,
        )


async def cmd_calendar(settings: Settings, args: argparse.Namespace) -> int:
    from bot.i18n import Translator
    from bot.labels import imported_phrase
    from bot.services.schedule import calendar as academic_calendar

    t = Translator(args.lang)
    result = await _import(settings, args, academic_calendar.import_calendar)
    if isinstance(result, int):
        return result
    if not result.ok:
        print_errors(t, result)
        return 1
    print(imported_phrase(t, result.created, result.existing))
    return 0


async def cmd_orders(settings: Settings, args: argparse.Namespace) -> int:
    from bot.i18n import Translator
    from bot.services.admin import orders

    runtime = await _runtime(settings)
    try:
        async with runtime.sessions() as session:
            org_id = await _org_id(session, args.org)
            t = Translator(args.lang)
            if org_id is None:
                print(
                    t.gettext("No organization yet: run `ustaz demo` first, or give --org."), file=sys.stderr
                )
                return 2
            data = await orders.register_xlsx(session, t, org_id, args.year)
            count = len(await orders.register(session, org_id, year=args.year))
    finally:
        await runtime.engine.dispose()
    args.out.write_bytes(data)
    print(
        t.ngettext("{n} order written to {path}", "{n} orders written to {path}", count).format(
            n=count, path=args.out
        )
    )
    return 0
