"""The teacher's conversations: posting work, reviewing, grades, plans, tests, talking to students."""

from __future__ import annotations

from bot.core.router import Router
from db.models import Role

router = Router(roles=[Role.teacher])
