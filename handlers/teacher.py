"""The teacher's conversations: each journey lives in its own module, included here."""

from __future__ import annotations

from bot.core.router import Router
from handlers import quiz, teacher_gradebook, teacher_plan, teacher_post, teacher_review, teacher_talk

router = Router()
for module in (teacher_post, teacher_review, teacher_gradebook, quiz, teacher_plan, teacher_talk):
    router.include(module.router)
