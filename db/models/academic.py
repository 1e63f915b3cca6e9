"""Terms, the calendar, courses, the timetable, the thematic plan, assignments, submissions, grades."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, IdMixin, TimestampMixin, enum_column
from db.models.enums import (
    AssignmentKind,
    AssignmentStatus,
    ControlType,
    LessonMode,
    SubmissionStatus,
)


class AcademicTerm(IdMixin, TimestampMixin, Base):
    __tablename__ = "academic_term"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]


class CalendarEvent(IdMixin, TimestampMixin, Base):
    """An entry of the academic calendar: a session, holidays, attestation weeks."""

    __tablename__ = "calendar_event"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    term_id: Mapped[int | None] = mapped_column(ForeignKey("academic_term.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32), default="event")  # holiday, session, attestation...
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]


class Course(IdMixin, TimestampMixin, Base):
    """A discipline taught to one group by one teacher in a term."""

    __tablename__ = "course"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    term_id: Mapped[int | None] = mapped_column(ForeignKey("academic_term.id", ondelete="SET NULL"))
    group_id: Mapped[int] = mapped_column(ForeignKey("study_group.id", ondelete="CASCADE"), index=True)
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    discipline: Mapped[str] = mapped_column(String(300))
    credits: Mapped[int] = mapped_column(default=0)
    hours: Mapped[int | None]


class Lesson(IdMixin, TimestampMixin, Base):
    """One timetable entry: an online lesson with its link, or offline work."""

    __tablename__ = "lesson"
    __table_args__ = (Index("ix_lesson_course_starts", "course_id", "starts_at"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    mode: Mapped[LessonMode] = enum_column(LessonMode, default=LessonMode.online)
    link: Mapped[str | None] = mapped_column(String(500))
    room: Mapped[str | None] = mapped_column(String(64))
    topic: Mapped[str | None] = mapped_column(String(300))
    # An individual schedule's lesson (002 item 10) is for one student only.
    student_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    cancelled: Mapped[bool] = mapped_column(default=False)


class Attendance(IdMixin, TimestampMixin, Base):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("lesson_id", "student_id"),)

    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    present: Mapped[bool] = mapped_column(default=True)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class Topic(IdMixin, TimestampMixin, Base):
    """A line of the course's thematic schedule: topic, hours, deadline."""

    __tablename__ = "topic"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(500))
    hours: Mapped[int] = mapped_column(default=2)
    deadline: Mapped[dt.datetime | None]


class Assignment(IdMixin, TimestampMixin, Base):
    __tablename__ = "assignment"
    __table_args__ = (Index("ix_assignment_course_deadline", "course_id", "deadline"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[dt.datetime]
    max_score: Mapped[int] = mapped_column(default=100)
    control_type: Mapped[ControlType] = enum_column(ControlType, default=ControlType.current)
    kind: Mapped[AssignmentKind] = enum_column(AssignmentKind, default=AssignmentKind.written)
    status: Mapped[AssignmentStatus] = enum_column(AssignmentStatus, default=AssignmentStatus.published)
    published_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    test_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_test.id", ondelete="SET NULL"))
    # After the deadline: accepted and marked late (True), or refused with whom to ask (False).
    accepts_late: Mapped[bool] = mapped_column(default=True, server_default=true())

    files: Mapped[list[AssignmentFile]] = relationship(
        cascade="all, delete-orphan", order_by="AssignmentFile.id"
    )


class AssignmentFile(IdMixin, Base):
    __tablename__ = "assignment_file"

    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    file_name_id: Mapped[int] = mapped_column(ForeignKey("file_name.id", ondelete="CASCADE"))


class Extension(IdMixin, TimestampMixin, Base):
    """An individual student's later deadline for one assignment."""

    __tablename__ = "extension"
    __table_args__ = (UniqueConstraint("assignment_id", "student_id"),)

    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    deadline: Mapped[dt.datetime]
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class Submission(IdMixin, TimestampMixin, Base):
    """A student's work on an assignment; each (re)submission is a new version."""

    __tablename__ = "submission"
    __table_args__ = (
        UniqueConstraint("assignment_id", "student_id"),
        Index("ix_submission_status", "status"),
    )

    number: Mapped[str] = mapped_column(String(32), unique=True)  # the receipt number
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    status: Mapped[SubmissionStatus] = enum_column(SubmissionStatus, default=SubmissionStatus.submitted)
    submitted_at: Mapped[dt.datetime | None]
    late: Mapped[bool] = mapped_column(default=False)
    # A written attestation is handed in with a photo of the student holding their ID (002 item 16);
    # it waits for grading until the teacher confirms it, and a rejection (with its reason) returns it.
    identity_file_name_id: Mapped[int | None] = mapped_column(ForeignKey("file_name.id", ondelete="SET NULL"))
    identity_checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    identity_rejection: Mapped[str | None] = mapped_column(Text)

    versions: Mapped[list[SubmissionVersion]] = relationship(
        cascade="all, delete-orphan", order_by="SubmissionVersion.number"
    )


class SubmissionVersion(IdMixin, TimestampMixin, Base):
    __tablename__ = "submission_version"
    __table_args__ = (UniqueConstraint("submission_id", "number"),)

    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(default=1)
    text: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[dt.datetime]
    late: Mapped[bool] = mapped_column(default=False)

    files: Mapped[list[SubmissionFile]] = relationship(
        cascade="all, delete-orphan", order_by="SubmissionFile.id"
    )


class SubmissionFile(IdMixin, Base):
    __tablename__ = "submission_file"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("submission_version.id", ondelete="CASCADE"), index=True
    )
    file_name_id: Mapped[int] = mapped_column(ForeignKey("file_name.id", ondelete="CASCADE"))


class Grade(IdMixin, TimestampMixin, Base):
    __tablename__ = "grade"
    __table_args__ = (UniqueConstraint("assignment_id", "student_id"),)

    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id", ondelete="SET NULL"))
    score: Mapped[Any] = mapped_column(Numeric(6, 2))
    comment: Mapped[str | None] = mapped_column(Text)
    released: Mapped[bool] = mapped_column(default=True)  # False: a teacher's draft
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    graded_at: Mapped[dt.datetime]


class GradeChange(IdMixin, TimestampMixin, Base):
    """The grade's own history: who changed it, when, from what to what, and why."""

    __tablename__ = "grade_change"

    grade_id: Mapped[int] = mapped_column(ForeignKey("grade.id", ondelete="CASCADE"), index=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    old_score: Mapped[Any | None] = mapped_column(Numeric(6, 2))
    new_score: Mapped[Any] = mapped_column(Numeric(6, 2))
    reason: Mapped[str] = mapped_column(Text)
