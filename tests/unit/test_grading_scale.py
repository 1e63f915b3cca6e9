"""The letter-point-rating table of DESIGN.md, the school scales and the final-grade formula."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.i18n import Translator
from bot.services.coursework import grading_scale as gs
from db.models import GradingScheme


@pytest.mark.parametrize(
    ("pct", "symbol", "points", "name"),
    [
        (100, "A", "4.0", "excellent"),
        (95, "A", "4.0", "excellent"),
        (94.4, "A-", "3.67", "excellent"),
        (94.5, "A", "4.0", "excellent"),
        (90, "A-", "3.67", "excellent"),
        (89, "B+", "3.33", "good"),
        (80, "B", "3.0", "good"),
        (75, "B-", "2.67", "good"),
        (70, "C+", "2.33", "good"),
        (65, "C", "2.0", "satisfactory"),
        (60, "C-", "1.67", "satisfactory"),
        (55, "D+", "1.33", "satisfactory"),
        (50, "D", "1.0", "satisfactory"),
        (49, "FX", "0.5", "unsatisfactory"),
        (25, "FX", "0.5", "unsatisfactory"),
        (24, "F", "0", "unsatisfactory"),
        (0, "F", "0", "unsatisfactory"),
    ],
)
def test_letter_table(pct: float, symbol: str, points: str, name: str) -> None:
    m = gs.letter(pct)
    assert (m.symbol, m.points, m.traditional) == (symbol, Decimal(points), name)
    assert m.passed == (symbol not in ("FX", "F"))


def test_school_scales_and_labels() -> None:
    assert gs.mark(90, GradingScheme.school5).symbol == "5"
    assert gs.mark(70, "school5").symbol == "4"
    assert gs.mark(39, "school5").passed is False
    assert gs.mark(87, GradingScheme.school10).symbol == "9"
    assert gs.letter(91).label(Translator("ru")) == "A- (3,67, отлично)"
    assert gs.mark(90, "school5").label(Translator("kk")) == "5 (өте жақсы)"


def test_final_grade_uses_the_organizations_settings() -> None:
    default = gs.GradingSettings.of({})
    assert gs.final_rating(80, 60, default) == Decimal("72.00")
    assert default.admission_threshold is None  # 001 item 29: the control measures admit, no rating
    own = gs.GradingSettings.of(
        {"grading": {"admission_weight": 0.5, "exam_weight": 0.5, "admission_threshold": 60}}
    )
    assert gs.final_rating(80, 60, own) == Decimal("70.00")
    assert own.admission_threshold == Decimal(60)


def test_percent_and_current_rating() -> None:
    assert gs.percent(45, 50) == Decimal("90.00")
    assert gs.percent(120, 100) == Decimal("100.00")
    assert gs.current_rating([]) is None
    assert gs.current_rating([(90, 100), (10, 20)]) == Decimal("83.33")
    assert gs.mean([80, 90]) == Decimal("85.00")
