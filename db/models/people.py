"""People, their roles, their messenger accounts, parent links and invites."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, IdMixin, TimestampMixin, enum_column
from db.models.enums import Channel, Role


class Person(IdMixin, TimestampMixin, Base):
    __tablename__ = "person"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    full_name: Mapped[str] = mapped_column(String(300))
    locale: Mapped[str | None] = mapped_column(String(8))  # None until chosen: then the org default
    phone: Mapped[str | None] = mapped_column(String(32), index=True)  # E.164
    iin: Mapped[str | None] = mapped_column(String(12))  # individual identification number
    birth_date: Mapped[dt.date | None]
    active_role: Mapped[Role | None] = enum_column(Role, nullable=True)
    consent_at: Mapped[dt.datetime | None]  # personal data consent (law No. 94-V)
    # Who gave it: the person, or for a minor their parent (legal representative); and in which language.
    consent_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    consent_locale: Mapped[str | None] = mapped_column(String(8))
    erased_at: Mapped[
        dt.datetime | None
    ]  # personal data erased on request: the kept records are pseudonymous

    roles: Mapped[list[PersonRole]] = relationship(back_populates="person", cascade="all, delete-orphan")
    accounts: Mapped[list[MessengerAccount]] = relationship(back_populates="person")


class PersonRole(IdMixin, TimestampMixin, Base):
    __tablename__ = "person_role"
    __table_args__ = (UniqueConstraint("person_id", "role", "group_id"),)

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = enum_column(Role)
    # A student's group; empty for other roles.
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("study_group.id", ondelete="SET NULL"), index=True
    )

    person: Mapped[Person] = relationship(back_populates="roles")


class MessengerAccount(IdMixin, TimestampMixin, Base):
    """One chat identity: a Telegram user, a WhatsApp number or a web-chat seat.

    An account exists before its person is known (someone wrote before joining).
    """

    __tablename__ = "messenger_account"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    channel: Mapped[Channel] = enum_column(Channel)
    external_id: Mapped[str] = mapped_column(String(64))  # Telegram user id, E.164 phone, web seat
    chat_id: Mapped[str | None] = mapped_column(String(64))  # where replies go, if not external_id
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    display_name: Mapped[str | None] = mapped_column(String(300))
    username: Mapped[str | None] = mapped_column(String(64))
    language_code: Mapped[str | None] = mapped_column(String(16))
    last_inbound_at: Mapped[dt.datetime | None]  # WhatsApp's 24-hour window starts here
    unreachable_at: Mapped[dt.datetime | None]  # blocked the bot, number gone...
    # The person chose this account for notices; their other accounts are the fallback.
    notices_first: Mapped[bool] = mapped_column(default=False, server_default=false())

    person: Mapped[Person | None] = relationship(back_populates="accounts")

    @property
    def address(self) -> str:
        return self.chat_id or self.external_id


class ParentLink(IdMixin, TimestampMixin, Base):
    __tablename__ = "parent_link"
    __table_args__ = (UniqueConstraint("parent_id", "child_id"),)

    parent_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)


class Invite(IdMixin, TimestampMixin, Base):
    """A one-time code that binds a messenger account to a person and role."""

    __tablename__ = "invite"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = enum_column(Role)
    # For a parent's link code: the child it links to.
    child_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    used_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("messenger_account.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class LinkCode(IdMixin, TimestampMixin, Base):
    """A one-time code to link another messenger to a person, kept only as a hash."""

    __tablename__ = "link_code"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    used_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("messenger_account.id", ondelete="SET NULL")
    )


class LinkTry(IdMixin, TimestampMixin, Base):
    """A wrong link code sent from an account: a few in a window and that account must wait."""

    __tablename__ = "link_try"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("messenger_account.id", ondelete="CASCADE"), index=True
    )


Index("ix_person_role_role_group", PersonRole.role, PersonRole.group_id)
