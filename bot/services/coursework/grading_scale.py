"""Grading scales: percent → letter, points and the traditional name; the final-grade formula.

Universities and colleges use the letter-point-rating scale (001 item 30, the table in
DESIGN.md); schools use a 5- or 10-point scale (Organization.grading_scheme). Weights
are the organization's settings, with DESIGN.md's defaults: final = 0.6 × admission + 0.4 × exam.
Admission itself is admission.decide (all control measures, 001 item 29); an organization may add
a rating threshold on top (admission_threshold, default none).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bot.i18n import N_, Translator
from db.models import GradingScheme

EXCELLENT = N_("excellent")
GOOD = N_("good")
SATISFACTORY = N_("satisfactory")
UNSATISFACTORY = N_("unsatisfactory")


@dataclass(frozen=True)
class Mark:
    """One result on a scale: `symbol` is the letter (A-) or the school mark (5)."""

    symbol: str
    points: Decimal  # grade points (4.0 for A); the school mark itself on school scales
    percent: Decimal
    traditional: str  # an English msgid: excellent, good, satisfactory, unsatisfactory
    passed: bool

    def label(self, t: Translator) -> str:
        """E.g. 'A- (3,67, өте жақсы)' or '5 (отлично)'."""
        name = t.gettext(self.traditional)
        if self.symbol.isdigit():
            return f"{self.symbol} ({name})"
        return f"{self.symbol} ({t.number(self.points)}, {name})"


# (lowest percent, letter, points, traditional name): DESIGN.md's table, best first.
LETTER_SCALE: tuple[tuple[int, str, str, str], ...] = (
    (95, "A", "4.0", EXCELLENT),
    (90, "A-", "3.67", EXCELLENT),
    (85, "B+", "3.33", GOOD),
    (80, "B", "3.0", GOOD),
    (75, "B-", "2.67", GOOD),
    (70, "C+", "2.33", GOOD),
    (65, "C", "2.0", SATISFACTORY),
    (60, "C-", "1.67", SATISFACTORY),
    (55, "D+", "1.33", SATISFACTORY),
    (50, "D", "1.0", SATISFACTORY),
    (25, "FX", "0.5", UNSATISFACTORY),
    (0, "F", "0", UNSATISFACTORY),
)

# The school 5-point scale as Kazakhstan's schools commonly convert percent (criteria-based marks).
SCHOOL5_SCALE: tuple[tuple[int, str, str], ...] = (
    (85, "5", EXCELLENT),
    (65, "4", GOOD),
    (40, "3", SATISFACTORY),
    (0, "2", UNSATISFACTORY),
)

DEFAULTS: dict[str, Any] = {
    "admission_weight": "0.6",
    "exam_weight": "0.4",
    "admission_threshold": None,  # item 29 admits on the control measures; an organization may add a rating
    "exam_threshold": 25,  # below it the exam is failed whatever the admission rating (FX/F)
}


def _d(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _round(value: Decimal, places: str = "0.01") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def percent(score: Any, max_score: Any) -> Decimal:
    """A score as percent of the maximum, 0..100, rounded to hundredths."""
    top = _d(max_score)
    if top <= 0:
        return Decimal(0)
    return _round(max(Decimal(0), min(Decimal(100), _d(score) * 100 / top)))


def letter(value: Any) -> Mark:
    """The letter-point-rating mark of a percent (rounded to a whole percent first, as the tables do)."""
    whole = int(_round(_d(value), "1"))
    for low, symbol, points, name in LETTER_SCALE:
        if whole >= low:
            return Mark(symbol, Decimal(points), _d(value), name, passed=low >= 50)
    raise AssertionError("unreachable: the scale ends at 0")


def school5(value: Any) -> Mark:
    whole = int(_round(_d(value), "1"))
    for low, symbol, name in SCHOOL5_SCALE:
        if whole >= low:
            return Mark(symbol, Decimal(symbol), _d(value), name, passed=symbol != "2")
    raise AssertionError("unreachable")


def school10(value: Any) -> Mark:
    mark = max(1, min(10, int(_round(_d(value) / 10, "1"))))
    name = EXCELLENT if mark >= 9 else GOOD if mark >= 7 else SATISFACTORY if mark >= 4 else UNSATISFACTORY
    return Mark(str(mark), Decimal(mark), _d(value), name, passed=mark >= 4)


SCALES = {GradingScheme.letter: letter, GradingScheme.school5: school5, GradingScheme.school10: school10}


def mark(value: Any, scheme: GradingScheme | str = GradingScheme.letter) -> Mark:
    """A percent on the organization's scale."""
    return SCALES[GradingScheme(scheme)](value)


@dataclass(frozen=True)
class GradingSettings:
    admission_weight: Decimal
    exam_weight: Decimal
    admission_threshold: Decimal | None
    exam_threshold: Decimal

    @classmethod
    def of(cls, org_settings: Mapping[str, Any] | None) -> GradingSettings:
        """Organization.settings["grading"] over DESIGN.md's defaults."""
        own = dict((org_settings or {}).get("grading") or {})
        values = {**DEFAULTS, **own}
        return cls(
            admission_weight=_d(values["admission_weight"]),
            exam_weight=_d(values["exam_weight"]),
            admission_threshold=(
                None if values["admission_threshold"] is None else _d(values["admission_threshold"])
            ),
            exam_threshold=_d(values["exam_threshold"]),
        )


def final_rating(admission: Any, exam: Any, settings: GradingSettings) -> Decimal:
    """final = admission_weight × admission + exam_weight × exam, in percent."""
    return _round(settings.admission_weight * _d(admission) + settings.exam_weight * _d(exam))


def mean(values: Iterable[Any]) -> Decimal | None:
    items = [_d(v) for v in values]
    return _round(sum(items, Decimal(0)) / len(items)) if items else None


def current_rating(results: Iterable[tuple[Any, Any]]) -> Decimal | None:
    """The course's current rating in percent: points earned over points possible, graded work only.

    `results` are (score, max_score) pairs; None when nothing is graded yet.
    """
    earned = possible = Decimal(0)
    for score, top in results:
        earned += _d(score)
        possible += _d(top)
    return percent(earned, possible) if possible > 0 else None
