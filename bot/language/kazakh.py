"""Kazakh case endings after a number, a time or a name, as a clerk writes them: «10-ға дейін»,
«18:00-ге дейін», «0-ден 10-ға дейін», «Петрованың өтініші», «Кимге».

The ending follows the word's last sound (vowel harmony: the last vowel is back or front) and its
last sound (a vowel; м, н, ң; another voiced consonant; a voiceless one). A number is read as a word
for that: 6 is «алты» (6-дан), 40 «қырық» (40-қа), 1000 «мың» (1000-ға). A time is read as its
minutes, or its hour on the hour: 21:48 «қырық сегіз» (21:48-ге), 18:00 «он сегіз» (18:00-ге).
"""

from __future__ import annotations

import enum
import re
from decimal import Decimal

BACK = frozenset("аоұыяюё")
FRONT = frozenset("әөүіеэ")
AMBIGUOUS = frozenset("иу")  # и and у are read by the vowels around them
VOWELS = BACK | FRONT | AMBIGUOUS
NASAL = frozenset("мнң")
VOICED = frozenset("лрйузж")  # the other voiced consonants (у after a vowel is a consonant)
# Voiceless, and б, в, г, д, which lose their voice at the end of a word: Петровқа, клубқа.
VOICELESS = frozenset("кқпстфхцчшщһбвгд")


class Case(enum.StrEnum):
    dative = "dative"  # барыс: -ға/-ге/-қа/-ке («дейін» takes it)
    locative = "locative"  # жатыс: -да/-де/-та/-те
    ablative = "ablative"  # шығыс: -дан/-ден/-нан/-нен/-тан/-тен («бастап», «кейін» take it)
    genitive = "genitive"  # ілік: -ның/-нің/-дың/-дің/-тың/-тің
    accusative = "accusative"  # табыс: -ны/-ні/-ды/-ді/-ты/-ті
    instrumental = "instrumental"  # көмектес: -мен/-бен/-пен
    locative_attributive = "locative_attributive"  # -дағы/-дегі/-тағы/-тегі («2 желтоқсандағы»)


UNITS = ("нөл", "бір", "екі", "үш", "төрт", "бес", "алты", "жеті", "сегіз", "тоғыз")
TENS = ("", "он", "жиырма", "отыз", "қырық", "елу", "алпыс", "жетпіс", "сексен", "тоқсан")


def last_word_of_number(n: int) -> str:
    """The number's last word when read aloud, which decides the ending: 26 «алты», 40 «қырық»."""
    n = abs(n)
    if n == 0:
        return "нөл"
    if n % 10:
        return UNITS[n % 10]
    if n % 100:
        return TENS[(n % 100) // 10]
    if n % 1000:
        return "жүз"
    if n % 10**6:
        return "мың"
    if n % 10**9:
        return "миллион"
    return "миллиард"


def _last_word(text: str) -> str:
    """The word the ending attaches to: «Сергей Викторович Ким» is read by «Ким»."""
    words = text.split()
    return words[-1] if words else text


def _is_back(word: str) -> bool:
    word = _last_word(word).lower()
    if word.endswith("ь"):
        return False  # a soft sign makes the ending front: Игорьдің
    if word.endswith("ев") and len(word) > 3:
        word = word[:-2]  # the Russian suffix follows the stem: Жұмабаевтың, Назарбаевқа
    letters = [c for c in word if c in VOWELS]
    for c in reversed(letters):
        if c in BACK:
            return True
        if c in FRONT:
            return False
    # Only и/у: и is front (Ким, Ли), у is back (Тимур).
    return bool(letters) and letters[-1] == "у"


def _last_sound(word: str) -> str:
    """'vowel', 'nasal', 'voiced' or 'voiceless'."""
    letters = [c for c in _last_word(word).lower() if c.isalpha() and c not in "ьъ"]
    if not letters:
        return "vowel"
    last = letters[-1]
    if last == "у" and len(letters) > 1 and letters[-2] in VOWELS:
        return "voiced"  # ау, еу: у is a consonant here
    if last == "и":
        return "voiced"  # a final и is said ій: Әлидің, Лиді
    if last in VOWELS:
        return "vowel"
    if last in NASAL:
        return "nasal"
    if last in VOICED:
        return "voiced"
    return "voiceless"


# (back, front) endings by case and last sound.
V, N, D, T = "vowel", "nasal", "voiced", "voiceless"
ENDINGS: dict[Case, dict[str, tuple[str, str]]] = {
    Case.dative: {V: ("ға", "ге"), N: ("ға", "ге"), D: ("ға", "ге"), T: ("қа", "ке")},
    Case.locative: {V: ("да", "де"), N: ("да", "де"), D: ("да", "де"), T: ("та", "те")},
    Case.ablative: {V: ("дан", "ден"), N: ("нан", "нен"), D: ("дан", "ден"), T: ("тан", "тен")},
    Case.genitive: {V: ("ның", "нің"), N: ("ның", "нің"), D: ("дың", "дің"), T: ("тың", "тің")},
    Case.accusative: {V: ("ны", "ні"), N: ("ды", "ді"), D: ("ды", "ді"), T: ("ты", "ті")},
    Case.locative_attributive: {
        V: ("дағы", "дегі"),
        N: ("дағы", "дегі"),
        D: ("дағы", "дегі"),
        T: ("тағы", "тегі"),
    },
}


def ending(word: str, case: Case) -> str:
    """The case ending this word takes (without a hyphen)."""
    sound = _last_sound(word)
    if case is Case.instrumental:
        last = [c for c in _last_word(word).lower() if c.isalpha() and c not in "ьъ"][-1:] or ["а"]
        if sound == "voiceless":
            return "пен"
        return "бен" if last[0] in "зж" else "мен"  # мен after vowels and sonorants: адаммен
    back, front = ENDINGS[case][sound]
    return back if _is_back(word) else front


def with_ending(word: str, case: Case) -> str:
    """A name or a word with its ending: «Петрова» → «Петроваға», «Ким» → «Кимнің»."""
    return word + ending(word, case)


def number_with_ending(value: int | Decimal | str, case: Case, shown: str | None = None) -> str:
    """«10-ға», «6-дан», «4,5-ке»: the number as shown, a hyphen, the ending it is read with."""
    text = str(value)
    whole, _, fraction = text.replace(",", ".").partition(".")
    fraction = fraction.rstrip("0")
    spoken = int(fraction) if fraction else int(whole or 0)
    return f"{shown if shown is not None else text}-{ending(last_word_of_number(spoken), case)}"


TIME = re.compile(r"(\d{1,2}):(\d{2})")


def time_with_ending(time_text: str, case: Case) -> str:
    """«18:00-ге», «21:48-ге», «18:30-ға»: read by its minutes, or by its hour on the hour."""
    match = TIME.fullmatch(time_text.strip())
    if match is None:
        raise ValueError(f"not a time: {time_text!r}")
    hours, minutes = int(match[1]), int(match[2])
    word = last_word_of_number(minutes if minutes else hours)
    return f"{time_text.strip()}-{ending(word, case)}"


TRAILING_NUMBER = re.compile(r"(\d+(?:[.,]\d+)?)$")


def attach(text: str, case: Case) -> str:
    """The ending a value shown in a sentence takes, attached as a clerk writes it: after a time or a
    number with a hyphen («21:48-ге», «10-ға»), after a word directly («желтоқсанға», «Петроваға»)."""
    stripped = text.rstrip()
    if not stripped:
        return text
    last = stripped.split()[-1]
    if TIME.fullmatch(last):
        return stripped[: -len(last)] + time_with_ending(last, case)
    number = TRAILING_NUMBER.search(stripped)
    if number is not None:
        return stripped[: number.start()] + number_with_ending(number[1], case)
    return with_ending(stripped, case)
