"""Each role's main menu, assembled from what the feature modules register.

A feature adds its entry where it is defined (`menus.add(Role.student, N_("Timetable"), Timetable())`),
so no central file has to know every feature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.actions import Action
from bot.i18n import LOCALES, Translator
from db.models import Role

# Typed instead of pressed: the menu's own words and what people write for them, in both languages
# (WhatsApp and the web chat show no persistent keyboard, so many type «меню» or «расписание»).
MENU_WORDS = frozenset({"menu", "меню", "мәзір", "мезир", "главное меню", "басты мәзір", "start", "старт",
                        "начать", "бастау"})  # fmt: skip
HELP_WORDS = frozenset({"help", "помощь", "помогите", "көмек", "справка", "анықтама"})
SYNONYMS = {  # other words for an entry's English label
    "Timetable": ("расписание занятий", "сабақ кестесі", "кесте", "расписание", "schedule"),
    "Grades": ("оценки", "мои оценки", "бағалар", "бағам", "marks"),
    "Assignments": ("задания", "мои задания", "тапсырмалар", "тапсырма", "homework", "домашнее задание",
                    "үй тапсырмасы"),
}  # fmt: skip


def normalized(text: str) -> str:
    """Lower case, ё as е, no punctuation or emoji around or doubled spaces: «Меню!» is «меню»."""
    words = re.sub(r"[^\w\s-]", " ", text.lower().replace("ё", "е")).split()
    return " ".join(words)


@dataclass(frozen=True, order=True)
class MenuEntry:
    order: int
    label: str  # an English msgid marked with N_(), translated when shown
    action: Action = field(compare=False)  # what the button does


class MenuRegistry:
    def __init__(self) -> None:
        self._entries: dict[Role, list[MenuEntry]] = {role: [] for role in Role}

    def add(self, roles: Role | tuple[Role, ...], label: str, action: Action, order: int = 50) -> None:
        for role in roles if isinstance(roles, tuple) else (roles,):
            if any(e.action == action for e in self._entries[role]):
                continue  # modules imported twice (tests) must not double the menu
            self._entries[role].append(MenuEntry(order, label, action))
            self._entries[role].sort()

    def entries(self, role: Role) -> list[MenuEntry]:
        return list(self._entries[role])

    def typed(self, role: Role, text: str) -> Action | None:
        """The entry of this role's menu whose label (in any language, or a common synonym) is `text`."""
        said = normalized(text)
        for entry in self._entries[role]:
            names = {entry.label, *(Translator(locale).gettext(entry.label) for locale in LOCALES)}
            names.update(SYNONYMS.get(entry.label, ()))
            if said in {normalized(name) for name in names}:
                return entry.action
        return None


menus = MenuRegistry()
