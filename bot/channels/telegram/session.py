"""The aiohttp session Ustaz's Bot uses: aiogram's, with the response types kept alive.

aiogram reads every answer as `Response[<the method's result type>]`. pydantic keeps parametrized
generic classes only in a weak cache, so between two sends the garbage collector may drop
`Response[Message]`, and the next send builds it again: with schema builds deferred (lean.py), that
rebuild froze the event loop for 75-210 ms every few seconds. Holding each one strongly makes it a
class built once per process, as aiogram meant.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

# The result type (Message, bool, list[Update]...) -> Response[that type], for the process's lifetime.
_KEPT: dict[Any, type[Response[Any]]] = {}


def response_type(returning: Any) -> type[Response[Any]]:
    kept = _KEPT.get(returning)
    if kept is None:
        kept = _KEPT[returning] = Response[returning]
    return kept


class KeptTypesSession(AiohttpSession):
    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        response_type(method.__returning__)  # aiogram's own Response[...] below is then a cache hit
        return super().check_response(bot, method, status_code, content)
