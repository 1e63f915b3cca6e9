"""What Ustaz shares outside a person's own chat: calendar feeds and class group chats."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdMixin, TimestampMixin


class CalendarFeed(IdMixin, TimestampMixin, Base):
    """A person's private calendar link: its version is in the signed URL, so a new version revokes it."""

    __tablename__ = "calendar_feed"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), unique=True)
    version: Mapped[int] = mapped_column(default=1)


class ClassChat(IdMixin, TimestampMixin, Base):
    """A messenger group chat of a class, linked to a group of the school by a one-time code.

    The row is made with its code (by a teacher or the head); the group chat that sends the code is
    linked (`account_id`, the group chat's own account) until the bot is removed or someone unlinks it.
    """

    __tablename__ = "class_chat"

    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("study_group.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    code_expires_at: Mapped[dt.datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("messenger_account.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str | None] = mapped_column(String(300))
    locale: Mapped[str] = mapped_column(String(8))  # what Ustaz writes there: the linking person's language
    # The bot's private chat (t.me/<bot>) as known at linking: each post offers it to those not joined yet.
    join_url: Mapped[str | None] = mapped_column(String(200))
    linked_at: Mapped[dt.datetime | None]
    unlinked_at: Mapped[dt.datetime | None]
