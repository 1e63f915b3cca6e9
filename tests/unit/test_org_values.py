"""`ustaz org set` takes a plain value as typed, or says what form it expects."""

from __future__ import annotations

import pytest

from bot.cli.org import apply
from db.models import Organization


def org() -> Organization:
    return Organization(name="Колледж", settings={})


@pytest.mark.parametrize(("typed", "kept"), [("03:00", "03:00"), ('"23:00"', "23:00"), ("3:00", "03:00")])
def test_a_quiet_hour_is_taken_plain_or_quoted(typed: str, kept: str) -> None:
    o = org()
    apply(o, "reminders.quiet_start", typed)
    assert o.settings["reminders"]["quiet_start"] == kept


@pytest.mark.parametrize("typed", ["25:99", "три часа", "[1, 2"])
def test_a_wrong_value_says_the_expected_form_and_changes_nothing(typed: str) -> None:
    o = org()
    with pytest.raises(ValueError, match=r"HH:MM|JSON"):
        apply(o, "reminders.quiet_start", typed)
    assert o.settings == {}


def test_json_values_still_work() -> None:
    o = org()
    apply(o, "reminders.deadline_minutes", "[2880, 120]")
    apply(o, "digest.weekday", "sunday")
    assert o.settings == {"reminders": {"deadline_minutes": [2880, 120]}, "digest": {"weekday": 6}}
