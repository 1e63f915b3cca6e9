"""A Telegram update becomes the core's neutral Incoming."""

from __future__ import annotations

from dataclasses import dataclass

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
    return {
        "channel": Channel.telegram,
        "external_user_id": str(user.id),
        "chat_id": str(chat_id),
        "language_code": user.language_code,
        "display_name": user.full_name,
        "username": user.username,
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
