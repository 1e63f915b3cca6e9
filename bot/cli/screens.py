"""`ustaz screens`: every screen and message in one language, written for a native reader's review."""

from __future__ import annotations

import argparse

from bot.cli import Register
from bot.config import Settings
from bot.i18n import LOCALES


def extend(sub: argparse._SubParsersAction[argparse.ArgumentParser], command: Register) -> None:
    p = sub.add_parser(
        "screens",
        help="render every screen and message (demo school in a temporary database) into DIR/<lang>/*.md",
    )
    p.add_argument("--lang", choices=LOCALES, action="append", help="kk or ru (again for both; default both)")
    p.add_argument("--out", required=True, help="the folder to write into")
    p.add_argument("--depth", type=int, default=2, help="how many presses deep the walk goes (default 2)")
    command("screens")(cmd_screens)


async def cmd_screens(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.screens.review import write

    for locale in args.lang or LOCALES:
        for path in await write(locale, Path(args.out), args.depth):
            print(path)
    return 0
