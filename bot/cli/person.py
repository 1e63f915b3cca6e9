"""`ustaz person consent|export|erase ID`: a person's personal data (law No. 94-V) from the command line.

ustaz person consent 12 [--by 40] [--lang ru]   record consent given on paper (by a parent for a minor)
ustaz person consent 12                         show whether and by whom consent was given
ustaz person export 12 [--out person-12.zip]    their records (records.json) and the files they sent
ustaz person erase 12 --yes                     erase on request; required records stay, pseudonymous
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli import Register
from bot.config import Settings


async def cmd_person(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import build_runtime
    from bot.services.people import personal_data
    from db.base import utcnow
    from db.migrate import upgrade
    from db.models import Person

    runtime = build_runtime(settings)
    try:
        await upgrade(runtime.engine)
        async with runtime.sessions() as session, session.begin():
            person = await session.get(Person, args.person_id)
            if person is None:
                print(f"No person with id {args.person_id}.", file=sys.stderr)
                return 2
            if args.person_action == "consent":
                if args.by is None and args.lang is None:
                    if person.consent_at is None:
                        print(f"{person.full_name}: no consent recorded.")
                    else:
                        by = await session.get(Person, person.consent_by_id) if person.consent_by_id else None
                        who = (
                            "themselves"
                            if by is None or by.id == person.id
                            else f"{by.full_name} (id {by.id})"
                        )
                        when = f"{person.consent_at:%Y-%m-%d %H:%M} UTC"
                        print(
                            f"{person.full_name}: consent given {when} by {who}, in {person.consent_locale}."
                        )
                    return 0
                by = person if args.by is None else await session.get(Person, args.by)
                if by is None:
                    print(f"No person with id {args.by}.", file=sys.stderr)
                    return 2
                if by.id == person.id and personal_data.is_minor(person, utcnow().date()):
                    print(f"{person.full_name} is a minor: a parent or legal representative gives consent "
                          "(--by their id).", file=sys.stderr)  # fmt: skip
                    return 2
                await personal_data.give_consent(session, person, by, args.lang or person.locale or "kk")
                print(f"Consent of {person.full_name} recorded (given by {by.full_name}).")
                return 0
            if args.person_action == "export":
                out = Path(args.out or f"person-{person.id}.zip")
                try:
                    files = await personal_data.export(session, person.id, runtime.deps.files, out)
                except FileExistsError:
                    print(f"{out} exists already: name another file with --out.", file=sys.stderr)
                    return 2
                print(f"Exported the records of {person.full_name} and {files} file(s) to {out}.")
                return 0
            if not args.yes:
                print("Erasing cannot be undone: add --yes (export first if the person asked for a copy).",
                      file=sys.stderr)  # fmt: skip
                return 2
            if person.erased_at is not None:
                print(f"Person {person.id} was erased already.")
                return 0
            erased = await personal_data.erase(session, person)
            print(f"Erased person {person.id}: name, phone, IIN and birth date removed, {erased.accounts} "
                  f"messenger account(s) and {erased.messages} chat message(s) deleted; orders, grades and "
                  "submitted work are kept under the pseudonym.")  # fmt: skip
            return 0
    finally:
        await runtime.engine.dispose()


def extend(sub: argparse._SubParsersAction[argparse.ArgumentParser], command: Register) -> None:
    per = sub.add_parser("person", help="a person's personal data: consent, export, erase (law No. 94-V)")
    per_sub = per.add_subparsers(dest="person_action", required=True)
    con = per_sub.add_parser("consent", help="show consent, or record consent given on paper")
    con.add_argument("person_id", type=int)
    con.add_argument("--by", type=int, help="the parent or legal representative who gave it (a minor's)")
    con.add_argument("--lang", choices=["kk", "ru"], help="the language the consent was given in")
    exp = per_sub.add_parser("export", help="the person's records and files into a zip")
    exp.add_argument("person_id", type=int)
    exp.add_argument("--out", help="the archive (default: person-ID.zip)")
    era = per_sub.add_parser("erase", help="erase on request, keeping the records the rules require")
    era.add_argument("person_id", type=int)
    era.add_argument("--yes", action="store_true", help="yes, erase")
    command("person")(cmd_person)
