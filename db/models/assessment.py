"""Tests with automatic grading, and their attempts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, IdMixin, TimestampMixin


class QuizTest(IdMixin, TimestampMixin, Base):
    __tablename__ = "quiz_test"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    time_limit_minutes: Mapped[int | None]
    attempts_allowed: Mapped[int] = mapped_column(default=1)
    shuffle: Mapped[bool] = mapped_column(default=True)
    requires_identity: Mapped[bool] = mapped_column(default=False)  # online proctoring, 002 item 16
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))

    questions: Mapped[list[TestQuestion]] = relationship(
        cascade="all, delete-orphan", order_by="TestQuestion.position"
    )


class TestQuestion(IdMixin, Base):
    __tablename__ = "test_question"

    test_id: Mapped[int] = mapped_column(ForeignKey("quiz_test.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[list[Any]]  # the option texts
    correct: Mapped[list[Any]]  # indexes of the right options
    points: Mapped[Any] = mapped_column(Numeric(6, 2), default=1)


class TestAttempt(IdMixin, TimestampMixin, Base):
    __tablename__ = "test_attempt"
    __table_args__ = (UniqueConstraint("test_id", "student_id", "number"),)

    test_id: Mapped[int] = mapped_column(ForeignKey("quiz_test.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    order: Mapped[list[Any]] = mapped_column(default=list)  # question ids in the order shown
    started_at: Mapped[dt.datetime]
    deadline_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    score: Mapped[Any | None] = mapped_column(Numeric(6, 2))
    identity_file_name_id: Mapped[int | None] = mapped_column(ForeignKey("file_name.id", ondelete="SET NULL"))
    identity_checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    # Set with identity_checked_by_id when the teacher rejects the photo (002 item 16): the attempt
    # never counts and is not one of the attempts used.
    identity_rejection: Mapped[str | None] = mapped_column(Text)


class TestAnswer(IdMixin, TimestampMixin, Base):
    __tablename__ = "test_answer"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    attempt_id: Mapped[int] = mapped_column(ForeignKey("test_attempt.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("test_question.id", ondelete="CASCADE"))
    chosen: Mapped[list[Any]]
    correct: Mapped[bool] = mapped_column(default=False)
    poll_id: Mapped[str | None] = mapped_column(String(64), index=True)  # Telegram quiz poll
    note: Mapped[str | None] = mapped_column(Text)
