"""A Telegram update becomes the core's neutral Incoming: from aiogram's models, or, for the two
commonest shapes, straight from the JSON (lean_arrive)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard

from aiogram.types import CallbackQuery, ChatMemberUpdated, Message, PhotoSize, Update, User

from bot.core.messages import Attachment, Incoming, QuizAnswer
from db.models.enums import Channel

MEDIA_KINDS = ("document", "voice", "audio", "video", "video_note")


@dataclass(frozen=True, slots=True)
class Arrived:
    """What the inbox keeps of one update: its id, the chat it orders by, and the neutral message."""

    update_id: int
    chat_key: str
    incoming: Incoming | None  # None: nothing for the core (a game button), yet the press is answered
    callback_query_id: str | None = None  # answered as soon as the update is safe in the inbox


def _who(user: User, chat_id: int) -> dict[str, object]:
    return _sender(user.id, chat_id, user.language_code, user.full_name, user.username)


def _sender(
    user_id: int, chat_id: int, language: str | None, full_name: str, username: str | None
) -> dict[str, object]:
    """Incoming's fields naming who wrote and in which chat, read by aiogram's way or the lean one."""
    return {
        "channel": Channel.telegram,
        "external_user_id": str(user_id),
        "chat_id": str(chat_id),
        "language_code": language,
        "display_name": full_name,
        "username": username,
    }


def _largest(photo: list[PhotoSize]) -> PhotoSize:
    return max(photo, key=lambda p: (p.file_size or 0, p.width * p.height))


def attachments(message: Message) -> tuple[Attachment, ...]:
    if message.photo:
        p = _largest(message.photo)
        return (Attachment("photo", p.file_id, None, None, p.file_size),)
    for kind in MEDIA_KINDS:
        media = getattr(message, kind)
        if media is not None:
            return (
                Attachment(
                    kind,
                    media.file_id,
                    getattr(media, "file_name", None),
                    getattr(media, "mime_type", None),
                    media.file_size,
                ),
            )
    return ()


GROUP_TYPES = ("group", "supergroup")


def from_message(message: Message) -> Incoming | None:
    if message.from_user is None or message.from_user.is_bot:
        return None  # channel posts and other bots
    if message.chat.type in GROUP_TYPES:
        return from_group_message(message)
    text = message.text if message.text is not None else message.caption
    command, args = Incoming.parse_text(message.text)  # a caption is never a command
    files = attachments(message)
    if text is None and not files:
        return None  # stickers, locations, service messages: nothing the core understands
    return Incoming(**_who(message.from_user, message.chat.id), text=text, command=command,  # type: ignore[arg-type]
                    command_args=args, attachments=files)  # fmt: skip


def from_group_message(message: Message) -> Incoming | None:
    """In a class's group chat only commands are Ustaz's (/link CODE, /unlink, /join); talk is the class's."""
    assert message.from_user is not None
    who = _who(message.from_user, message.chat.id)
    if message.migrate_from_chat_id is not None:  # the group became a supergroup with a new id
        return Incoming(**who, group=True, chat_title=message.chat.title,  # type: ignore[arg-type]
                        moved_from=str(message.migrate_from_chat_id))  # fmt: skip
    command, args = Incoming.parse_text(message.text)
    if command is None:
        return None
    return Incoming(**who, text=message.text, command=command, command_args=args,  # type: ignore[arg-type]
                    group=True, chat_title=message.chat.title)  # fmt: skip


def from_callback(query: CallbackQuery) -> Incoming | None:
    if query.data is None:
        return None  # a game button: not ours
    message = query.message
    chat_id = message.chat.id if message is not None else query.from_user.id
    # An old or deleted message (InaccessibleMessage, date 0) cannot be edited: the press is still
    # routed, and the core answers it in a new message.
    source = str(message.message_id) if isinstance(message, Message) else None
    # A button under a message in a group chat is the group's business, never the presser's private chat.
    group = message is not None and message.chat.type in GROUP_TYPES
    return Incoming(**_who(query.from_user, chat_id), button=query.data, source_message_id=source,  # type: ignore[arg-type]
                    group=group)  # fmt: skip


def from_member_change(change: ChatMemberUpdated) -> Incoming | None:
    """The person blocked the bot in a private chat ("kicked"), or unblocked it ("member"); in a group,
    the bot was removed ("left", "kicked") or added ("member", "administrator")."""
    status = change.new_chat_member.status
    if change.chat.type in GROUP_TYPES:
        if status not in ("left", "kicked", "member", "administrator"):
            return None  # restricted: still in the group
        who = _who(change.from_user, change.chat.id)
        return Incoming(**who, blocked=status in ("left", "kicked"), group=True,  # type: ignore[arg-type]
                        chat_title=change.chat.title)  # fmt: skip
    if change.chat.type != "private":
        return None  # channels: not ours
    if status not in ("kicked", "member"):
        return None
    return Incoming(**_who(change.from_user, change.chat.id), blocked=status == "kicked")  # type: ignore[arg-type]


def to_arrived(update: Update) -> Arrived | None:
    """None for updates Ustaz does not act on (edits, group member changes, channel posts...)."""
    incoming: Incoming | None = None
    callback_id = None
    if update.message is not None:
        incoming = from_message(update.message)
    elif update.callback_query is not None:
        incoming = from_callback(update.callback_query)
        callback_id = update.callback_query.id
    elif update.poll_answer is not None and update.poll_answer.user is not None:
        answer = update.poll_answer
        user = answer.user
        assert user is not None
        incoming = Incoming(**_who(user, user.id),  # type: ignore[arg-type]
                            quiz_answer=QuizAnswer(answer.poll_id, tuple(answer.option_ids)))  # fmt: skip
    elif update.my_chat_member is not None:
        incoming = from_member_change(update.my_chat_member)
    if incoming is None:
        return Arrived(update.update_id, "", None, callback_id) if callback_id else None
    return Arrived(update.update_id, chat_key(incoming.chat_id), incoming, callback_id)


def chat_key(chat_id: str) -> str:
    return f"telegram:{chat_id}"


# -- read without aiogram's models -----------------------------------------------------------------
# Validating a whole Update into pydantic models is most of the webhook's own CPU, for the few fields
# Ustaz keeps. The two commonest updates, a text in a private chat and a button pressed under a
# private message, are read straight from the JSON when they have exactly the plain shape and each
# field read has the type the Bot API documents; anything else (media, captions, groups, an
# inaccessible message, an unexpected type) goes the aiogram way (`intake.arrive`). Either way the
# result is what to_arrived makes (tests/channels/test_telegram_lean_arrival.py).

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
    who = _who_in_json(user, chat)
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
    who = _who_in_json(query.get("from"), chat)
    if who is None:
        return None
    incoming = Incoming(**who, button=button, source_message_id=str(message_id))  # type: ignore[arg-type]
    return Arrived(update_id, chat_key(incoming.chat_id), incoming, query_id)


def _text_or_none(value: Any) -> bool:
    return value is None or type(value) is str


def _private(chat: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(chat, dict) and chat.get("type") == "private" and isinstance(chat.get("id"), int)


def _who_in_json(user: Any, chat: dict[str, Any]) -> dict[str, object] | None:
    """As _who makes it from aiogram's User; None for a bot or a user not of the plain shape."""
    if not isinstance(user, dict) or user.get("is_bot") is not False or not isinstance(user.get("id"), int):
        return None
    first, last = user.get("first_name"), user.get("last_name")
    language, username = user.get("language_code"), user.get("username")
    if not isinstance(first, str) or not all(v is None or type(v) is str for v in (last, language, username)):
        return None
    return _sender(user["id"], chat["id"], language, f"{first} {last}" if last else first, username)
