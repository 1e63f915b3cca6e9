"""Resolves a git merge conflict in the catalogs: the union of both sides' translations.

    .venv/bin/python scripts/merge_catalogs.py && scripts/i18n.sh

For each conflicted locales/*/LC_MESSAGES/messages.po, takes our and their versions
from the index, keeps every translation either side has (ours where both differ), and
writes the file; scripts/i18n.sh then re-extracts messages.pot from the merged code.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def side(path: str, stage: int) -> Catalog | None:
    result = subprocess.run(["git", "show", f":{stage}:{path}"], cwd=ROOT, capture_output=True)
    return read_po(io.BytesIO(result.stdout)) if result.returncode == 0 else None


def translated(message) -> bool:  # type: ignore[no-untyped-def]
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and not message.fuzzy


def main() -> None:
    conflicted = subprocess.run(
        ["git", "diff", "--name-only", "--diff-filter=U"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    for path in (p for p in conflicted if p.endswith(".po")):
        ours, theirs = side(path, 2), side(path, 3)
        assert ours is not None and theirs is not None, path
        for message in theirs:
            if not message.id:
                continue
            mine = ours.get(message.id)
            if mine is None:
                ours[message.id] = message
            elif not translated(mine) and translated(message):
                mine.string = message.string
                mine.flags.discard("fuzzy")
            elif translated(message) and mine.string != message.string:
                # One English text used for two meanings: give one of them its own msgid.
                print(f"{path}: both sides translate {message.id!r}: {mine.string!r} / {message.string!r}")
        with open(ROOT / path, "wb") as fh:
            write_po(fh, ours, width=0, no_location=True, sort_output=True, ignore_obsolete=True)
        print(f"merged {path}")
    for path in (p for p in conflicted if p.endswith(".pot")):
        subprocess.run(["git", "checkout", "--ours", path], cwd=ROOT, check=True)
        print(f"{path}: ours kept; scripts/i18n.sh regenerates it")


if __name__ == "__main__":
    main()
