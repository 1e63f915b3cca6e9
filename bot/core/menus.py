"""Each role's main menu, assembled from what the feature modules register.

A feature adds its entry where it is defined (`menus.add(Role.student, N_("Timetable"), Timetable())`),
so no central file has to know every feature.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.actions import Action
from db.models import Role


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


menus = MenuRegistry()
