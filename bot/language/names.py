"""Surname and initials from a full name, whichever order it was written in."""

from __future__ import annotations

SURNAME_ENDINGS = ("ов", "ова", "ев", "ева", "ёв", "ёва", "ин", "ина", "ын", "ына",
                   "ский", "ская", "цкий", "цкая", "енко", "ук", "юк")  # fmt: skip
MALE_PATRONYMIC = ("ович", "евич", "ич", "ұлы", "улы", "оглы", "уулу")
FEMALE_PATRONYMIC = ("овна", "евна", "ична", "инична", "қызы", "кызы", "гызы")
KAZAKH_PATRONYMIC = ("ұлы", "улы", "қызы", "кызы")  # not declined in Russian
PATRONYMIC_ENDINGS = MALE_PATRONYMIC + FEMALE_PATRONYMIC


def split_name(full_name: str) -> tuple[str, list[str]]:
    """(surname, given names): «Әсел Маратқызы Жақыпова» and «Жақыпова Әсел Маратқызы» alike."""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name, []
    if len(parts) >= 3 and parts[1].lower().endswith(PATRONYMIC_ENDINGS):
        return parts[-1], parts[:-1]  # Name Patronymic Surname
    if len(parts) == 2 and _surname_like(parts[1]) and not _surname_like(parts[0]):
        return parts[1], parts[:1]  # Name Surname: «Жанар Ахметова»
    return parts[0], parts[1:]  # Surname Name [Patronymic]


def _surname_like(word: str) -> bool:
    return word.lower().endswith(SURNAME_ENDINGS)


def surname_initials(full_name: str) -> str:
    """«Жақыпова Ә. М.» (002 item 23: surname and initials); a name that is not words of letters
    («Ученик 1-05») is kept whole, since its initials would not tell people apart."""
    surname, given = split_name(full_name)
    if not all(part.replace("-", "").isalpha() for part in given):
        return full_name
    return " ".join([surname, *(g[0].upper() + "." for g in given if g)])


def initials_surname(full_name: str) -> str:
    """«Е. М. Жұмабаев», as a signature line reads."""
    surname, given = split_name(full_name)
    return " ".join([*(g[0].upper() + "." for g in given if g), surname])
