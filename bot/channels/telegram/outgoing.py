"""A neutral Reply becomes Bot API calls, each within the flood limits and retried where that is safe."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
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
from aiogram.types import BufferedInputFile, InputPollOption, Message

from bot.channels.telegram.limits import Limiter
from bot.channels.telegram.render import (
    MAX_CAPTION,
    MAX_POLL_OPTION,
    MAX_POLL_OPTIONS,
    MAX_POLL_QUESTION,
    Markup,
    aiogram_markup,
    clip,
    escape,
    keyboard,
    split_text,
    utf16_len,
)
from bot.channels.telegram.session import LeanCall, call_lean
from bot.core.messages import OutFile, Quiz, Reply
from bot.ops.metrics import TELEGRAM_429

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


@dataclass(frozen=True, slots=True)
class Acked:
    """What Ustaz keeps of a message Telegram took: from aiogram's Message, or leniently from the raw JSON."""

    message_id: str | None
    poll_id: str | None = None  # a quiz's poll: its answers come back with this id
    file_id: str | None = None  # an uploaded file, to send again without uploading

    @classmethod
    def of(cls, msg: Message) -> Acked:
        return cls(str(msg.message_id), msg.poll.id if msg.poll else None, sent_file_id(msg))

    @classmethod
    def from_raw(cls, result: Any) -> Acked:
        raw = result if isinstance(result, dict) else {}
        message_id = raw.get("message_id")
        found = raw.get("poll")
        poll: dict[str, Any] = found if isinstance(found, dict) else {}
        photos = raw.get("photo") if isinstance(raw.get("photo"), list) else []
        media = (
            [photos[-1]]
            if photos
            else [raw.get(k) for k in ("document", "voice", "audio", "video", "video_note")]
        )
        file_id = next((m["file_id"] for m in media if isinstance(m, dict) and "file_id" in m), None)
        return cls(
            str(message_id) if message_id is not None else None,
            str(poll["id"]) if "id" in poll else None,
            str(file_id) if file_id is not None else None,
        )


# Told of each acknowledged part: how many parts are done, of how many, and what the last one was.
PartSent = Callable[[int, int, Acked], Awaitable[None]]
Step = Callable[[Markup | None], Awaitable[Acked]]


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

    async def call(self, chat_id: str, method: TelegramMethod[Any] | LeanCall, limited: bool = True) -> Any:
        """One Bot API call: waits for its slot, honours retry_after, backs off on network and 5xx errors.

        A LeanCall's result is the Bot API's plain JSON; an aiogram method's, aiogram's object."""
        failures = 0
        waited = 0.0
        while True:
            try:
                if not limited:
                    return await self._once(method)
                async with self.limiter.slot(chat_id):
                    return await self._once(method)
            except TelegramRetryAfter as err:
                TELEGRAM_429.inc()
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

    async def _once(self, method: TelegramMethod[Any] | LeanCall) -> Any:
        return await (call_lean(self.bot, method) if isinstance(method, LeanCall) else self.bot(method))

    async def answer_callback(self, query_id: str) -> None:
        call = LeanCall(
            "answerCallbackQuery",
            {"callback_query_id": query_id},
            lambda: AnswerCallbackQuery(callback_query_id=query_id),
        )
        try:
            await self.call("", call, limited=False)
        except (TelegramBadRequest, TryLater) as err:  # too old, or Telegram down: the spinner just times out
            log.info("callback %s not answered: %s", query_id, err)

    async def send(self, chat_id: str, method: TelegramMethod[Any] | LeanCall) -> Acked:
        """One sending call; `ok: true` is a success even when aiogram cannot parse the result."""
        try:
            result = await self.call(chat_id, method)
        except ClientDecodeError as err:
            raw = err.data if isinstance(err.data, dict) else None
            if raw is None or raw.get("ok") is not True:
                raise
            # An older self-hosted Bot API, or a field added or dropped: Telegram did send it.
            log.warning(
                "telegram %s: ok, but the result is unreadable (%s)", method.__api_method__, err.original
            )
            return Acked.from_raw(raw.get("result"))
        if isinstance(result, Message):
            return Acked.of(result)
        return Acked.from_raw(result)  # a lean call's JSON (or True, for an edit)

    async def deliver(
        self,
        chat_id: str,
        reply: Reply,
        source_message_id: str | None = None,
        start: int = 0,
        on_part: PartSent | None = None,
    ) -> Delivered:
        """Send one Reply: text parts, files, a quiz; the keyboard rides on the last message.

        Each part is one call; `on_part` hears of each acknowledged one before the next goes,
        and `start` skips the parts an earlier attempt already sent.
        """
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
        steps = self._steps(chat_id, reply, parts)
        for i in range(start, len(steps)):
            acked = await steps[i](markup if i == len(steps) - 1 else None)
            if acked.message_id is not None:
                done.message_ids.append(acked.message_id)
            done.poll_id = acked.poll_id or done.poll_id
            if on_part is not None:
                await on_part(i + 1, len(steps), acked)
        return done

    def _steps(self, chat_id: str, reply: Reply, parts: list[str]) -> list[Step]:
        """The calls of a reply in order, one part each, so that a retry can start at any of them."""
        steps: list[Step] = [functools.partial(self._send_text, chat_id, part) for part in parts]
        for out in reply.files:
            if out.caption and utf16_len(out.caption) > MAX_CAPTION:
                # Too long for a caption: it goes before the file.
                steps += [
                    functools.partial(self._send_text, chat_id, part) for part in split_text(out.caption)
                ]
                out = dataclasses.replace(out, caption=None)
            steps.append(functools.partial(self._send_file, chat_id, out))
        if reply.quiz:
            steps.append(functools.partial(self._send_quiz, chat_id, reply.quiz))
        return steps

    async def _send_text(self, chat_id: str, text: str, markup: Markup | None) -> Acked:
        params = _without_none(chat_id=chat_id, text=escape(text), parse_mode="HTML", reply_markup=markup)
        return await self.send(chat_id, LeanCall("sendMessage", params, lambda: SendMessage(**params)))

    async def _edit(self, chat_id: str, message_id: str, text: str, markup: Markup | None) -> bool:
        params = _without_none(
            chat_id=chat_id,
            message_id=int(message_id),
            text=escape(text),
            parse_mode="HTML",
            reply_markup=markup,
        )
        try:
            await self.send(chat_id, LeanCall("editMessageText", params, lambda: EditMessageText(**params)))
        except TelegramBadRequest as err:
            # The same press twice: what they see is already right. Anything else (too old to edit,
            # not a text message): a new message is sent instead.
            return "not modified" in err.message
        return True

    async def _send_file(self, chat_id: str, out: OutFile, markup: Markup | None) -> Acked:
        if self.files is None:
            raise RuntimeError("no file source configured for the Telegram channel")
        f = await self.files.describe(out.file_name_id)
        caption = escape(out.caption) if out.caption else None
        method_cls, field_name = UPLOAD.get(f.kind, (SendDocument, "document"))
        common = {"chat_id": chat_id, "caption": caption, "parse_mode": "HTML" if caption else None,
                  "reply_markup": aiogram_markup(markup)}  # fmt: skip
        if f.remote_id:
            try:
                return await self.send(chat_id, method_cls(**common, **{field_name: f.remote_id}))
            except TelegramBadRequest as err:
                log.info("cached file id refused (%s): uploading again", err.message)
        data = await self.files.read(f.file_name_id)
        upload = BufferedInputFile(data, filename=f.name)
        acked = await self.send(chat_id, method_cls(**common, **{field_name: upload}))
        if acked.file_id:
            try:
                await self.files.remember(f.stored_file_id, acked.file_id)
            except Exception:  # only a cache: the file is sent, and must not be sent again for this
                log.exception("remembering Telegram's id of stored file %s failed", f.stored_file_id)
        return acked

    async def _send_quiz(self, chat_id: str, quiz: Quiz, markup: Markup | None) -> Acked:
        options: list[InputPollOption | str] = [
            InputPollOption(text=clip(o, MAX_POLL_OPTION)) for o in quiz.options[:MAX_POLL_OPTIONS]
        ]
        correct = quiz.correct_option
        is_quiz = correct is not None and correct < len(options)
        method = SendPoll(
            chat_id=chat_id,
            question=clip(quiz.question, MAX_POLL_QUESTION),
            options=options,
            type="quiz" if is_quiz else "regular",
            correct_option_ids=[correct] if correct is not None and is_quiz else None,
            is_anonymous=False,  # an anonymous poll sends no answer back
            open_period=quiz.open_seconds if quiz.open_seconds and 5 <= quiz.open_seconds <= 600 else None,
            reply_markup=aiogram_markup(markup),
        )
        return await self.send(chat_id, method)


def _without_none(**params: Any) -> dict[str, Any]:
    """A lean call's parameters: one left out is sent as no field at all, as aiogram does."""
    return {k: v for k, v in params.items() if v is not None}


def sent_file_id(msg: Message) -> str | None:
    if msg.photo:
        return msg.photo[-1].file_id
    for kind in ("document", "voice", "audio", "video", "video_note"):
        media = getattr(msg, kind)
        if media is not None:
            return str(media.file_id)
    return None
