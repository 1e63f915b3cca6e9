"""The student's conversations: timetable, assignments, handing work in, tests, applying."""

from __future__ import annotations

from bot.core.router import Router
from db.models import Role

router = Router(roles=[Role.student])
