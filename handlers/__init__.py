"""The conversations, one package per audience; no messenger types here.

Each audience package's `__init__` holds its router and role guard; its modules register on it.
The whole tree is listed here, and only here.
"""

from __future__ import annotations

import importlib

from bot.core.router import Router

TREE: dict[str, tuple[str, ...]] = {
    "common": ("welcome", "settings", "messengers", "consent", "calendar_feed", "class_chats"),
    "student": ("menu", "submit", "stray", "quiz", "application"),
    "parent": ("menu",),
    "teacher": ("post", "busy", "review", "regrade", "gradebook", "quizzes", "plan", "talk"),
    "tutor": ("menu",),
    "staff": ("menu", "applications", "setup", "calendar", "timetable", "courses", "orders", "roles"),
}


def build_router() -> Router:
    """The whole bot's routes: importing a module registers its routes on its audience's router."""
    router = Router()
    for audience, modules in TREE.items():
        for module in modules:
            importlib.import_module(f"handlers.{audience}.{module}")
        router.include(importlib.import_module(f"handlers.{audience}").router)
    return router
