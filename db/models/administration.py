"""The distance-learning application, orders, individual study plans, certificates, the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, IdMixin, TimestampMixin, enum_column
from db.models.enums import ApplicationStatus, OrderKind


class DistanceApplication(IdMixin, TimestampMixin, Base):
    """өтініш / заявление to study by distance-learning technologies (002 items 6, 8)."""

    __tablename__ = "distance_application"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    applicant_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE")
    )  # a parent for a minor
    category: Mapped[str] = mapped_column(String(64))  # 002 item 6 category or the organization's own
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ApplicationStatus] = enum_column(ApplicationStatus, default=ApplicationStatus.draft)
    submitted_at: Mapped[dt.datetime | None]
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    staff_comment: Mapped[str | None] = mapped_column(Text)

    documents: Mapped[list[ApplicationDocument]] = relationship(cascade="all, delete-orphan")


class ApplicationDocument(IdMixin, TimestampMixin, Base):
    __tablename__ = "application_document"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("distance_application.id", ondelete="CASCADE"), index=True
    )
    file_name_id: Mapped[int] = mapped_column(ForeignKey("file_name.id", ondelete="CASCADE"))


class Order(IdMixin, TimestampMixin, Base):
    """бұйрық / приказ of the head: numbered from the organization's register."""

    __tablename__ = "study_order"
    __table_args__ = (UniqueConstraint("organization_id", "number"),)

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(32))
    sequence: Mapped[int]  # position in the register, per organization and year
    issued_on: Mapped[dt.date]
    kind: Mapped[OrderKind] = enum_column(OrderKind)
    student_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("distance_application.id", ondelete="SET NULL")
    )
    # The grounds as data: a category key (bot/labels.CATEGORIES) each PDF and list translates into its
    # own language, and/or free text as the head typed it (never translated).
    grounds_key: Mapped[str | None] = mapped_column(String(64))
    grounds: Mapped[str] = mapped_column(Text, default="")
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)  # e.g. from/to group of a transfer

    attachments: Mapped[list[OrderAttachment]] = relationship(cascade="all, delete-orphan")


class OrderAttachment(IdMixin, Base):
    __tablename__ = "order_attachment"

    order_id: Mapped[int] = mapped_column(ForeignKey("study_order.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # order_pdf, application, study_plan, schedule
    locale: Mapped[str | None] = mapped_column(String(8))
    file_name_id: Mapped[int] = mapped_column(ForeignKey("file_name.id", ondelete="CASCADE"))


class StudyPlan(IdMixin, TimestampMixin, Base):
    """жеке оқу жоспары / индивидуальный учебный план: what a student takes by distance."""

    __tablename__ = "study_plan"

    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("program.id", ondelete="SET NULL"))
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("distance_application.id", ondelete="SET NULL")
    )
    basis: Mapped[str] = mapped_column(
        String(32), default="regular"
    )  # regular, academic_mobility, double_degree...
    approved: Mapped[bool] = mapped_column(default=False)

    items: Mapped[list[StudyPlanItem]] = relationship(cascade="all, delete-orphan")


class StudyPlanItem(IdMixin, Base):
    __tablename__ = "study_plan_item"

    plan_id: Mapped[int] = mapped_column(ForeignKey("study_plan.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="SET NULL"))
    discipline: Mapped[str] = mapped_column(String(300))
    credits: Mapped[int]
    by_distance: Mapped[bool] = mapped_column(default=True)


class Certificate(IdMixin, TimestampMixin, Base):
    """A MOOC or short-course certificate (002 item 23), checkable by its code."""

    __tablename__ = "certificate"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    course_name: Mapped[str] = mapped_column(String(300))
    credits: Mapped[int]
    issued_on: Mapped[dt.date]
    file_name_id: Mapped[int | None] = mapped_column(ForeignKey("file_name.id", ondelete="SET NULL"))


class AuditRecord(IdMixin, Base):
    """One change to grades, orders, enrolments or roles, chained to the previous by hash."""

    __tablename__ = "audit_record"

    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    at: Mapped[dt.datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    entity: Mapped[str] = mapped_column(String(32))  # grade, order, enrolment, role
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The protected rows this change left behind, as they stood: {"grade:12": {...}, "role:7": null}
    # (bot/services/admin/audit_rows.py); covered by the hash, so a row edited later shows.
    rows: Mapped[dict[str, Any] | None]
