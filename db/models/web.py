"""Signing in on the web chat: one-time codes sent to a person's messenger, and browser sessions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, IdMixin, TimestampMixin


class WebSignInCode(IdMixin, TimestampMixin, Base):
    """A code sent to the person's messenger, kept only as a hash: a copy of the database signs no one in."""

    __tablename__ = "web_signin_code"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(default=0)  # wrong tries: the code dies after a few
    used_at: Mapped[dt.datetime | None]


class WebSession(IdMixin, TimestampMixin, Base):
    """A signed-in browser (or a demo seat): the cookie holds the token, the row only its hash."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The person's one web account: the same on every sign-in, so the history stays.
    account_id: Mapped[int] = mapped_column(
        ForeignKey("messenger_account.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[dt.datetime]
    # Notices come here (not to the person's messengers) only while a session that chose so lasts.
    notices: Mapped[bool] = mapped_column(default=False)
