"""The two commonest updates (a text in a private chat, a button pressed under a private message) read
straight from the JSON, without building aiogram's models.

Validating a whole Update into pydantic models is most of the webhook's own CPU, for the few
fields Ustaz keeps. Only an update of exactly one of these two plain shapes, each field Ustaz
reads of the type the Bot API documents, is read here; anything else (media, captions, groups,
an inaccessible message, a field of an unexpected type) returns None and goes the aiogram way
(`intake.arrive`), so the result is always what `incoming.to_arrived` would have made.
"""

from __future__ import annotations

from typing import Any, TypeGuard

from bot.channels.telegram.incoming import Arrived, chat_key
from bot.core.messages import Incoming
from db.models.enums import Channel

# Message fields under which a text message carries nothing else Ustaz would read differently.
_PLAIN_MESSAGE = {"message_id", "from", "chat", "date", "text", "entities", "link_preview_options"}


def lean_arrive(data: dict[str, Any]) -> Arrived | None:
    """The update as the inbox keeps it, or None when it is not one of the plain shapes."""
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or len(data) != 2:
        return None
    if "message" in data:
        return _text(update_id, data["message"])
    if "callback_query" in data:
        return _press(update_id, data["callback_query"])
    return None


def _text(update_id: int, message: Any) -> Arrived | None:
    if not isinstance(message, dict) or not _PLAIN_MESSAGE.issuperset(message):
        return None
    text, chat, user = message.get("text"), message.get("chat"), message.get("from")
    if not isinstance(text, str) or not _private(chat) or not isinstance(message.get("message_id"), int):
        return None
    who = _who(user, chat)
    if who is None:
        return None
    command, args = Incoming.parse_text(text)
    incoming = Incoming(**who, text=text, command=command, command_args=args)  # type: ignore[arg-type]
    return Arrived(update_id, chat_key(incoming.chat_id), incoming)


def _press(update_id: int, query: Any) -> Arrived | None:
    if not isinstance(query, dict):
        return None
    query_id, button, message = query.get("id"), query.get("data"), query.get("message")
    if not isinstance(query_id, str) or not isinstance(button, str) or not isinstance(message, dict):
        return None
    message_id, chat = message.get("message_id"), message.get("chat")
    # date 0 is an InaccessibleMessage: aiogram's way decides what that means.
    if not isinstance(message_id, int) or not message.get("date") or not _private(chat):
        return None
    who = _who(query.get("from"), chat)
    if who is None:
        return None
    incoming = Incoming(**who, button=button, source_message_id=str(message_id))  # type: ignore[arg-type]
    return Arrived(update_id, chat_key(incoming.chat_id), incoming, query_id)


def _private(chat: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(chat, dict) and chat.get("type") == "private" and isinstance(chat.get("id"), int)


def _who(user: Any, chat: dict[str, Any]) -> dict[str, object] | None:
    """As incoming._who makes it from aiogram's User; None for a bot or a user not of the plain shape."""
    if not isinstance(user, dict) or user.get("is_bot") is not False or not isinstance(user.get("id"), int):
        return None
    first, last = user.get("first_name"), user.get("last_name")
    language, username = user.get("language_code"), user.get("username")
    if not isinstance(first, str) or not all(
        v is None or isinstance(v, str) for v in (last, language, username)
    ):
        return None
    return {
        "channel": Channel.telegram,
        "external_user_id": str(user["id"]),
        "chat_id": str(chat["id"]),
        "language_code": language,
        "display_name": f"{first} {last}" if last else first,
        "username": username,
    }
