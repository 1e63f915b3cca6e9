"""What everyone who writes to Ustaz shares: joining, the menu, help, language, role, notices."""

from __future__ import annotations

from bot.core.router import Router

router = Router()
