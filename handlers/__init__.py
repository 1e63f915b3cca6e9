"""The conversations, one module per role or journey. No messenger types here."""

from __future__ import annotations

from bot.core.router import Router


def build_router() -> Router:
    """The whole bot's routes. Feature modules add their own router here."""
    from handlers import application, common, parent, staff, student, teacher

    router = Router()
    for module in (common, student, parent, teacher, staff, application):
        router.include(module.router)
    return router
