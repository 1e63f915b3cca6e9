"""A neutral Reply becomes Bot API calls, each within the flood limits and retried where that is safe."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    EditMessageText,
    SendAudio,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendPoll,
    SendVideo,
    SendVoice,
    TelegramMethod,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, InputPollOption, Message

from bot.channels.telegram.limits import Limiter
from bot.channels.telegram.render import (
    MAX_CAPTION,
    MAX_POLL_OPTION,
    MAX_POLL_OPTIONS,
    MAX_POLL_QUESTION,
    clip,
    escape,
    keyboard,
    split_text,
    utf16_len,
)
from bot.core.messages import OutFile, Quiz, Reply

log = logging.getLogger(__name__)

UPLOAD = {"photo": (SendPhoto, "photo"), "voice": (SendVoice, "voice"), "audio": (SendAudio, "audio"),
          "video": (SendVideo, "video")}  # fmt: skip


class Unreachable(Exception):
    """The person blocked the bot or deleted their account (403)."""


class TryLater(Exception):
    """Telegram or the network kept failing; the message can go again later."""


@dataclass(slots=True)
class FileToSend:
    file_name_id: int
    stored_file_id: int
    name: str
    kind: str  # document, photo, voice, audio, video
    remote_id: str | None  # Telegram's file_id from an earlier upload


class FileSource(Protocol):
    """The file store as the Telegram channel needs it."""

    async def describe(self, file_name_id: int) -> FileToSend: ...
    async def read(self, file_name_id: int) -> bytes: ...
    async def remember(self, stored_file_id: int, remote_id: str) -> None: ...


@dataclass(slots=True)
class Delivered:
    message_ids: list[str] = field(default_factory=list)
    edited: bool = False
    poll_id: str | None = None  # a quiz's poll: its answers come back with this id


class TelegramOut:
    def __init__(
        self,
        bot: Bot,
        limiter: Limiter,
        files: FileSource | None = None,
        attempts: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_retry_after: float = 120.0,
    ) -> None:
        self.bot = bot
        self.limiter = limiter
        self.files = files
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after

    async def call(self, chat_id: str, method: TelegramMethod[Any], limited: bool = True) -> Any:
        """One Bot API call: waits for its slot, honours retry_after, backs off on network and 5xx errors."""
        failures = 0
        waited = 0.0
        while True:
            try:
                if not limited:
                    return await self.bot(method)
                async with self.limiter.slot(chat_id):
                    return await self.bot(method)
            except TelegramRetryAfter as err:
                # Not a failure: Telegram says when. The limiter's slot saw the 429 and paused the bucket
                # it blames (this chat, or the whole bot); the next try waits for that slot.
                if not limited:
                    await asyncio.sleep(err.retry_after)
                waited += err.retry_after
                if waited > self.max_retry_after:
                    raise TryLater(f"retry_after kept coming ({waited:.0f} s)") from err
                log.warning("telegram 429 for chat %s: waiting %s s", chat_id, err.retry_after)
            except TelegramForbiddenError as err:
                raise Unreachable(err.message) from err
            except (TelegramNetworkError, TelegramServerError) as err:
                failures += 1
                if failures >= self.attempts:
                    raise TryLater(f"{type(err).__name__}: {err.message}") from err
                delay = min(self.max_backoff, self.backoff * 2 ** (failures - 1)) * (
                    0.5 + random.random() / 2
                )
                log.warning("telegram %s failed (%s), retry in %.1f s", method.__api_method__, err, delay)
                await asyncio.sleep(delay)

    async def answer_callback(self, query_id: str) -> None:
        from aiogram.methods import AnswerCallbackQuery

        try:
            await self.call("", AnswerCallbackQuery(callback_query_id=query_id), limited=False)
        except (TelegramBadRequest, TryLater) as err:  # too old, or Telegram down: the spinner just times out
            log.info("callback %s not answered: %s", query_id, err)

    async def deliver(self, chat_id: str, reply: Reply, source_message_id: str | None = None) -> Delivered:
        """Send one Reply: text parts, files, a quiz; the keyboard rides on the last message."""
        done = Delivered()
        markup = keyboard(reply.buttons)
        parts = split_text(reply.text) if reply.text.strip() else []
        editable = (
            reply.edit_source and source_message_id and len(parts) == 1 and not reply.files and not reply.quiz
        )
        if editable and await self._edit(chat_id, str(source_message_id), parts[0], markup):
            assert source_message_id is not None
            done.message_ids.append(source_message_id)
            done.edited = True
            return done
        steps = len(parts) + len(reply.files) + (1 if reply.quiz else 0)
        for i, part in enumerate(parts):
            last = i == steps - 1
            msg = await self.call(chat_id, SendMessage(chat_id=chat_id, text=escape(part), parse_mode="HTML",
                                                       reply_markup=markup if last else None))  # fmt: skip
            done.message_ids.append(str(msg.message_id))
        for j, out in enumerate(reply.files):
            last = len(parts) + j == steps - 1
            done.message_ids.extend(await self._send_file(chat_id, out, markup if last else None))
        if reply.quiz:
            msg = await self._send_quiz(chat_id, reply.quiz, markup)
            done.message_ids.append(str(msg.message_id))
            done.poll_id = msg.poll.id if msg.poll else None
        return done

    async def _edit(
        self, chat_id: str, message_id: str, text: str, markup: InlineKeyboardMarkup | None
    ) -> bool:
        method = EditMessageText(
            chat_id=chat_id,
            message_id=int(message_id),
            text=escape(text),
            parse_mode="HTML",
            reply_markup=markup,
        )
        try:
            await self.call(chat_id, method)
        except TelegramBadRequest as err:
            # The same press twice: what they see is already right. Anything else (too old to edit,
            # not a text message): a new message is sent instead.
            return "not modified" in err.message
        return True

    async def _send_file(self, chat_id: str, out: OutFile, markup: InlineKeyboardMarkup | None) -> list[str]:
        if self.files is None:
            raise RuntimeError("no file source configured for the Telegram channel")
        ids: list[str] = []
        f = await self.files.describe(out.file_name_id)
        caption = escape(out.caption) if out.caption else None
        if out.caption and utf16_len(out.caption) > MAX_CAPTION:
            for part in split_text(out.caption):  # too long for a caption: it goes before the file
                msg = await self.call(
                    chat_id, SendMessage(chat_id=chat_id, text=escape(part), parse_mode="HTML")
                )
                ids.append(str(msg.message_id))
            caption = None
        method_cls, field_name = UPLOAD.get(f.kind, (SendDocument, "document"))
        common = {"chat_id": chat_id, "caption": caption, "parse_mode": "HTML" if caption else None,
                  "reply_markup": markup}  # fmt: skip
        if f.remote_id:
            try:
                msg = await self.call(chat_id, method_cls(**common, **{field_name: f.remote_id}))
                ids.append(str(msg.message_id))
                return ids
            except TelegramBadRequest as err:
                log.info("cached file id refused (%s): uploading again", err.message)
        data = await self.files.read(f.file_name_id)
        upload = BufferedInputFile(data, filename=f.name)
        msg = await self.call(chat_id, method_cls(**common, **{field_name: upload}))
        ids.append(str(msg.message_id))
        remote = sent_file_id(msg)
        if remote:
            await self.files.remember(f.stored_file_id, remote)
        return ids

    async def _send_quiz(self, chat_id: str, quiz: Quiz, markup: InlineKeyboardMarkup | None) -> Message:
        options = [InputPollOption(text=clip(o, MAX_POLL_OPTION)) for o in quiz.options[:MAX_POLL_OPTIONS]]
        is_quiz = quiz.correct_option is not None and quiz.correct_option < len(options)
        method = SendPoll(
            chat_id=chat_id,
            question=clip(quiz.question, MAX_POLL_QUESTION),
            options=options,
            type="quiz" if is_quiz else "regular",
            correct_option_ids=[quiz.correct_option] if is_quiz else None,
            is_anonymous=False,  # an anonymous poll sends no answer back
            open_period=quiz.open_seconds if quiz.open_seconds and 5 <= quiz.open_seconds <= 600 else None,
            reply_markup=markup,
        )
        return await self.call(chat_id, method)


def sent_file_id(msg: Message) -> str | None:
    if msg.photo:
        return msg.photo[-1].file_id
    for kind in ("document", "voice", "audio", "video", "video_note"):
        media = getattr(msg, kind)
        if media is not None:
            return str(media.file_id)
    return None
