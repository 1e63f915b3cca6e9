"""Settings: defaults, and a wrong value named in the message that stops the start."""

from __future__ import annotations

import pytest

from bot.config import SettingsError, load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.database_url.get_secret_value().startswith("sqlite+aiosqlite:///")
    assert (s.http_host, s.http_port, s.timezone) == ("127.0.0.1", 8080, "Asia/Almaty")
    assert s.webchat_enabled and not s.telegram_enabled and not s.whatsapp_enabled


def test_plain_postgres_url_gets_the_async_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USTAZ_DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
    assert load_settings().database_url.get_secret_value() == "postgresql+asyncpg://postgres@127.0.0.1/test"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("USTAZ_TIMEZONE", "Asia/Nowhere"),
        ("USTAZ_HTTP_PORT", "eighty"),
        ("USTAZ_DEFAULT_LOCALE", "en"),
        ("USTAZ_TELEGRAM_MODE", "carrier-pigeon"),
        ("USTAZ_DATABASE_URL", "mysql://x"),
        ("USTAZ_PUBLIC_URL", "ustaz.kz"),
        ("USTAZ_TWILIO_TEMPLATES", '{"reminder": '),
        ("USTAZ_TWILIO_TEMPLATES", '{"reminder": {"en": "HX01"}}'),
        ("USTAZ_TWILIO_TEMPLATES", '{"reminder": {"kk": "Еске салу"}}'),
        ("USTAZ_TWILIO_RATE", "0"),
        ("USTAZ_TWILIO_DAILY_CAP", "many"),
        ("USTAZ_REDIS_URL", "127.0.0.1:6379"),
        ("USTAZ_REDIS_URL", "redis://127.0.0.1:port/0"),
        ("USTAZ_PROCESSES", "0"),
        ("USTAZ_PROCESSES", "all"),
    ],
)
def test_wrong_value_names_the_setting(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert name in str(err.value)


def test_the_database_and_redis_urls_are_secret_in_every_repr_and_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("USTAZ_DATABASE_URL", "postgresql://ustaz:hunter2-db@db.school.kz/ustaz")
    monkeypatch.setenv("USTAZ_REDIS_URL", "redis://:hunter2-redis@127.0.0.1:6379/0")
    settings = load_settings()
    assert (
        settings.database_url.get_secret_value() == "postgresql+asyncpg://ustaz:hunter2-db@db.school.kz/ustaz"
    )
    assert settings.redis_url is not None
    assert settings.redis_url.get_secret_value() == "redis://:hunter2-redis@127.0.0.1:6379/0"
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.model_dump())
    # A wrong value is named, never quoted back.
    monkeypatch.setenv("USTAZ_REDIS_URL", "redis://:hunter2-redis@127.0.0.1:port/0")
    monkeypatch.setenv("USTAZ_DATABASE_URL", "mysql://ustaz:hunter2-db@db")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "USTAZ_REDIS_URL" in str(err.value) and "USTAZ_DATABASE_URL" in str(err.value)
    assert "hunter2" not in str(err.value)


def test_cli_stops_with_the_settings_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli.main import main

    monkeypatch.setenv("USTAZ_HTTP_PORT", "99999")
    assert main(["migrate"]) == 2
    assert "USTAZ_HTTP_PORT" in capsys.readouterr().err


def test_messengers_switch_the_web_chat_off_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USTAZ_TELEGRAM_TOKEN", "123:abc")
    assert load_settings().telegram_enabled and not load_settings().webchat_enabled
    monkeypatch.setenv("USTAZ_WEBCHAT", "on")
    assert load_settings().webchat_enabled
