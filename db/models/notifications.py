"""Reminders, notification preferences, announcements and their acknowledgements, questions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigIntPK, IdMixin, TimestampMixin, enum_column
from db.models.enums import ReminderKind, ReminderStatus


class Reminder(Base):
    """A reminder due at a moment; a scheduler tick moves due ones into the outbox.

    Keyed by its dedupe key (what, who, offset, the deadline itself), which planning's ON CONFLICT
    needs anyway: a surrogate id was one more index, and a wider row, for every one of a million
    rows that planning writes and the tick rewrites (migration 0015).
    """

    __tablename__ = "reminder"
    __table_args__ = (
        # Only planned rows: marking one queued or skipped removes it rather than adding an entry.
        Index(
            "ix_reminder_planned",
            "due_at",
            postgresql_where=sql("status = 'planned'"),
            sqlite_where=sql("status = 'planned'"),
        ),
    )

    # No foreign keys (person, assignment, lesson, outbox): this is a derived queue that planning
    # rebuilds, and checking them cost ~8 s per million planned rows. The tick's re-check skips a
    # reminder whose person/assignment/lesson is gone; the plan tick deletes such orphans.
    person_id: Mapped[int] = mapped_column(BigIntPK)
    kind: Mapped[ReminderKind] = enum_column(ReminderKind)
    assignment_id: Mapped[int | None] = mapped_column(BigIntPK)
    lesson_id: Mapped[int | None] = mapped_column(BigIntPK)
    due_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]  # the deadline or lesson start: never sent after it
    offset_minutes: Mapped[int]
    status: Mapped[ReminderStatus] = enum_column(ReminderStatus, default=ReminderStatus.planned)
    # Compared byte by byte on PostgreSQL (collation "C"): planning and the tick write a million
    # entries of its unique index at a time, and the language's collation made that ~1.6x slower.
    dedupe_key: Mapped[str] = mapped_column(
        String(128).with_variant(String(128, collation="C"), "postgresql"), primary_key=True
    )


class NotificationPreference(IdMixin, Base):
    """A kind of notice a person switched off (deadline reminders, grade notices...)."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("person_id", "kind"),)

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(default=False)


class Announcement(IdMixin, TimestampMixin, Base):
    __tablename__ = "announcement"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("study_group.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(16), default="both")  # students, parents, both
    text: Mapped[str] = mapped_column(Text)
    needs_ack: Mapped[bool] = mapped_column(default=False)


class Acknowledgement(IdMixin, TimestampMixin, Base):
    __tablename__ = "acknowledgement"
    __table_args__ = (UniqueConstraint("announcement_id", "person_id"),)

    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcement.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))


class Question(IdMixin, TimestampMixin, Base):
    """A student's question to a course's teacher, and the answer."""

    __tablename__ = "question"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    file_name_id: Mapped[int | None] = mapped_column(ForeignKey("file_name.id", ondelete="SET NULL"))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    answered_at: Mapped[dt.datetime | None]
