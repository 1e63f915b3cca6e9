"""The baseline: a bare aiogram echo bot behind a webhook, no database, answering as Ustaz answers.

Like Ustaz's intake, it acknowledges a button press inside the webhook's own response
(answerCallbackQuery in the body), handles the update in the background with aiogram's
dispatcher, and sends one message back: the same Bot API calls per update as Ustaz, so the
comparison is like for like. GET /stats shows its event loop's longest stall (Ustaz: /healthz).

    python bench/telegram_echo.py --api http://127.0.0.1:PORT --token TOKEN --port 0
prints "listening PORT" once the webhook is registered.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message, Update
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bot.supervisor import StallWatch  # noqa: E402

SECRET = "echo-secret"


def build(api: str, token: str) -> tuple[Bot, Dispatcher]:
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api)))
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    @dp.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await bot.send_message(query.from_user.id, query.data or "?")  # acknowledged in the webhook reply

    return bot, dp


def webhook(bot: Bot, dp: Dispatcher) -> web.Application:
    app = web.Application()
    background: set[asyncio.Task[Any]] = set()
    stalls = StallWatch()

    async def receive(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != SECRET:
            return web.Response(status=401)
        update = Update.model_validate(await request.json(), context={"bot": bot})
        task = asyncio.create_task(dp.feed_update(bot, update))
        background.add(task)
        task.add_done_callback(background.discard)
        if update.callback_query is not None:
            return web.json_response(
                {"method": "answerCallbackQuery", "callback_query_id": update.callback_query.id}
            )
        return web.Response(status=200)

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(stalls.stats)

    async def watch(app: web.Application) -> Any:
        stop = asyncio.Event()
        task = asyncio.create_task(stalls.run(stop))
        yield
        stop.set()
        await task

    app.router.add_post("/webhook", receive)
    app.router.add_get("/stats", stats)
    app.cleanup_ctx.append(watch)
    return app


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    bot, dp = build(args.api, args.token)
    runner = web.AppRunner(webhook(bot, dp), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port)
    await site.start()
    port = runner.addresses[0][1]
    await bot.set_webhook(f"http://127.0.0.1:{port}/webhook", secret_token=SECRET)
    print(f"listening {port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
