"""The Telegram webhook, tried as an attacker would: a body too big is refused before it is read, and
JSON nested too deep is a 400, not a crash."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from bot.channels.bodies import TELEGRAM_LIMIT
from bot.channels.telegram import WEBHOOK_PATH
from tests.channels.telegram_app import SECRET, telegram_ustaz
from tests.channels.webhook_bodies import status_before_the_body
from tests.stand_ins.telegram_api import BotAPIStandIn


async def test_a_telegram_update_too_big_or_too_deep_is_refused(
    database_url: str, tmp_path: Path, api: BotAPIStandIn, engine: object
) -> None:
    async with telegram_ustaz(database_url, tmp_path, api, "webhook", demo=False) as tg:
        url = tg.live.url + WEBHOOK_PATH
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        assert await status_before_the_body(url, headers) == 413
        deep = "[" * 100_000 + "]" * 100_000
        assert len(deep) < TELEGRAM_LIMIT
        async with aiohttp.ClientSession() as http, http.post(url, data=deep, headers=headers) as resp:
            assert resp.status == 400
