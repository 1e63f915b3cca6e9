"""The teacher's journeys run at a fixed moment: Monday 23 November 2026, 12:00 in Almaty."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

NOW = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """Listed before `demo` in a test's arguments, so the demo school is built at NOW too."""
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller
