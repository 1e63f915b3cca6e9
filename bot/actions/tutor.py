"""A tutor's buttons: their groups and their students' questions."""

from __future__ import annotations

from bot.core.actions import Action


class TutorGroups(Action, prefix="ugrp"):
    group_id: int | None = None  # none: the list of the tutor's groups


class TutorQuestions(Action, prefix="uq"):
    question_id: int | None = None  # set: answer this question
