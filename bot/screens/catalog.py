"""Every msgid of a catalog rendered with sample values, as a person would read it: names of both
genders and origins (declined where the translation asks), numbers ending in each sound (so every
Kazakh ending shows), dates in each month. The values rotate from one message to the next, so a
reader sees each kind of value somewhere."""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import cycle, islice

from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, Translator

# Both genders, Kazakh and Russian origins, surnames that decline and ones that do not (Ким, Ли).
NAMES = (
    "Анна Сергеевна Петрова",
    "Ерлан Маратұлы Жұмабаев",
    "Айдана Серікқызы Бекова",
    "Сергей Викторович Ким",
    "Екатерина Павловна Ким",
    "Дмитрий Олегович Ли",
    "Әсел Маратқызы Жақыпова",
    "Нұрсұлтан Ерланұлы Әбдіров",
    "Алина Руслановна Ахметова",
    "Максим Игоревич Ткаченко",
)
# Each number's last word ends in another sound (0 нөл, 2 екі, 3 үш, 6 алты, 8 сегіз, 10 он, 40 қырық,
# 50 елу, 100 жүз), and Russian's three plural forms come round (1, 2-4, 5+; 21, 11).
NUMBERS = (1, 2, 3, 5, 6, 8, 10, 11, 21, 40, 50, 100, 0, 7, 9, 20, 30, 60, 70, 80, 90)
TIMES = ("18:00", "21:48", "09:30", "14:05", "10:40", "12:20")
PERSON = frozenset({"student", "teacher", "name", "child", "person", "author", "parent", "names"})
NUMBER = frozenset(
    {"n", "number", "score", "max", "limit", "total", "left", "seq", "size", "percent", "low", "high",
     "done", "late", "assignments", "rate", "cap", "item", "line", "shown", "existing", "created", "last",
     "first", "new", "other", "credits", "hours", "count"}
)  # fmt: skip
DATETIME = frozenset({"when", "deadline", "was", "old", "end"})
DATE = frozenset({"date", "dates"})
TEXT: dict[str, dict[str, str]] = {
    "kk": {
        "course": "Python негіздері",
        "discipline": "Деректер қоры",
        "title": "ER-диаграмма",
        "assignment": "ER-диаграмма",
        "topic": "Циклдер",
        "group": "ПО-21",
        "from_group": "ПО-21",
        "groups": "ПО-21, ИС-22",
        "courses": "Python негіздері, Деректер қоры",
        "org": "Алматы цифрлық колледжі",
        "kind": "аралық бақылау",
        "role": "білім алушы",
        "roles": "педагог, әдіскер",
        "reason": "денсаулық жағдайы",
        "comment": "Жақсы жұмыс, бірақ қорытынды жоқ.",
        "room": "202",
        "status": "тіркелді",
        "state": "тексерілді",
        "changes": "балл 70 → 85",
        "what": "ER-диаграмма",
        "missing": "Циклдер",
        "control": "аралық бақылау",
        "category": "денсаулығы бойынша",
        "level": "бакалавриат",
        "basis": "жалпы орта білім",
        "term": "2026–2027 оқу жылы, 1-семестр",
        "mark": "B+",
        "text": "Петров",
        "grounds": "өтініш",
        "files": "diagram.pdf, photo.jpg",
        "field": "туған күні",
        "fields": "ЖСН, телефон",
        "column": "аты-жөні",
        "columns": "аты-жөні, топ",
        "value": "ИС-99",
        "app": "Ustaz",
        "id": "12",
        "mark_": "",
    },
    "ru": {
        "course": "Веб-программирование",
        "discipline": "Веб-программирование",
        "title": "Вёрстка страницы",
        "assignment": "Вёрстка страницы",
        "topic": "Блочная модель",
        "group": "ИС-22",
        "from_group": "ИС-22",
        "groups": "ИС-22, ПО-21",
        "courses": "Веб-программирование, Базы данных",
        "org": "Алматинский цифровой колледж",
        "kind": "рубежный контроль",
        "role": "обучающийся",
        "roles": "педагог, методист",
        "reason": "состояние здоровья",
        "comment": "Хорошая работа, но нет вывода.",
        "room": "203",
        "status": "зарегистрирован",
        "state": "проверено",
        "changes": "балл 70 → 85",
        "what": "Вёрстка страницы",
        "missing": "Блочная модель",
        "control": "рубежный контроль",
        "category": "по состоянию здоровья",
        "level": "бакалавриат",
        "basis": "общее среднее образование",
        "term": "2026–2027 учебный год, 1 семестр",
        "mark": "B+",
        "text": "Петров",
        "grounds": "заявление",
        "files": "diagram.pdf, photo.jpg",
        "field": "дата рождения",
        "fields": "ИИН, телефон",
        "column": "ФИО",
        "columns": "ФИО, группа",
        "value": "ИС-99",
        "app": "Ustaz",
        "id": "12",
    },
}
OTHER = {  # the same in both languages
    "code": "K7Q2M9",
    "link": "https://t.me/ustaz_bot?start=K7Q2M9",
    "url": "https://ustaz.example.kz/c/K7Q2M9",
    "hash": "3f9a…c2",
}


@dataclass(frozen=True)
class Rendered:
    msgid: str
    texts: list[str]  # the translation with samples, one per variant
    unknown: list[str]  # placeholders the translation has and the msgid does not (a KeyError at run time)


def fields(text: str) -> set[str]:
    return {f.split(".")[0].split("[")[0] for _, f, _, _ in string.Formatter().parse(text) if f}


# Python's format spec for a number («+d», «.1f», «,»), not a case or a gendered form («genitive»).
NUMBER_SPEC = re.compile(r"^(.?[<>=^])?[+\- ]?z?#?0?\d*[,_]?(\.\d+)?[bdeEfFgGnxXo%]$")


def numeric(text: str) -> set[str]:
    """The placeholders whose format spec asks for a number («{change:+d}»), whatever their name."""
    return {f for _, f, spec, _ in string.Formatter().parse(text) if f and spec and NUMBER_SPEC.match(spec)}


def samples(
    t: Translator, names: set[str], variant: int, numbers_only: set[str] | None = None
) -> dict[str, object]:
    """A value for each placeholder, the `variant`-th of each rotation."""
    values: dict[str, object] = {}
    people = cycle(NAMES[variant % len(NAMES) :] + NAMES[: variant % len(NAMES)])
    numbers = islice(cycle(NUMBERS), variant * 3, None)
    for i, name in enumerate(sorted(names)):
        moment = dt.datetime(2026, 1 + (variant + i) % 12, 2 + variant % 27, 16, 18, tzinfo=dt.UTC)
        if name in (numbers_only or ()):
            values[name] = next(numbers)
        elif name in PERSON:
            values[name] = next(people)
        elif name == "time":
            values[name] = TIMES[variant % len(TIMES)]
        elif name in DATETIME:
            values[name] = t.datetime(moment)
        elif name in DATE:
            values[name] = t.date(moment)
        elif name in NUMBER or name in (numbers_only or ()):
            values[name] = next(numbers)
        else:
            values[name] = TEXT[t.locale].get(name) or OTHER.get(name) or TEXT[t.locale]["value"]
    return values


def render(locale: str, variants: int = 2) -> Iterator[Rendered]:
    """Each message of the catalog, in the order of the catalog, through the same gettext the bot uses."""
    t = Translator(locale)
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    for index, message in enumerate(m for m in catalog if m.id):
        if isinstance(message.id, tuple | list):
            singular, plural = message.id
            known = fields(singular) | fields(plural)
            translated = [str(s) for s in message.string or ()]
            names = known | {f for s in translated for f in fields(s)}
            out = []
            for n in (1, 2, 5, 21):
                values = samples(t, names, index) | {"n": n}
                out.append(t.ngettext(singular, plural, n).format(**values))
            yield Rendered(singular, out, sorted(names - known))
            continue
        known = fields(message.id)
        names = known | fields(str(message.string))
        text = t.gettext(message.id)
        count = variants if names else 1
        as_numbers = numeric(message.id) | numeric(str(message.string))
        out = [text.format(**samples(t, names, index + v * 5, as_numbers)) for v in range(count)]
        yield Rendered(message.id, out, sorted(names - known))
