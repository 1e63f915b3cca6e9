"""The durable inbox and outbox, dialog state, the file store's index and the web chat log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigIntPK, IdMixin, TimestampMixin, enum_column, utcnow
from db.models.enums import Channel, InboxStatus, OutboxStatus


class InboxUpdate(IdMixin, Base):
    """What arrived, committed before the messenger is told it arrived."""

    __tablename__ = "inbox_update"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_inbox_update_chat_status", "chat_key", "status"),
        Index("ix_inbox_update_status_id", "status", "id"),
    )

    channel: Mapped[Channel] = enum_column(Channel)
    external_id: Mapped[str] = mapped_column(String(128))  # update_id, MessageSid, web message id
    chat_key: Mapped[str] = mapped_column(String(96))  # updates of one chat are handled in order
    payload: Mapped[dict[str, Any]]  # the neutral Incoming, serialized
    status: Mapped[InboxStatus] = enum_column(InboxStatus, default=InboxStatus.new)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None]
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class OutboxPayload(IdMixin, TimestampMixin, Base):
    """A rendered message many outbox rows share (a reminder wave): stored once, not once a row."""

    __tablename__ = "outbox_payload"

    payload: Mapped[dict[str, Any]]  # the neutral Reply, serialized
    # WhatsApp outside the 24-hour window: a template kind and its variables.
    template_vars: Mapped[dict[str, Any] | None]


class OutboxMessage(IdMixin, TimestampMixin, Base):
    """A message Ustaz sends: a row first, then delivered by the sender."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_due", "status", "not_before"),
        # Partial: a reminder wave's million rows carry no key and so add no entry.
        Index(
            "uq_outbox_message_dedupe_key",
            "dedupe_key",
            unique=True,
            postgresql_where=sql("dedupe_key IS NOT NULL"),
            sqlite_where=sql("dedupe_key IS NOT NULL"),
        ),
        # Partial: both are empty for every queued notice and reminder (a million-row wave pays
        # nothing), and the sender only looks them up by equality, which implies IS NOT NULL.
        Index(
            "ix_outbox_message_account_id",
            "account_id",
            postgresql_where=sql("account_id IS NOT NULL"),
            sqlite_where=sql("account_id IS NOT NULL"),
        ),
        Index(
            "ix_outbox_message_external_message_id",
            "external_message_id",
            postgresql_where=sql("external_message_id IS NOT NULL"),
            sqlite_where=sql("external_message_id IS NOT NULL"),
        ),
    )

    # No foreign key: a reminder wave writes a million rows, and the per-row check of the person was
    # ~10 % of its time. People are never deleted (erasure keeps the row); a row whose person was
    # deleted by hand finds no account, and the sender marks it unreachable (migration 0014).
    person_id: Mapped[int | None] = mapped_column(BigIntPK, index=True)
    # The account to use; empty means "the person's reachable accounts, best first".
    account_id: Mapped[int | None] = mapped_column(ForeignKey("messenger_account.id", ondelete="CASCADE"))
    channel: Mapped[Channel | None] = enum_column(Channel, nullable=True)
    kind: Mapped[str] = mapped_column(String(32), default="reply")  # reply, notice, reminder, announcement...
    priority: Mapped[int] = mapped_column(default=0)  # replies go before broadcasts
    # The neutral Reply, serialized; empty when the row shares an OutboxPayload (payload_id).
    payload: Mapped[dict[str, Any] | None]
    # WhatsApp outside the 24-hour window: a template kind and its variables (or the shared payload's).
    template_vars: Mapped[dict[str, Any] | None]
    # The shared rendered message, for rows made in bulk. No foreign key: checking it cost a lookup
    # per row of a million-row wave, and payloads are never deleted while rows point at them.
    payload_id: Mapped[int | None] = mapped_column(BigIntPK)
    status: Mapped[OutboxStatus] = enum_column(OutboxStatus, default=OutboxStatus.pending)
    not_before: Mapped[dt.datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    # Parts (messages) of this row the messenger acknowledged: a retry continues after them.
    parts_done: Mapped[int] = mapped_column(default=0, server_default=sql("0"))
    # The first failed attempt; a notice failing this long goes by the person's next channel.
    failing_since: Mapped[dt.datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    external_message_id: Mapped[str | None] = mapped_column(String(96))
    status_at: Mapped[dt.datetime | None]
    error_code: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    # Makes a message idempotent: a second row with the same key is not queued (DEDUPED below).
    dedupe_key: Mapped[str | None] = mapped_column(String(160))


# The arbiter of "INSERT ... ON CONFLICT (dedupe_key)" into the outbox: its index is partial.
DEDUPED = sql("dedupe_key IS NOT NULL")


class DialogState(IdMixin, Base):
    """Where a person is in a multi-step dialog; lives here so a restart continues it."""

    __tablename__ = "dialog_state"
    __table_args__ = (UniqueConstraint("account_id"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("messenger_account.id", ondelete="CASCADE"))
    dialog: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class StoredFile(IdMixin, TimestampMixin, Base):
    """A file in the content-addressed store: the bytes live on disk under their SHA-256."""

    __tablename__ = "stored_file"

    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int]
    mime: Mapped[str] = mapped_column(String(128))


class FileName(IdMixin, TimestampMixin, Base):
    """A file as a person sent it: the stored bytes plus the name and kind it came with."""

    __tablename__ = "file_name"

    stored_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16), default="document")  # document, photo, voice, audio, video
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class ChannelFileId(IdMixin, TimestampMixin, Base):
    """A messenger's own id for a file it already holds, to re-send without uploading again."""

    __tablename__ = "channel_file_id"
    __table_args__ = (UniqueConstraint("channel", "stored_file_id"),)

    channel: Mapped[Channel] = enum_column(Channel)
    stored_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(String(255))


class WebchatMessage(IdMixin, TimestampMixin, Base):
    """The local web chat's log: what the person sent and what Ustaz answered."""

    __tablename__ = "webchat_message"
    __table_args__ = (Index("ix_webchat_message_account_id", "account_id", "id"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("messenger_account.id", ondelete="CASCADE"))
    from_person: Mapped[bool] = mapped_column(default=False)
    payload: Mapped[dict[str, Any]]
