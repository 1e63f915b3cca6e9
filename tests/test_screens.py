"""`ustaz screens`: every message of both catalogs and every screen of the demo school, rendered with
sample values, reads as Kazakh or Russian: no placeholder left or unknown, no «(а)» hedge, no English
sentence, no button too long for a phone, Kazakh dates in Kazakh order, names declined."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.language import russian
from bot.screens.catalog import NAMES, render
from bot.screens.review import LONGEST_LABEL, walk_demo

# Latin words a Kazakh or Russian text may hold: names of products and formats, commands, letter
# grades, programmes' names, and what the samples themselves carry (file names, links, codes).
LATIN = re.compile(r"(?<![/\w.@-])[A-Za-z][A-Za-z'-]+")
ALLOWED = {
    "Ustaz", "USTAZ", "Telegram", "WhatsApp", "Python", "PDF", "CSV", "XLSX", "ZIP", "TXT", "MBA", "EMBA",
    "DBA", "MOOC", "ER", "II", "III", "IV", "FX", "kk", "ru", "ID", "TWILIO", "TEMPLATES", "https", "http",
    "IIN", "JPG", "PNG", "OK", "GPA", "URL", "ustaz", "diagram", "photo", "jpg", "pdf",
    "invite",  # a template kind
}  # fmt: skip
HEDGE = re.compile(r"\w\((а|ла|ся|ась|на|ен|ы|и)\)")
KK_MONTHS = "қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан|қараша|желтоқсан"
RUSSIAN_ORDER_IN_KAZAKH = re.compile(rf"\b\d{{1,2}} ({KK_MONTHS})\w* \d{{4}}")
KAZAKH_ORDER = re.compile(rf"\d{{4}} жылғы \d{{1,2}} ({KK_MONTHS})")


def english(text: str) -> list[str]:
    # Links, commands, codes (QHJMMTQ7), file names and letter grades (B-, A+) are not English.
    without = re.sub(
        r"https?://\S+|`[^`]*`|\w+/\w+|/\w+|\S+@\S+|\b[A-Z0-9]{6,10}\b|\w+\.(pdf|jpg|csv|xlsx)|\b[A-F][+-]",
        " ",
        text,
    )
    return [w for w in LATIN.findall(without) if w.strip("-") not in ALLOWED]


def problems(text: str, locale: str) -> list[str]:
    found = []
    if "{" in text or "}" in text:
        found.append("placeholder left")
    if HEDGE.search(text):
        found.append("«(а)» hedge")
    if words := english(text):
        found.append(f"English: {words}")
    if locale == "kk" and RUSSIAN_ORDER_IN_KAZAKH.search(text):
        found.append("a Kazakh date in Russian order")
    return found


@pytest.mark.parametrize("locale", ["kk", "ru"])
def test_every_message_renders_in_the_language(locale: str) -> None:
    rendered = list(render(locale))
    assert len(rendered) > 900
    bad = {r.msgid: p for r in rendered for text in r.texts if (p := problems(text, locale))}
    unknown = {r.msgid: r.unknown for r in rendered if r.unknown}
    assert unknown == {}
    assert bad == {}


def test_the_catalog_pass_declines_names_and_orders_kazakh_dates() -> None:
    kk = "\n".join(t for r in render("kk") for t in r.texts)
    ru = "\n".join(t for r in render("ru") for t in r.texts)
    assert KAZAKH_ORDER.search(kk)
    surnames = "Петрова|Бекова|Жақыпова|Ахметова|Жұмабаев|Әбдіров|Ким|Ткаченко"
    assert re.search(rf"({surnames})(ның|нің|тың|тің|дың|дің|ға|ге|қа|ке|на|не)\b", kk)
    declined = {
        russian.decline(name, case) for name in NAMES for case in (russian.Case.genitive, russian.Case.dative)
    }
    assert sum(form in ru for form in declined if form) >= 2


@pytest.mark.parametrize("locale", ["kk", "ru"])
async def test_every_screen_of_every_role_reads_in_the_language(locale: str, tmp_path: Path) -> None:
    screens = await walk_demo(locale, depth=2, workdir=tmp_path)
    replies = screens.replies()
    assert len(replies) > 150
    assert {role for role, _, _ in screens.walks} >= {"student", "parent", "teacher", "head", "methodist"}
    bad = [(r.text[:60], p) for r in replies if (p := problems(r.text, screens.locale))]
    assert bad == []
    buttons = [b for r in replies for row in r.buttons for b in row]
    assert [b.label for b in buttons if len(b.label) > LONGEST_LABEL] == []
    assert [b.payload for b in buttons if len(b.payload.encode()) > 64] == []
    assert [b.label for b in buttons if problems(b.label, screens.locale)] == []


def test_the_command_writes_one_set_per_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["screens", "--lang", "kk", "--out", str(tmp_path), "--depth", "1"]) == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.md"))
    assert written == ["kk/catalog.md", "kk/samples.md", "kk/screens.md"]
    screens = (tmp_path / "kk" / "screens.md").read_text(encoding="utf-8")
    assert "Басты мәзір" in screens and "## student: Айдана Серікқызы Бекова" in screens
    samples = (tmp_path / "kk" / "samples.md").read_text(encoding="utf-8")
    assert "2026 жылғы 2 желтоқсан" in samples and "10-ға" in samples and "6-дан" in samples
    assert "Петроваға" in samples and "Бекованың" in samples and "Сергей Викторович Кимнің" in samples
