"""How Ustaz's Bot talks to the Bot API: aiogram's aiohttp session with its response types kept
alive, and the hot calls sent lean.

Kept types. aiogram reads every answer as `Response[<the method's result type>]`. pydantic keeps
parametrized generic classes only in a weak cache, so between two sends the garbage collector may
drop `Response[Message]`, and the next send builds it again: with schema builds deferred (lean.py),
that rebuild froze the event loop for 75-210 ms every few seconds. Holding each one strongly makes it
a class built once per process, as aiogram meant.

Lean calls: a text message, an edit, a button's answer. Through aiogram, each such call builds a
pydantic model of the method, posts it as multipart form data, and parses the whole answer (the
Message with its chat, sender and keyboard) into models: a large part of an update's CPU, for one
message id. Here the body is the Bot API's own JSON (orjson), sent through aiogram's aiohttp
session and URL, and a successful answer is read as plain JSON. Anything else (an error status,
`ok: false`, a body that is not JSON) goes to aiogram's own check_response, built with the
equivalent aiogram method, so it raises exactly the exceptions the rest of the channel already
handles (retry_after, forbidden, bad request, 5xx). Files and polls still go through aiogram.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiohttp import ClientError, ClientTimeout

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


# -- lean calls --------------------------------------------------------------------------------
_JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True, slots=True)
class LeanCall:
    """A Bot API call as its method's name and JSON parameters; `as_aiogram` builds the same call as
    aiogram's method, for its error handling (and for a session that is not aiohttp's)."""

    name: str
    params: dict[str, Any]
    as_aiogram: Callable[[], TelegramMethod[Any]]

    @property
    def __api_method__(self) -> str:  # named as aiogram's methods are, for the logs
        return self.name


async def call_lean(bot: Bot, call: LeanCall) -> Any:
    """The call's `result` as plain JSON; raises aiogram's exceptions for whatever is not a success."""
    session = bot.session
    if not isinstance(session, AiohttpSession):  # a custom session (tests may have one): aiogram's way
        return await bot(call.as_aiogram())
    http = await session.create_session()
    url = session.api.api_url(token=bot.token, method=call.name)
    body, timeout = orjson.dumps(call.params), ClientTimeout(total=session.timeout)
    try:
        async with http.post(url, data=body, headers=_JSON, timeout=timeout) as resp:
            status, raw = resp.status, await resp.read()
    except TimeoutError as err:
        raise TelegramNetworkError(method=call.as_aiogram(), message="Request timeout error") from err
    except ClientError as err:
        raise TelegramNetworkError(method=call.as_aiogram(), message=f"{type(err).__name__}: {err}") from err
    if 200 <= status <= 226:
        try:
            answer = orjson.loads(raw)
        except orjson.JSONDecodeError:
            answer = None
        if isinstance(answer, dict) and answer.get("ok") is True:
            return answer.get("result")
    # Not a plain success: aiogram reads it and raises what it would have raised.
    return session.check_response(bot, call.as_aiogram(), status, raw.decode("utf-8", "replace")).result
