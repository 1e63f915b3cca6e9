"""What the WhatsApp channel remembers beyond the shared messaging tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdMixin, utcnow


class WhatsAppChoices(IdMixin, Base):
    """The numbered choices last offered to an account, so that "2" or a label maps back to a button."""

    __tablename__ = "whatsapp_choices"
    __table_args__ = (UniqueConstraint("account_id"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("messenger_account.id", ondelete="CASCADE"))
    choices: Mapped[list[Any]]  # [{"n": 1, "label": ..., "payload": ...} | {..., "quiz": ref, "option": i}]
    offered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WhatsAppBusinessStart(IdMixin, Base):
    """A conversation Ustaz started outside the 24-hour window: counted against the sender's daily cap."""

    __tablename__ = "whatsapp_business_start"
    __table_args__ = (Index("ix_whatsapp_business_start_started_at", "started_at"),)

    account_id: Mapped[int] = mapped_column(
        ForeignKey("messenger_account.id", ondelete="CASCADE"), index=True
    )
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id", ondelete="SET NULL"))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WhatsAppPart(IdMixin, Base):
    """One WhatsApp message of an outbox row (a long text or files make several).

    A part with a sid was accepted by Twilio and is never sent again when the row is
    retried; its status comes from Twilio's callbacks and only moves forward.
    """

    __tablename__ = "whatsapp_part"
    __table_args__ = (UniqueConstraint("outbox_id", "part"),)

    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id", ondelete="CASCADE"))
    part: Mapped[int]
    sid: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    error_code: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
