"""`ustaz backup [ARCHIVE]` and `ustaz restore ARCHIVE` (bot/ops/backup.py says what they keep)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from bot.cli import Register
from bot.config import Settings
from bot.files.links import key_path
from bot.ops.backup import BackupError, Places, backup, restore


def places(settings: Settings) -> Places:
    return Places(settings.database_url.get_secret_value(), settings.files_dir, key_path(settings.files_dir))


async def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    archive = Path(args.archive or settings.files_dir.parent / "backups" / f"ustaz-{stamp}.tar.gz")
    try:
        backup(places(settings), archive)
    except BackupError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"Backed up to {archive}")
    return 0


async def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    try:
        manifest = await restore(places(settings), Path(args.archive))
    except BackupError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"Restored the backup made at {manifest['made_at']}. Run `ustaz migrate` if this Ustaz is newer.")
    return 0


def extend(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    command: Register,
) -> None:
    made = sub.add_parser("backup", help="save the database and the files store into one archive")
    made.add_argument("archive", nargs="?", help="where (default: var/backups/ustaz-<time>.tar.gz)")
    back = sub.add_parser("restore", help="restore an archive into a new, empty database")
    back.add_argument("archive")
    command("backup")(cmd_backup)
    command("restore")(cmd_restore)
