"""The WhatsApp settings from the environment (wrong values: tests/unit/test_config.py)."""

from __future__ import annotations

import pytest

from bot.config import load_settings


def test_templates_and_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USTAZ_TWILIO_TEMPLATES", '{"reminder": {"kk": "HX01", "ru": "HX02"}}')
    monkeypatch.setenv("USTAZ_TWILIO_RATE", "20")
    monkeypatch.setenv("USTAZ_TWILIO_API_URL", "http://127.0.0.1:9999")
    settings = load_settings(_env_file=None)
    assert settings.twilio_templates == {"reminder": {"kk": "HX01", "ru": "HX02"}}
    assert (settings.twilio_rate, settings.twilio_daily_cap) == (20, 1000)
    assert settings.twilio_api_url == "http://127.0.0.1:9999"
