"""Every reason a service gives for a refusal has a text the person reads.

A reason is a member of a StrEnum on its error; the handler answers it from a map keyed by the enum.
A new member without a text fails here instead of reaching someone as a KeyError and an apology.
A few members are answered by their own lines beside the map (they need more than a fixed text);
they are named here, so the map plus these cover the enum exactly.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import pytest

from bot.services.admin.orders import REFUSALS as ORDER_REFUSALS
from bot.services.admin.orders import EnrolmentReason
from bot.services.coursework.posting import DraftReason
from bot.services.coursework.quizzes import ENDED, Over, ParseReason, StartReason
from bot.services.coursework.review import ReviewReason
from bot.services.coursework.submissions import Refusal
from bot.services.schedule.thematic import PlanReason
from handlers.student.quiz import OVER, START_ERRORS
from handlers.student.submit import REFUSALS as SUBMIT_REFUSALS
from handlers.teacher.plan import PLAN_ERRORS
from handlers.teacher.post import DRAFT_ERRORS
from handlers.teacher.quizzes import QUIZ_ERRORS
from handlers.teacher.review import REVIEW_ERRORS

CASES: list[tuple[str, type[enum.StrEnum], Mapping[enum.StrEnum, str], set[enum.StrEnum]]] = [
    ("quiz questions", ParseReason, QUIZ_ERRORS, set()),
    # not_admitted names the control measures still to do (handlers/student/quiz.start_refused)
    ("starting a test", StartReason, START_ERRORS, {StartReason.not_admitted}),
    ("an attempt over, in the dialog", Over, OVER, set()),
    ("an attempt over, told later", Over, ENDED, set()),
    # closed and not_later come from an extension, answered in its own step with the deadline shown
    ("grading", ReviewReason, REVIEW_ERRORS, {ReviewReason.closed, ReviewReason.not_later}),
    ("thematic plan", PlanReason, PLAN_ERRORS, set()),
    ("assignment draft", DraftReason, DRAFT_ERRORS, set()),
    ("enrolment order", EnrolmentReason, ORDER_REFUSALS, set()),
    # Both name something (what is left; the teacher to ask): refusal_text builds them.
    ("handing in", Refusal, SUBMIT_REFUSALS, {Refusal.not_admitted, Refusal.late_not_accepted}),
]


@pytest.mark.parametrize(("what", "reasons", "texts", "elsewhere"), CASES, ids=[c[0] for c in CASES])
def test_every_reason_has_a_text(
    what: str,
    reasons: type[enum.StrEnum],
    texts: Mapping[enum.StrEnum, str],
    elsewhere: set[enum.StrEnum],
) -> None:
    assert set(texts) | elsewhere == set(reasons), what
    assert not set(texts) & elsewhere, what
    assert all(type(key) is reasons for key in texts), f"{what}: keyed by {reasons.__name__}, not strings"
    assert all(isinstance(text, str) and text.strip() for text in texts.values()), what


@pytest.mark.parametrize(
    "reasons", [ParseReason, StartReason, Over, ReviewReason, PlanReason, DraftReason, EnrolmentReason]
)
def test_reasons_keep_their_stored_strings(reasons: type[enum.StrEnum]) -> None:
    """The value is what logs and stored records hold: it stays the member's own name."""
    assert all(member.value == member.name for member in reasons)
