"""The staff's conversations: applications, orders, set-up, calendar, timetable, imports, reports."""

from __future__ import annotations

from bot.core.router import Router
from db.models.enums import STAFF_ROLES

router = Router(roles=STAFF_ROLES)
