"""The weekly digest lists the grades given this week, whenever the work was due."""

import datetime as dt
from decimal import Decimal

from bot.i18n import Translator
from bot.services.coursework.assignments import AssignmentView, State
from bot.services.messaging.digest import digest_text

NOW = dt.datetime(2026, 11, 29, 13, 0, tzinfo=dt.UTC)  # Sunday 18:00 in Almaty


def graded(title: str, due_days_ago: int, graded_days_ago: int) -> AssignmentView:
    return AssignmentView(
        id=hash(title) % 1000, title=title, text="", discipline="Python", course_id=1,
        deadline=NOW - dt.timedelta(days=due_days_ago), max_score=100, closed=False, state=State.graded,
        receipt="R", submitted_at=NOW - dt.timedelta(days=due_days_ago + 1), score=Decimal(90), comment=None,
        graded_at=NOW - dt.timedelta(days=graded_days_ago),
    )  # fmt: skip


def test_a_late_grading_is_this_weeks_news_and_an_old_one_is_not() -> None:
    text = digest_text(
        Translator("ru"),
        "Анна",
        [
            graded("Эссе", due_days_ago=21, graded_days_ago=2),
            graded("Лабораторная", due_days_ago=9, graded_days_ago=8),
        ],
        NOW,
    )
    assert "Эссе" in text and "Лабораторная" not in text
