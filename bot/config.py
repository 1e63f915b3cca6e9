"""Settings from the environment and a .env file, all prefixed USTAZ_."""

from __future__ import annotations

import json
import zoneinfo
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class TelegramMode(StrEnum):
    polling = "polling"
    webhook = "webhook"


class WebchatMode(StrEnum):
    auto = "auto"  # on when no messenger is configured: the embedded default
    on = "on"
    off = "off"


class PickerMode(StrEnum):
    auto = "auto"  # the demo's person picker when it is safe: demo school only, loopback only
    on = "on"  # the same, but `ustaz run` refuses to start where it is not safe
    off = "off"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="USTAZ_", env_file=".env", extra="ignore")

    # Secret like the tokens (it may carry a password): shown as ********** in any repr or log.
    database_url: SecretStr = SecretStr("sqlite+aiosqlite:///./var/ustaz.sqlite3")
    http_host: str = "127.0.0.1"
    http_port: int = Field(8080, ge=1, le=65535)
    public_url: str | None = None
    timezone: str = "Asia/Almaty"
    files_dir: Path = Path("./var/files")
    default_locale: str = "kk"
    webchat: WebchatMode = WebchatMode.auto
    webchat_picker: PickerMode = PickerMode.auto
    # How long a web sign-in lasts, and a code sent to the person's messenger to sign in with.
    webchat_session_hours: float = Field(12, gt=0)
    webchat_code_minutes: float = Field(10, gt=0, le=60)
    # /healthz says a loop is stuck when work has waited for it this long without progress (longer
    # than the longest retry_after the Telegram sender honours, 120 s).
    health_stuck_seconds: float = Field(180, gt=0)

    telegram_token: SecretStr | None = None
    telegram_api_url: str | None = None  # a local telegram-bot-api server, or a test stand-in
    # Files up to 2 GB instead of 20 MB; unset: true when TELEGRAM_API_URL is not api.telegram.org.
    telegram_local_server: bool | None = None
    # Telegram's broadcast limit; 0 lifts every limit (paid broadcasts allow up to 1000 a second).
    telegram_max_per_second: int = Field(30, ge=0)
    telegram_mode: TelegramMode = TelegramMode.polling
    telegram_webhook_secret: SecretStr | None = None
    telegram_bot_username: str | None = None  # for deep links when the bot cannot be asked (offline)
    # Telegram sends answered but not yet committed at once: a crash (kill -9) can repeat at most this
    # many answered messages (plus, as for any send, those still without an answer: the configured
    # rate times Telegram's measured answer time, which the bound adds so a distant Telegram keeps
    # 30 a second). With the limits lifted it bounds the rate: raise it for fast paid broadcasts.
    telegram_unconfirmed: int = Field(3, ge=1)

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_whatsapp_from: str | None = None  # whatsapp:+7...
    twilio_api_url: str | None = None
    # WhatsApp sender limits: messages a second, and unique people a day Ustaz may start a
    # conversation with (the sender's messaging tier: 250, 1000, 10000, 100000).
    twilio_rate: float = Field(80, gt=0)
    twilio_daily_cap: int = Field(1000, ge=1)
    # Approved templates for messages outside the 24-hour window, by kind and language:
    # {"reminder": {"kk": "HX...", "ru": "HX..."}, "notice": {...}}
    # "invite" (the roster's invites): {{1}} full name, {{2}} organization, {{3}} code, {{4}} Telegram link.
    twilio_templates: Annotated[dict[str, dict[str, str]], NoDecode] = Field(default_factory=dict)

    # A notice (not a reply) whose channel has failed this long, counted from its first failed attempt
    # (Telegram down, 5xx, no network), goes by the person's next reachable channel instead, once.
    # A block (403) moves it at once.
    channel_fallback_minutes: float = Field(30, ge=0)

    # `ustaz run` starts this many processes on one port, each the owner of its share of the chats
    # (PostgreSQL only; README: "Several processes"). About one per core left to Ustaz.
    processes: int = Field(1, ge=1, le=64)
    # Set by that parent for each process it starts (0..processes-1); not a setting to set by hand.
    process_index: int | None = Field(None, ge=0)

    # Several processes share the messengers' rate limits here: redis://host:6379/0. Unset: per process.
    redis_url: SecretStr | None = None  # secret: redis://:password@host may carry a password

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, secret: SecretStr) -> SecretStr:
        # People paste plain URLs; the app needs the async drivers.
        value = secret.get_secret_value()
        if value.startswith("sqlite:///") or value == "sqlite://":
            return SecretStr(value.replace("sqlite://", "sqlite+aiosqlite://", 1))
        if value.startswith(("postgresql://", "postgres://")):
            return SecretStr("postgresql+asyncpg://" + value.split("://", 1)[1])
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return secret

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is None or not secret.get_secret_value():
            return None
        from redis.connection import parse_url

        try:
            parse_url(secret.get_secret_value())
        except ValueError:  # its message may quote the URL, password and all
            raise ValueError("must be redis://host:port/db, rediss:// or unix://") from None
        return secret

    @field_validator("twilio_templates", mode="before")
    @classmethod
    def _templates(cls, value: object) -> object:
        # Parsed here, not by pydantic-settings, so that bad JSON is named like any wrong setting.
        if isinstance(value, str):
            try:
                value = json.loads(value or "{}")
            except ValueError:
                raise ValueError('must be JSON: {"reminder": {"kk": "HX...", "ru": "HX..."}}') from None
        for kind, by_locale in value.items() if isinstance(value, dict) else ():
            for locale, sid in by_locale.items() if isinstance(by_locale, dict) else ():
                if locale not in ("kk", "ru") or not str(sid).startswith("HX"):
                    raise ValueError(f"{kind}.{locale}: the languages are kk and ru, a ContentSid starts HX")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_locale")
    @classmethod
    def _supported_locale(cls, value: str) -> str:
        if value not in ("kk", "ru"):
            raise ValueError("must be kk or ru")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// for a local test)")
        return value.rstrip("/") if value else value

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_token is not None

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_whatsapp_from)

    @property
    def webchat_enabled(self) -> bool:
        if self.webchat is WebchatMode.auto:
            return not (self.telegram_enabled or self.whatsapp_enabled)
        return self.webchat is WebchatMode.on

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.get_secret_value().startswith("sqlite")

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.http_host}:{self.http_port}"


class SettingsError(Exception):
    """A setting has a wrong value; the message names it."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "USTAZ_" + "_".join(str(p) for p in err["loc"]).upper()
            lines.append(f"{name}: {err['msg']}")
        raise SettingsError("Wrong setting:\n  " + "\n  ".join(lines)) from None
