"""A parent's buttons: their children and what each child has."""

from __future__ import annotations

from bot.actions.student import Span
from bot.core.actions import Action


class Children(Action, prefix="kids"):
    pass


class LinkChild(Action, prefix="klink"):
    pass


class ChildCard(Action, prefix="kid"):
    child_id: int


class ChildTimetable(Action, prefix="ktt"):
    child_id: int
    span: Span | None = None  # none: the week


class ChildAssignments(Action, prefix="kasg"):
    child_id: int


class ChildGrades(Action, prefix="kgrd"):
    child_id: int
