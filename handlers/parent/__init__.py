"""The parent's conversations: their children's timetable, assignments and grades."""

from __future__ import annotations

from bot.core.router import Router
from db.models import Role

router = Router(roles=[Role.parent])
