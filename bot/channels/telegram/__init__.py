"""Ustaz on Telegram: aiogram 3 updates in through the inbox, neutral replies out within the limits.

`setup(runtime, app)` is all the app's wiring calls: it registers the outbox's
Telegram sender and file fetcher, and either the webhook route (registered with
Telegram at USTAZ_PUBLIC_URL on start) or the polling loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from typing import TYPE_CHECKING

from bot.channels.telegram import lean

lean.install()  # before anything imports aiogram: saves about 100 MB of RSS

from aiogram import Bot  # noqa: E402
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer  # noqa: E402
from aiohttp import web  # noqa: E402

from bot.channels.telegram import commands, intake  # noqa: E402
from bot.channels.telegram.bridge import StoreFiles, TelegramFiles, TelegramSender  # noqa: E402
from bot.channels.telegram.intake import ALLOWED_UPDATES, Poller, WebhookHandler  # noqa: E402
from bot.channels.telegram.limits import Limiter, RateLimiter, TelegramLimits  # noqa: E402
from bot.channels.telegram.outgoing import TelegramOut  # noqa: E402
from bot.channels.telegram.session import KeptTypesSession  # noqa: E402
from bot.channels.telegram.unconfirmed import Unconfirmed  # noqa: E402
from bot.config import SettingsError, TelegramMode  # noqa: E402
from bot.supervisor import FailureStreak, Loop, sleep_or_stop  # noqa: E402
from bot.web import BACKGROUND_KEY, COUNTERS_KEY  # noqa: E402
from db.models import Channel  # noqa: E402

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
BOT_KEY = web.AppKey("telegram_bot", Bot)
_SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]{1,256}")


def api_server(settings: Settings) -> TelegramAPIServer:
    return TelegramAPIServer.from_base(settings.telegram_api_url) if settings.telegram_api_url else PRODUCTION


def is_local_server(settings: Settings) -> bool:
    if settings.telegram_local_server is not None:
        return settings.telegram_local_server
    return bool(settings.telegram_api_url) and "api.telegram.org" not in (settings.telegram_api_url or "")


def webhook_secret(settings: Settings) -> str:
    """The configured secret, or one derived from the token: every process of one bot agrees on it."""
    if settings.telegram_webhook_secret is not None:
        secret = settings.telegram_webhook_secret.get_secret_value()
        if not _SECRET_CHARS.fullmatch(secret):
            raise SettingsError(
                "Wrong setting:\n  USTAZ_TELEGRAM_WEBHOOK_SECRET: 1-256 of A-Z, a-z, 0-9, _ and -"
            )
        return secret
    assert settings.telegram_token is not None
    return hashlib.sha256(b"ustaz-webhook:" + settings.telegram_token.get_secret_value().encode()).hexdigest()


def make_bot(settings: Settings) -> Bot:
    assert settings.telegram_token is not None
    return Bot(settings.telegram_token.get_secret_value(), session=KeptTypesSession(api=api_server(settings)))


def make_limiter(runtime: Runtime, limits: TelegramLimits) -> Limiter:
    """Shared by every process of this bot through Redis when USTAZ_REDIS_URL is set, else this process's."""
    if runtime.redis is None:
        return RateLimiter(limits)
    from bot.channels.telegram.shared_limits import SharedRateLimiter

    assert runtime.settings.telegram_token is not None
    # The bot's id, not its token: keys are visible to whoever reads Redis.
    bot_id = runtime.settings.telegram_token.get_secret_value().split(":", 1)[0]
    return SharedRateLimiter(limits, runtime.redis, bot_id)


def setup(runtime: Runtime, app: web.Application, limits: TelegramLimits | None = None) -> TelegramOut:
    settings = runtime.settings
    webhook = settings.telegram_mode is TelegramMode.webhook
    if webhook and not settings.public_url:
        raise SettingsError("Wrong setting:\n  USTAZ_PUBLIC_URL: needed when USTAZ_TELEGRAM_MODE=webhook")
    secret = webhook_secret(settings) if webhook else None
    bot = make_bot(settings)
    if limits is None:
        rate = settings.telegram_max_per_second
        limits = TelegramLimits(per_second=rate or 30, enabled=rate > 0)
    unconfirmed = Unconfirmed(
        make_limiter(runtime, limits),
        settings.telegram_unconfirmed,
        limits.per_second if limits.enabled else 0,
    )
    out = TelegramOut(bot, unconfirmed, StoreFiles(runtime))
    runtime.channel_senders[Channel.telegram] = TelegramSender(out, unconfirmed)
    fetcher = TelegramFiles(bot, is_local_server(settings), runtime.files.max_bytes)
    runtime.file_fetchers[Channel.telegram] = fetcher
    app[BOT_KEY] = bot
    app[COUNTERS_KEY]["telegram updates"] = intake.stats

    async def introduce(stop: asyncio.Event) -> None:
        """getMe (and the webhook's registration) until Telegram answers; startup does not wait for it.

        Meanwhile the web chat and the outbox keep working; replies wait in the outbox.
        """
        reach = FailureStreak("Telegram getMe and setWebhook" if webhook else "Telegram getMe", log,
                              traceback=False)  # fmt: skip
        while not stop.is_set():
            try:
                me = await bot.get_me()
                if me.username:
                    runtime.facts["telegram_username"] = me.username
                await commands.register(bot, settings.default_locale)
                if webhook:
                    url = f"{settings.public_url}{WEBHOOK_PATH}"
                    await bot.set_webhook(
                        url, secret_token=secret, allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False
                    )
                    log.info("Telegram webhook registered at %s", url)
            except Exception as exc:
                await sleep_or_stop(stop, reach.failed(exc))
                continue
            reach.ok()
            return

    async def closed(_app: web.Application) -> None:
        await bot.session.close()

    app.on_cleanup.append(closed)
    app[BACKGROUND_KEY].append(Loop("telegram introduction", introduce, once=True))
    if webhook:
        app.router.add_post(WEBHOOK_PATH, WebhookHandler(runtime, bot, secret))
    else:
        poller = Poller(runtime, out)
        # One getUpdates at a time per bot (Telegram refuses a second): the other processes only claim.
        polling = Loop("telegram polling", poller.run, poller.heartbeat, leader_only=True)
        app[BACKGROUND_KEY].append(polling)
    return out
