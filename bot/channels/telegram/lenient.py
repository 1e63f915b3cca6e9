"""An update this aiogram cannot parse, cut down to what Ustaz reads, so that it parses after all.

Telegram adds fields, and an older server may omit one a newer aiogram requires (a poll
answer without option_persistent_ids, a video without width and height). Rather than
lose a student's vote or homework, the update keeps only the fields incoming.py reads,
each one aiogram requires gets a neutral value when absent, and it is parsed again: the
mapping to Incoming stays in one place, incoming.py.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.types import Update


class ListOf:
    """In a shape: a list of objects of the given shape."""

    def __init__(self, shape: dict[str, Any]) -> None:
        self.shape = shape


# A shape: key -> None (copied when present), a value (copied, or this value when absent),
# a dict (a nested object, shaped when present) or ListOf(a shape).
USER: dict[str, Any] = {"id": None, "is_bot": False, "first_name": "", "last_name": None, "username": None,
                        "language_code": None}  # fmt: skip
CHAT: dict[str, Any] = {"id": None, "type": "private", "title": None}
# One shape for every kind of file: the dimensions a kind does not have are extra fields aiogram keeps.
FILE: dict[str, Any] = {"file_id": None, "file_unique_id": "", "file_name": None, "mime_type": None,
                        "file_size": None, "width": 0, "height": 0, "duration": 0, "length": 0}  # fmt: skip
MESSAGE: dict[str, Any] = {"message_id": None, "date": 0, "chat": CHAT, "from": USER, "text": None,
                           "caption": None, "photo": ListOf(FILE), "document": FILE, "voice": FILE,
                           "audio": FILE, "video": FILE, "video_note": FILE,
                           "migrate_from_chat_id": None}  # fmt: skip
PRESSED: dict[str, Any] = {"message_id": None, "date": 0, "chat": CHAT}  # date 0: an inaccessible message
MEMBER: dict[str, Any] = {"status": None, "user": USER, "until_date": 0}
CALLBACK: dict[str, Any] = {"id": None, "from": USER, "chat_instance": "", "data": None, "message": PRESSED,
                            "inline_message_id": None}  # fmt: skip
POLL_ANSWER: dict[str, Any] = {"poll_id": None, "user": USER, "voter_chat": CHAT, "option_ids": None,
                               "option_persistent_ids": []}  # fmt: skip
MEMBER_CHANGE: dict[str, Any] = {"chat": CHAT, "from": USER, "date": 0, "old_chat_member": MEMBER,
                                 "new_chat_member": MEMBER}  # fmt: skip
UPDATE: dict[str, Any] = {"update_id": None, "message": MESSAGE, "callback_query": CALLBACK,
                          "poll_answer": POLL_ANSWER, "my_chat_member": MEMBER_CHANGE}  # fmt: skip


def shaped(shape: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, spec in shape.items():
        value = data.get(key)
        if isinstance(spec, dict):
            if isinstance(value, dict):
                out[key] = shaped(spec, value)
        elif isinstance(spec, ListOf):
            if isinstance(value, list):
                out[key] = [shaped(spec.shape, v) for v in value if isinstance(v, dict)]
        elif value is not None:
            out[key] = value
        elif spec is not None:
            out[key] = spec
    return out


def parse(bot: Bot, data: dict[str, Any]) -> Update:
    """The update as Ustaz reads it; raises (ValueError) when even that part does not parse."""
    update = shaped(UPDATE, data)
    change = update.get("my_chat_member")
    if change is not None:
        for side in ("old_chat_member", "new_chat_member"):
            member = change.get(side) or {}
            # Only "member", "kicked" and "left" mean something to Ustaz; an admin's many required fields
            # do not: an administrator (of a group the bot is in) is a member there.
            if member.get("status") == "administrator":
                member["status"] = "member"
            elif member.get("status") not in ("member", "kicked"):
                member["status"] = "left"
    return Update.model_validate(update, context={"bot": bot})


def callback_id(data: dict[str, Any]) -> str | None:
    """The button press to answer even when nothing else of the update can be read."""
    query = data.get("callback_query")
    qid = query.get("id") if isinstance(query, dict) else None
    return qid if isinstance(qid, str) else None
