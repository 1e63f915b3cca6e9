"""A person's grammatical gender, for the forms Russian and Kazakh texts choose by it («получил» /
«получила»): from the patronymic, which says it plainly (-вич/-вна, -ұлы/-қызы, -улы/-кызы). First
names are not guessed: dictionaries built on Russian names take Әсел, Гүлнар or Жанар for men. Without
a patronymic the gender is None, and the text takes a phrasing that needs none (never «получил(а)»)."""

from __future__ import annotations

import enum

from bot.language.names import FEMALE_PATRONYMIC, MALE_PATRONYMIC, split_name


class Gender(enum.StrEnum):
    male = "male"
    female = "female"


def parts(full_name: str) -> tuple[str, str | None, str | None]:
    """(surname, first name, patronymic) in whichever order the name was written."""
    surname, given = split_name(full_name)
    first = given[0] if given else None
    patronymic = given[1] if len(given) > 1 else None
    return surname, first, patronymic


def gender_of(full_name: str) -> Gender | None:
    _, _, patronymic = parts(full_name)
    if patronymic:
        lowered = patronymic.lower()
        if lowered.endswith(FEMALE_PATRONYMIC):
            return Gender.female
        if lowered.endswith(MALE_PATRONYMIC):
            return Gender.male
    return None
