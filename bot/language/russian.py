"""Russian full names declined by case, with petrovich's rules (pytrovich): «заявления Петровой Анны
Сергеевны», «Разрешить Петровой Анне Сергеевне», «Напишите вопрос педагогу Киму Сергею Викторовичу».

Each part keeps its place in the name as written. Kazakh patronymics (-ұлы, -қызы, -улы, -кызы) are
not declined in Russian, and a name whose gender is unknown is not declined at all: the caller then
words the sentence so that the nominative is right («Автор: …»).
"""

from __future__ import annotations

import enum

from pytrovich.enums import Case as PetrovichCase
from pytrovich.enums import Gender as PetrovichGender
from pytrovich.enums import NamePart
from pytrovich.maker import PetrovichDeclinationMaker

from bot.language.gender import Gender, gender_of
from bot.language.names import KAZAKH_PATRONYMIC, split_name

_maker = PetrovichDeclinationMaker()


class Case(enum.StrEnum):
    nominative = "nominative"
    genitive = "genitive"
    dative = "dative"
    accusative = "accusative"
    instrumental = "instrumental"
    prepositional = "prepositional"


_CASES = {
    Case.genitive: PetrovichCase.GENITIVE,
    Case.dative: PetrovichCase.DATIVE,
    Case.accusative: PetrovichCase.ACCUSATIVE,
    Case.instrumental: PetrovichCase.INSTRUMENTAL,
    Case.prepositional: PetrovichCase.PREPOSITIONAL,
}


def _part(word: str, part: NamePart, gender: PetrovichGender, case: PetrovichCase) -> str:
    if part is NamePart.MIDDLENAME and word.lower().endswith(KAZAKH_PATRONYMIC):
        return word
    # A double surname or name: each half declines on its own (Петрова-Водкина).
    return "-".join(_maker.make(part, gender, case, half) for half in word.split("-"))


def decline(full_name: str, case: Case, gender: Gender | None = None) -> str | None:
    """The name in `case`, or None when it cannot be declined safely (gender unknown)."""
    if case is Case.nominative:
        return full_name
    gender = gender or gender_of(full_name)
    if gender is None:
        return None
    words = full_name.split()
    surname, given = split_name(full_name)
    petrovich_gender = PetrovichGender.MALE if gender is Gender.male else PetrovichGender.FEMALE
    roles = {surname: NamePart.LASTNAME}
    if given:
        roles.setdefault(given[0], NamePart.FIRSTNAME)
    if len(given) > 1:
        roles.setdefault(given[1], NamePart.MIDDLENAME)
    return " ".join(
        _part(word, roles[word], petrovich_gender, _CASES[case]) if word in roles else word for word in words
    )


def surname_first(full_name: str) -> str:
    """«Петрова Анна Сергеевна»: the order of documents, whichever order the name was written in."""
    surname, given = split_name(full_name)
    return " ".join([surname, *given])
