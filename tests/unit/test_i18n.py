"""Both catalogs complete, Russian plurals, Kazakh dates, the organization's zone."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, Translator, pick_locale

PLACEHOLDER = re.compile(r"\{(\w+)(?::[^{}]*)?\}")  # a name, and a Kazakh case ending: {max:dative}


def catalog(lang: str):  # type: ignore[no-untyped-def]
    with open(LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh)


def source_ids() -> set[str]:
    with open(LOCALES_DIR / "messages.pot", "rb") as fh:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_catalog_is_complete_and_keeps_placeholders(lang: str) -> None:
    cat = catalog(lang)
    ids = set()
    for message in cat:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        ids.add(key)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{lang}: untranslated {key!r}"
        assert not message.fuzzy, f"{lang}: fuzzy {key!r}"
        wanted = set(PLACEHOLDER.findall(key))
        for s in strings:
            assert set(PLACEHOLDER.findall(s)) == wanted, f"{lang}: placeholders differ in {key!r}: {s!r}"
    assert source_ids() <= ids, f"{lang}: not in the catalog: {sorted(source_ids() - ids)}"


def test_catalog_matches_the_source() -> None:
    """Every translatable string in the code is in messages.pot (scripts/i18n.sh was run)."""
    from babel.messages.extract import extract_from_dir

    root = Path(__file__).resolve().parents[2]
    found: set[str] = set()
    keywords = {"_": None, "N_": None, "n_": (1, 2), "ngettext": (1, 2)}
    for package in ("bot", "handlers"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            root / package, method_map=[("**.py", "python")], keywords=keywords
        ):
            found.add(message if isinstance(message, str) else message[0])
    missing = found - source_ids()
    assert not missing, f"run scripts/i18n.sh: {sorted(missing)[:10]}"


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1 день"),
        (2, "2 дня"),
        (5, "5 дней"),
        (11, "11 дней"),
        (21, "21 день"),
        (22, "22 дня"),
        (112, "112 дней"),
    ],
)
def test_russian_plurals(n: int, expected: str) -> None:
    from bot.labels import days_phrase

    assert days_phrase(Translator("ru"), n) == expected


def test_kazakh_plural_keeps_the_noun_singular() -> None:
    from bot.labels import files_phrase

    assert [files_phrase(Translator("kk"), n) for n in (1, 2, 5)] == ["1 файл", "2 файл", "5 файл"]


def test_date_written_in_kazakh_and_russian_in_almaty_time() -> None:
    moment = dt.datetime(2026, 11, 23, 13, 5, tzinfo=dt.UTC)  # 18:05 in Almaty (UTC+5)
    assert Translator("kk").datetime(moment) == "23 қараша, 18:05"
    assert Translator("ru").datetime(moment) == "23 ноября, 18:05"
    assert Translator("kk").weekday_date(dt.date(2026, 11, 23)) == "дүйсенбі, 23 қараша"


def test_zone_is_the_organizations() -> None:
    moment = dt.datetime(2026, 11, 23, 20, 30, tzinfo=dt.UTC)
    assert Translator("ru", "Asia/Almaty").datetime(moment) == "24 ноября, 01:30"
    assert Translator("ru", "Asia/Aqtobe").datetime(moment) == "24 ноября, 01:30"
    assert Translator("ru", "Europe/Moscow").datetime(moment) == "23 ноября, 23:30"


def test_locale_from_the_messenger() -> None:
    assert pick_locale("ru-RU", "kk") == "ru"
    assert pick_locale("kk", "ru") == "kk"
    assert pick_locale("en", "kk") == "kk"
    assert pick_locale(None, "ru") == "ru"


def test_each_language_orders_a_dates_parts_its_own_way() -> None:
    import datetime as dt

    kk, ru = Translator("kk"), Translator("ru")
    moment = dt.datetime(2026, 12, 2, 16, 18, tzinfo=dt.UTC)  # 21:18 in Almaty
    assert kk.datetime(moment, year=True) == "2026 жылғы 2 желтоқсан, 21:18"
    assert ru.datetime(moment, year=True) == "2 декабря 2026, 21:18"
    assert kk.date(dt.date(2019, 12, 19)) == "2019 жылғы 19 желтоқсан"
    assert kk.period(dt.date(2019, 12, 14), dt.date(2019, 12, 19)) == "2019 жылғы 14–19 желтоқсан"
    assert ru.period(dt.date(2019, 12, 14), dt.date(2019, 12, 19)) == "14–19 декабря 2019"
    assert kk.period(dt.date(2027, 9, 1), dt.date(2027, 12, 25)) == "2027 жылғы 1 қыркүйек – 25 желтоқсан"
    assert ru.period(dt.date(2027, 9, 1), dt.date(2028, 1, 10)) == "1 сентября 2027 – 10 января 2028"


def test_kazakh_placeholders_take_the_case_ending_of_their_value() -> None:
    kk = Translator("kk")
    assert (
        kk.gettext("The score must be from 0 to {max}.").format(max=10)
        == "Балл 0-ден 10-ға дейін болуы керек."
    )
    assert (
        kk.gettext("The score must be from 0 to {max}.").format(max=6) == "Балл 0-ден 6-ға дейін болуы керек."
    )
    assert kk.gettext("Type a whole number from {low} to {high}.").format(low=6, high=40) == (
        "6-дан 40-қа дейінгі бүтін санды жазыңыз."
    )
    assert kk.gettext("Finish by {time}.").format(time="21:48") == "21:48-ге дейін аяқтаңыз."
    assert kk.gettext("until {when}").format(when="2 желтоқсан, 18:00") == "2 желтоқсан, 18:00-ге дейін"
    assert Translator("ru").gettext("The score must be from 0 to {max}.").format(max=10) == (
        "Балл должен быть от 0 до 10."
    )


def test_no_kazakh_placeholder_stands_bare_before_a_postposition() -> None:
    bare = re.compile(r"\{\w+\} (дейін|бастап|кейін)")
    found = [m.string for m in catalog("kk") if m.id and any(bare.search(s) for s in _strings(m))]
    assert found == []


def _strings(message) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_no_russian_text_hedges_a_persons_gender_with_brackets() -> None:
    hedged = [m.id for m in catalog("ru") if m.id and any("(а)" in s for s in _strings(m))]
    assert hedged == []
