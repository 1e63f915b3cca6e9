"""The tutor's conversations: the groups they accompany and their students' questions."""

from __future__ import annotations

from bot.core.router import Router
from db.models import Role

router = Router(roles=[Role.tutor])
