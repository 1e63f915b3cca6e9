"""Twilio's inbound webhook form → the core's neutral Incoming.

Pure functions: the caller reads the account's last offered choices from the
database and passes them in, so that "2" or a choice's label becomes the
button it stands for.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.messages import Attachment, Incoming, QuizAnswer
from db.models.enums import Channel

_NUMBER = re.compile(r"^\s*(\d{1,3})\s*[.)]?\s*$")


def phone_of(form: Mapping[str, Any]) -> str:
    """The sender's number in E.164 ("+77011234567"), from From ("whatsapp:+7...") or WaId."""
    sender = str(form.get("From") or "")
    number = sender.split(":", 1)[1] if sender.startswith("whatsapp:") else sender
    if not number and form.get("WaId"):
        number = str(form["WaId"])
    number = number.strip()
    if number and not number.startswith("+"):
        number = "+" + number
    return number


def attachment_kind(content_type: str) -> str:
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype.startswith("image/"):
        return "photo"
    if ctype.startswith("video/"):
        return "video"
    if ctype in ("audio/ogg", "audio/opus"):  # what WhatsApp records a voice note as
        return "voice"
    if ctype.startswith("audio/"):
        return "audio"
    return "document"


def attachments_of(form: Mapping[str, Any]) -> tuple[Attachment, ...]:
    try:
        count = int(form.get("NumMedia") or 0)
    except ValueError:
        count = 0
    sid = str(form.get("MessageSid") or "message")
    found = []
    for i in range(min(count, 10)):  # WhatsApp carries one; Twilio numbers up to 10
        url = form.get(f"MediaUrl{i}")
        if not url:
            continue
        ctype = str(form.get(f"MediaContentType{i}") or "application/octet-stream")
        kind = attachment_kind(ctype)
        ext = mimetypes.guess_extension(ctype.split(";", 1)[0].strip()) or ""
        # WhatsApp does not tell the file's name: name it after the message.
        found.append(
            Attachment(kind=kind, remote_ref=str(url), filename=f"{kind}-{sid[-8:]}-{i + 1}{ext}", mime=ctype)
        )
    return tuple(found)


def match_choice(text: str, choices: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The offered choice a typed answer means: its number ("2", "2.") or its label, any case."""
    if not choices or not text:
        return None
    number = _NUMBER.match(text)
    if number:
        n = int(number.group(1))
        return next((c for c in choices if c.get("n") == n), None)
    wanted = " ".join(text.split()).casefold()
    return next((c for c in choices if " ".join(str(c.get("label", "")).split()).casefold() == wanted), None)


def to_incoming(form: Mapping[str, Any], choices: Sequence[Mapping[str, Any]] = ()) -> Incoming:
    """One Twilio WhatsApp message as the core's Incoming."""
    phone = phone_of(form)
    body = str(form.get("Body") or "")
    attachments = attachments_of(form)
    common: dict[str, Any] = {
        "channel": Channel.whatsapp,
        "external_user_id": phone,
        "chat_id": phone,
        "display_name": (str(form["ProfileName"]) if form.get("ProfileName") else None),
        "source_message_id": (
            str(form["OriginalRepliedMessageSid"]) if form.get("OriginalRepliedMessageSid") else None
        ),
    }
    payload = form.get("ButtonPayload")
    if payload:  # a quick-reply button of a template
        return Incoming(**common, button=str(payload))
    if not attachments:
        choice = match_choice(body, choices)
        if choice is not None and choice.get("quiz") is not None:
            return Incoming(**common, quiz_answer=QuizAnswer(str(choice["quiz"]), (int(choice["option"]),)))
        if choice is not None and choice.get("payload"):
            return Incoming(**common, button=str(choice["payload"]))
    command, args = Incoming.parse_text(body)
    return Incoming(**common, text=body or None, command=command, command_args=args, attachments=attachments)
