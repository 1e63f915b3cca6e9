"""Enumerations shared by the models and the services."""

from __future__ import annotations

import enum


class OrgKind(enum.StrEnum):
    school = "school"
    college = "college"
    university = "university"


class GradingScheme(enum.StrEnum):
    letter = "letter"  # letter-point-rating scale (001 item 30), universities and colleges
    school5 = "school5"  # the school's 5-point scale
    school10 = "school10"  # a 10-point scale some schools use


class Role(enum.StrEnum):
    student = "student"
    parent = "parent"
    teacher = "teacher"
    tutor = "tutor"
    head = "head"
    deputy = "deputy"
    methodist = "methodist"
    admin = "admin"

    @property
    def is_staff(self) -> bool:
        return self in STAFF_ROLES


STAFF_ROLES = frozenset({Role.head, Role.deputy, Role.methodist, Role.admin})


class Channel(enum.StrEnum):
    telegram = "telegram"
    whatsapp = "whatsapp"
    web = "web"


class ProgramLevel(enum.StrEnum):
    secondary = "secondary"
    tvet = "tvet"  # technical and vocational
    post_secondary = "post_secondary"
    bachelor = "bachelor"
    master = "master"
    mba = "mba"
    emba = "emba"
    dba = "dba"


class CreditCapCategory(enum.StrEnum):
    """Which distance-learning credit cap of 002 items 17-28 applies to a program."""

    none = "none"  # no cap category
    restricted_fields = "restricted_fields"  # item 19: choreography, aviation, health care... 30 credits
    on_general_secondary = "on_general_secondary"  # item 20: higher education after general school
    mba = "mba"  # 30
    emba_dba = "emba_dba"  # 15


class ControlType(enum.StrEnum):
    current = "current"
    boundary = "boundary"
    intermediate = "intermediate"
    final = "final"


class AssignmentKind(enum.StrEnum):
    written = "written"
    test = "test"
    creative = "creative"  # audio, video or photo work


class AssignmentStatus(enum.StrEnum):
    draft = "draft"
    published = "published"
    closed = "closed"


class SubmissionStatus(enum.StrEnum):
    draft = "draft"  # files received, not yet confirmed by the student
    submitted = "submitted"
    returned = "returned"  # sent back for revision
    graded = "graded"


class LessonMode(enum.StrEnum):
    online = "online"
    offline = "offline"


class InboxStatus(enum.StrEnum):
    new = "new"
    processing = "processing"
    done = "done"
    failed = "failed"


class OutboxStatus(enum.StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    read = "read"
    failed = "failed"
    undelivered = "undelivered"
    unreachable = "unreachable"  # no channel could take it (blocked the bot, no account)
    waiting_template = "waiting_template"  # WhatsApp: outside 24 h and no template for its kind


class ApplicationStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    more_documents = "more_documents"
    approved = "approved"
    refused = "refused"


class OrderKind(enum.StrEnum):
    distance_learning = "distance_learning"
    admission = "admission"
    transfer = "transfer"
    readmission = "readmission"
    expulsion = "expulsion"


class ReminderKind(enum.StrEnum):
    deadline = "deadline"
    lesson = "lesson"


class ReminderStatus(enum.StrEnum):
    planned = "planned"
    queued = "queued"  # moved into the outbox
    skipped = "skipped"  # no longer needed (submitted, cancelled, deadline passed)
