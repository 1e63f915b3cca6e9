"""The educational organization, its programs and groups."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, IdMixin, TimestampMixin, enum_column
from db.models.enums import CreditCapCategory, GradingScheme, OrgKind, ProgramLevel


class Organization(IdMixin, TimestampMixin, Base):
    __tablename__ = "organization"

    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[OrgKind] = enum_column(OrgKind, default=OrgKind.college)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Almaty")
    default_locale: Mapped[str] = mapped_column(String(8), default="kk")
    grading_scheme: Mapped[GradingScheme] = enum_column(GradingScheme, default=GradingScheme.letter)
    # Organization-specific knobs with the defaults of DESIGN.md: reminder offsets,
    # quiet hours, final-grade weights, admission threshold, order number prefix.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)

    groups: Mapped[list[Group]] = relationship(back_populates="organization")


class Program(IdMixin, TimestampMixin, Base):
    __tablename__ = "program"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    code: Mapped[str | None] = mapped_column(String(32))
    level: Mapped[ProgramLevel] = enum_column(ProgramLevel, default=ProgramLevel.tvet)
    field: Mapped[str | None] = mapped_column(String(64))  # e.g. health_care, aviation: drives item 19
    credit_cap_category: Mapped[CreditCapCategory] = enum_column(
        CreditCapCategory, default=CreditCapCategory.none
    )
    on_higher_education_basis: Mapped[bool] = mapped_column(default=False)
    duration_terms: Mapped[int] = mapped_column(default=8)


class Group(IdMixin, TimestampMixin, Base):
    __tablename__ = "study_group"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[int | None] = mapped_column(ForeignKey("program.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(64))
    year: Mapped[int | None]
    # Telegram group chat of the class, if the teacher linked one (20 messages a minute there).
    telegram_chat_id: Mapped[str | None] = mapped_column(String(32))

    organization: Mapped[Organization] = relationship(back_populates="groups")
