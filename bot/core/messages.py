"""Neutral messages: what every channel turns its input into, and what handlers answer.

Nothing here knows a messenger. Both kinds serialize to plain JSON so they can
sit in the inbox and the outbox.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from db.models.enums import Channel


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file that came with a message.

    `remote_ref` is the channel's handle (Telegram file_id, Twilio media URL);
    `stored_file_id` is set once the bytes are in the file store.
    """

    kind: str  # document, photo, voice, audio, video, video_note
    remote_ref: str | None = None
    filename: str | None = None
    mime: str | None = None
    size: int | None = None
    stored_file_id: int | None = None
    file_name_id: int | None = None


@dataclass(frozen=True, slots=True)
class QuizAnswer:
    quiz_id: str  # the channel's poll id
    option_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a person did: typed, pressed, sent a file, answered a quiz."""

    channel: Channel
    external_user_id: str  # who: Telegram user id, E.164 phone, web seat
    chat_id: str  # where to answer
    text: str | None = None
    command: str | None = None  # without the slash, lower case
    command_args: str = ""
    button: str | None = None  # a pressed button's payload
    attachments: tuple[Attachment, ...] = ()
    quiz_answer: QuizAnswer | None = None
    language_code: str | None = None  # what the messenger says the person's language is
    display_name: str | None = None
    username: str | None = None
    # The channel's handle of the message a button was pressed on (to edit it).
    source_message_id: str | None = None
    # Not a message: the person stopped (True) or restarted (False) the bot in the messenger.
    # Nothing is answered; their account is marked unreachable, or reachable again.
    blocked: bool | None = None
    # Written in a group chat (a class's chat), not in the person's private chat: `chat_id` is the group's.
    # With `blocked`, the bot itself was removed from the group (True) or added to it (False).
    group: bool = False
    chat_title: str | None = None
    # The group chat moved here from this chat id (Telegram upgraded a group to a supergroup).
    moved_from: str | None = None

    @classmethod
    def parse_text(cls, text: str | None) -> tuple[str | None, str]:
        """Split '/start abc' into ('start', 'abc'); plain text gives (None, '')."""
        if not text or not text.startswith("/"):
            return None, ""
        head, _, rest = text[1:].partition(" ")
        name = head.split("@", 1)[0].lower()
        return (name or None), rest.strip()

    @classmethod
    def from_web(
        cls,
        seat: str,
        text: str | None,
        button: str | None = None,
        attachments: tuple[Attachment, ...] = (),
        language_code: str | None = None,
    ) -> Incoming:
        """What a web chat seat sent (the browser page and the tests' driver alike); its chat is the seat."""
        command, args = cls.parse_text(text)
        return cls(
            channel=Channel.web,
            external_user_id=seat,
            chat_id=seat,
            text=text,
            command=command,
            command_args=args,
            button=button,
            attachments=attachments,
            language_code=language_code,
        )

    def to_json(self) -> dict[str, Any]:
        """What dataclasses.asdict gives, built field by field: asdict deep-copies every value, and this
        runs for each update that arrives (a few times faster)."""
        data = {name: getattr(self, name) for name in _INCOMING_FIELDS}
        data["attachments"] = tuple(dataclasses.asdict(a) for a in self.attachments)
        if self.quiz_answer is not None:
            data["quiz_answer"] = dataclasses.asdict(self.quiz_answer)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Incoming:
        data = dict(data)
        data["channel"] = Channel(data["channel"])
        data["attachments"] = tuple(Attachment(**a) for a in data.get("attachments") or ())
        if data.get("quiz_answer"):
            qa = data["quiz_answer"]
            data["quiz_answer"] = QuizAnswer(qa["quiz_id"], tuple(qa["option_ids"]))
        return cls(**data)


_INCOMING_FIELDS = tuple(f.name for f in dataclasses.fields(Incoming))


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    payload: str  # kept under 64 bytes: Telegram's callback_data limit
    url: str | None = None  # a link button instead of a payload

    def __post_init__(self) -> None:
        if len(self.payload.encode()) > 64:
            raise ValueError(f"button payload over 64 bytes: {self.payload!r}")


@dataclass(frozen=True, slots=True)
class OutFile:
    file_name_id: int  # FileName row: the stored bytes and the name to show
    caption: str | None = None


@dataclass(frozen=True, slots=True)
class Quiz:
    """A question with options; Telegram shows a quiz poll, other channels numbered choices."""

    question: str
    options: tuple[str, ...]
    correct_option: int | None = None
    ref: str = ""  # our own handle (attempt and question) to map the answer back
    open_seconds: int | None = None


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters at a word's end, with «…» when something was cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space >= limit // 2 else cut).rstrip(" ,.;:-—") + "…"


@dataclass(slots=True)
class Reply:
    text: str = ""
    buttons: list[list[Button]] = field(default_factory=list)  # rows of buttons
    files: list[OutFile] = field(default_factory=list)
    quiz: Quiz | None = None
    edit_source: bool = False  # replace the message whose button was pressed, where a channel can
    # Set by the core, not by handlers: the channel's handle of the message to replace (edit_source).
    source_message_id: str | None = None
    # Set by the core: the dialog still waits at the same step (a re-asked question), so a channel that
    # numbers the buttons (WhatsApp) keeps the numbers it offered for that step.
    same_step: bool = False

    def to_json(self) -> dict[str, Any]:
        # What dataclasses.asdict gives, spelled out: asdict deep-copies every field through its generic
        # walk, a noticeable share of a reply's cost on the update path.
        quiz = self.quiz
        return {
            "text": self.text,
            "buttons": [
                [{"label": b.label, "payload": b.payload, "url": b.url} for b in row] for row in self.buttons
            ],
            "files": [{"file_name_id": f.file_name_id, "caption": f.caption} for f in self.files],
            "quiz": None
            if quiz is None
            else {
                "question": quiz.question,
                "options": tuple(quiz.options),
                "correct_option": quiz.correct_option,
                "ref": quiz.ref,
                "open_seconds": quiz.open_seconds,
            },
            "edit_source": self.edit_source,
            "source_message_id": self.source_message_id,
            "same_step": self.same_step,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        return cls(
            text=data.get("text", ""),
            buttons=[[Button(**b) for b in row] for row in data.get("buttons") or []],
            files=[OutFile(**f) for f in data.get("files") or []],
            quiz=Quiz(**{**data["quiz"], "options": tuple(data["quiz"]["options"])})
            if data.get("quiz")
            else None,
            edit_source=data.get("edit_source", False),
            source_message_id=data.get("source_message_id"),
            same_step=data.get("same_step", False),
        )
