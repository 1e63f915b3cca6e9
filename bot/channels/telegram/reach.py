"""Calls to Telegram that must succeed in the end: backoff between tries, and one log line per outage.

A loop that calls Telegram never gives up (only stopping ends it), and a Telegram that is
down for an hour writes two lines to the log, not thousands.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class Reach:
    def __init__(self, what: str, first: float = 0.5, most: float = 30.0) -> None:
        self.what = what
        self.first, self.most = first, most
        self.delay = first
        self.failures = 0

    def failed(self, exc: BaseException) -> float:
        """Seconds to wait before the next try."""
        if self.failures == 0:
            log.warning("Telegram unreachable (%s: %s): retrying with backoff", self.what, exc)
        else:
            log.debug("Telegram still unreachable (%s: %s)", self.what, exc)
        self.failures += 1
        delay, self.delay = self.delay, min(self.most, self.delay * 2)
        return delay

    def succeeded(self) -> None:
        if self.failures:
            log.warning("Telegram reachable again (%s) after %d failed tries", self.what, self.failures)
        self.failures, self.delay = 0, self.first
