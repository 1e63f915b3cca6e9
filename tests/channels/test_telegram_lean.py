"""aiogram with its schemas built on first use: the same behaviour, far less memory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import asyncio, os, psutil
from bot.channels.telegram import lean
lean.install()
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Update
from bot.channels.telegram.incoming import to_arrived
from tests.stand_ins.telegram_api import TOKEN, BotAPIStandIn, TgUser, Updates

async def main():
    async with BotAPIStandIn() as api:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url)))
        assert (await bot.get_me()).username == "ustaz_test_bot"
        kb = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]])
        await bot.send_message(1, "<b>x</b>", parse_mode="HTML", reply_markup=kb)
        msg = await bot.send_document(1, BufferedInputFile(b"%PDF-1.4", filename="a.pdf"))
        await bot.send_poll(
            1, "q", options=["1", "2"], type="quiz", correct_option_ids=[0], is_anonymous=False
        )
        u, user = Updates(), TgUser(5)
        doc = api.add_file(b"%PDF", "a.pdf", "application/pdf")
        for raw in (u.command(user, "start", "X"), u.callback(user, "m", api.last_message(1)),
                    u.document(user, doc), u.photo(user, [doc, doc]), u.poll_answer(user, "1", [0]),
                    u.media(user, "voice", doc)):
            api.push_update(raw)
        got = await bot.get_updates(timeout=0)
        kinds = [to_arrived(x).incoming for x in got]
        assert kinds[0].command_args == "X" and kinds[1].button == "m" and kinds[2].attachments
        assert kinds[4].quiz_answer.option_ids == (0,) and msg.document.file_name == "a.pdf"
        await bot.session.close()
    print("RSS", psutil.Process(os.getpid()).memory_info().rss // 2**20)

asyncio.run(main())
"""


def test_lazy_schemas_work_and_save_memory() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    rss = int(out.stdout.split("RSS")[-1])
    assert rss < 120, f"{rss} MB: aiogram's schemas were all built at import again"


KEPT_SCRIPT = r"""
import asyncio, gc, weakref
from bot.channels.telegram import make_bot
from bot.config import Settings
from aiogram.methods.base import Response
from aiogram.types import Message
from tests.stand_ins.telegram_api import TOKEN, BotAPIStandIn

async def main():
    async with BotAPIStandIn() as api:
        bot = make_bot(Settings(telegram_token=TOKEN, telegram_api_url=api.base_url))
        await bot.send_message(1, "x")
        built = weakref.ref(Response[Message])
        gc.collect()
        print("KEPT", built() is not None)
        await bot.session.close()

asyncio.run(main())
"""


def test_the_bots_response_types_outlive_a_garbage_collection() -> None:
    """pydantic caches Response[Message] weakly; rebuilt after each collection, it froze the loop."""
    out = subprocess.run(
        [sys.executable, "-c", KEPT_SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "KEPT True" in out.stdout
