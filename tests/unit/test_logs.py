"""The log never carries a token, whichever library's message or traceback names it."""

from __future__ import annotations

import logging

import pytest

from bot.cli.logs import HIDDEN, RedactSecrets

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"


def test_a_token_in_a_message_its_arguments_or_a_traceback_is_hidden(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("test.redaction")
    caplog.handler.addFilter(RedactSecrets([TOKEN, "short"]))
    log.error("POST %s failed", f"https://api.telegram.org/bot{TOKEN}/sendMessage")
    try:
        raise ValueError(f"bad answer from https://api.telegram.org/bot{TOKEN}/getMe")
    except ValueError:
        log.exception("Telegram answered with something that is not JSON")
    text = caplog.text
    assert TOKEN not in text and text.count(HIDDEN) == 2
    assert "https://api.telegram.org/bot<hidden>/sendMessage" in text
