"""The process's log: what an operator needs, and never a secret.

Library messages can carry a token: aiohttp's errors name the request URL, and the Bot API's
URL holds the bot token (api.telegram.org/bot<token>/sendMessage). Every record is passed through
a filter that replaces each configured secret before any handler writes it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.config import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HIDDEN = "<hidden>"
# Loggers whose INFO lines bury what matters: the scheduler's every tick, each web request, and
# Alembic's "context impl" and "will assume transactional DDL" lines at every command.
QUIET = ("apscheduler", "aiohttp.access", "alembic.runtime.migration", "alembic.runtime.plugins")


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        hidden = self._hide(message)
        exc_text = self._hide(record.exc_text) if record.exc_text else record.exc_text
        if hidden != message or exc_text != record.exc_text:
            record.msg, record.args, record.exc_text = hidden, None, exc_text
        return True

    def _hide(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, HIDDEN)
        return text


def setup(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format=FORMAT)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def hide_secrets(settings: Settings) -> None:
    """Installs the filter on every handler of the root logger, once the settings are known."""
    values = [
        field.get_secret_value()
        for field in (settings.telegram_token, settings.twilio_auth_token, settings.telegram_webhook_secret)
        if field is not None
    ]
    redact = RedactSecrets(values)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
