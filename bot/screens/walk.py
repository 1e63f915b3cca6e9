"""A walk through a role's screens: the main menu, every button it shows, then the buttons of what
each press showed, a few of each kind (by the action's prefix), to a given depth. Shared by
tests/core/test_every_button.py (every button reaches a route) and `ustaz screens` (what each shows).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.core.messages import Reply
from bot.core.router import DIALOG_BUTTON
from bot.screens.driver import Driver, Seat
from db.models import Role

# They switch the walker's language or role under it: shown and checked, not pressed.
NOT_PRESSED = frozenset({"lang", "role"})


# Who walks: each role of the demo school, in both groups' languages (the head holds three staff roles).
WALKERS = [
    ("Айдана Серікқызы Бекова", Role.student),
    ("Анна Сергеевна Петрова", Role.student),
    ("Серік Бекұлы Беков", Role.parent),
    ("Сергей Викторович Ким", Role.teacher),
    ("Айгүл Сейітқызы Нұрланова", Role.teacher),
    ("Ерлан Маратұлы Жұмабаев", Role.head),
    ("Ерлан Маратұлы Жұмабаев", Role.deputy),
    ("Ерлан Маратұлы Жұмабаев", Role.admin),
    ("Салтанат Әбенқызы Исмаилова", Role.methodist),
]


@dataclass(frozen=True)
class Step:
    path: tuple[str, ...]  # the labels pressed from the main menu to get here; () for the menu itself
    payload: str | None  # the button pressed, None for the menu
    replies: list[Reply]


def _buttons(replies: list[Reply]) -> list[tuple[str, str]]:
    return [(b.label, b.payload) for r in replies for row in r.buttons for b in row if b.url is None]


async def walk(driver: Driver, seat: Seat, depth: int = 2, per_kind: int = 2) -> AsyncIterator[Step]:
    """Yields the main menu, then each press with what it showed. Dialog buttons are not pressed
    (they only mean something while their dialog waits)."""
    menu = await driver.say(seat, "/menu")
    yield Step((), None, menu)
    frontier: list[tuple[tuple[str, ...], str]] = [((label,), payload) for label, payload in _buttons(menu)]
    pressed: set[str] = set()
    kinds: dict[str, int] = {}
    for _ in range(depth):
        shown: list[tuple[tuple[str, ...], str]] = []
        for path, payload in frontier:
            prefix = payload.partition(":")[0]
            if payload in pressed or prefix in NOT_PRESSED or prefix == DIALOG_BUTTON:
                continue
            if kinds.get(prefix, 0) >= per_kind:
                continue
            pressed.add(payload)
            kinds[prefix] = kinds.get(prefix, 0) + 1
            replies = await driver.say(seat, button=payload)
            yield Step(path, payload, replies)
            shown += [((*path, label), p) for label, p in _buttons(replies)]
        frontier = shown
