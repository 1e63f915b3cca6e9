"""Fills translations into both catalogs from a JSON file, then reports what is still missing.

    .venv/bin/python scripts/translate.py my_texts.json
    .venv/bin/python scripts/translate.py --missing      # list untranslated msgids

The JSON maps an English msgid to its translations:
    {"Main menu": {"kk": "Басты мәзір", "ru": "Главное меню"},
     "{n} day": {"kk": ["{n} күн", "{n} күн"], "ru": ["{n} день", "{n} дня", "{n} дней"]}}
For a plural entry the key is the singular msgid; Russian takes three forms.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent.parent / "locales"


def catalog_path(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / "messages.po"


def missing(lang: str) -> list[str]:
    with open(catalog_path(lang), "rb") as fh:
        catalog = read_po(fh)
    out = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            out.append(message.id[0] if isinstance(message.id, tuple) else message.id)
    return out


def fill(texts: dict[str, dict[str, str | list[str]]]) -> None:
    for lang in ("kk", "ru"):
        path = catalog_path(lang)
        with open(path, "rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            if not message.id:
                continue
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            if key in texts and lang in texts[key]:
                value = texts[key][lang]
                message.string = tuple(value) if isinstance(message.id, tuple) else value
                message.flags.discard("fuzzy")
        with open(path, "wb") as fh:
            write_po(
                fh,
                catalog,
                width=0,
                no_location=True,
                sort_output=True,
                omit_header=False,
                ignore_obsolete=True,
            )


def main(argv: list[str]) -> int:
    if argv and argv[0] != "--missing":
        fill(json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    bad = 0
    for lang in ("kk", "ru"):
        for msgid in missing(lang):
            print(f"{lang}: {msgid}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
