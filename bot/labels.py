"""Translatable names shown in several places: roles, languages, control types, application categories
and statuses, order kinds, and the words of the audit trail."""

from __future__ import annotations

from bot.i18n import N_, Translator
from db.models import ApplicationStatus, ControlType, OrderKind, ProgramLevel, Role

ROLE_NAMES = {
    Role.student: N_("student"),
    Role.parent: N_("parent"),
    Role.teacher: N_("teacher"),
    Role.tutor: N_("tutor"),
    Role.head: N_("head of the organization"),
    Role.deputy: N_("deputy head"),
    Role.methodist: N_("methodist"),
    Role.admin: N_("administrator"),
}
# Where Russian says a role otherwise of a woman (the gender from the patronymic): «обучающаяся».
ROLE_NAMES_FEMALE = {
    Role.student: N_("student (a woman)"),
}

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский"}  # each in its own language, never translated

CONTROL_TYPE_NAMES = {
    ControlType.current: N_("current control"),
    ControlType.boundary: N_("boundary control"),
    ControlType.intermediate: N_("intermediate attestation"),
    ControlType.final: N_("final attestation"),
}


def days_phrase(t: Translator, n: int) -> str:
    return t.ngettext("{n} day", "{n} days", n).format(n=n)


def hours_phrase(t: Translator, n: int) -> str:
    return t.ngettext("{n} hour", "{n} hours", n).format(n=n)


def files_phrase(t: Translator, n: int) -> str:
    return t.ngettext("{n} file", "{n} files", n).format(n=n)


def imported_phrase(t: Translator, created: int, existing: int, *, lessons: bool = False) -> str:
    """What an import did: new entries and updated ones; for the timetable, new lessons and those that
    were already in it (each part plural-aware)."""
    if lessons:
        new = t.ngettext("{n} new lesson", "{n} new lessons", created)
        other = t.ngettext(
            "{n} lesson was already in the timetable", "{n} lessons were already in the timetable", existing
        )
    else:
        new = t.ngettext("{n} new entry", "{n} new entries", created)
        other = t.ngettext("{n} entry updated", "{n} entries updated", existing)
    return t.gettext("Imported: {new}, {other}.").format(
        new=new.format(n=created), other=other.format(n=existing)
    )


PROGRAM_LEVEL_NAMES = {
    ProgramLevel.secondary: N_("secondary education"),
    ProgramLevel.tvet: N_("technical and vocational education"),
    ProgramLevel.post_secondary: N_("post-secondary education"),
    ProgramLevel.bachelor: N_("bachelor's degree"),
    ProgramLevel.master: N_("master's degree"),
    ProgramLevel.mba: N_("MBA"),
    ProgramLevel.emba: N_("EMBA"),
    ProgramLevel.dba: N_("DBA"),
}

# The fields of 002 item 19, whose distance learning is capped at 30 credits.
FIELD_NAMES = {
    "choreography": N_("choreography"),
    "instrumental_performance": N_("instrumental performance"),
    "aviation": N_("aviation"),
    "construction": N_("construction"),
    "marine": N_("marine"),
    "health_care": N_("health care"),
    "military": N_("military"),
    "veterinary": N_("veterinary"),
}

BASIS_NAMES = {
    "general_secondary": N_("on the basis of general secondary education"),
    "tvet": N_("on the basis of technical and vocational education"),
    "higher": N_("on the basis of higher education"),
}


# 002 item 6, then the organization's own grounds (003 item 1.5): the categories of an application to
# study by distance, also the grounds of the order that approves it.
CATEGORIES: dict[str, str] = {
    "programs": N_(
        "a learner of an educational program of additional, secondary, technical and vocational, "
        "post-secondary or higher education, or of an MBA (EMBA) or DBA program (Rules No. 137, item 6.1)"
    ),
    "special_needs": N_(
        "a person with special educational needs, including children with disabilities, persons disabled "
        "since childhood and persons with disabilities of groups I and II, at every level of education "
        "(Rules No. 137, item 6.2)"
    ),
    "exchange": N_(
        "a learner of a higher or postgraduate program who has gone abroad on an exchange program, except "
        "Bolashak scholars (Rules No. 137, item 6.3)"
    ),
    "business_trip": N_(
        "a learner of a higher education program on a long business trip abroad, more than 2 months "
        "(Rules No. 137, item 6.4)"
    ),
    "academic_mobility": N_(
        "a learner of a higher or postgraduate program in an academic mobility program "
        "(Rules No. 137, item 6.5)"
    ),
    "penitentiary": N_(
        "a convict held in a penitentiary institution or sentenced without imprisonment, where the "
        "institution has the technical means (Rules No. 137, item 6.6)"
    ),
    "temporary_health": N_(
        "a temporary health limitation that keeps the learner from attending the organization regularly "
        "(the organization's regulation, item 1.5)"
    ),
    "military_service": N_(
        "a learner of a higher education program called up for fixed-term military service "
        "(the organization's regulation, item 1.5)"
    ),
    "other": N_("another reason, which the head weighs"),
}

# The same categories as a button shows them: short, whole words and the item (the message gives the
# full wording).
CATEGORY_LABELS: dict[str, str] = {
    "programs": N_("Educational program · 6.1"),
    "special_needs": N_("Special needs, disability · 6.2"),
    "exchange": N_("Exchange program abroad · 6.3"),
    "business_trip": N_("Business trip abroad · 6.4"),
    "academic_mobility": N_("Academic mobility · 6.5"),
    "penitentiary": N_("Serving a sentence · 6.6"),
    "temporary_health": N_("Temporary health limitation"),
    "military_service": N_("Military service"),
    "other": N_("Another reason"),
}

_HIGHER = frozenset(
    {ProgramLevel.bachelor, ProgramLevel.master, ProgramLevel.mba, ProgramLevel.emba, ProgramLevel.dba}
)
# The program levels a category is for (002 item 6, 003 item 1.5); None: every level.
CATEGORY_LEVELS: dict[str, frozenset[ProgramLevel] | None] = {
    "programs": None,
    "special_needs": None,
    "exchange": _HIGHER,  # 6.3: higher and postgraduate
    "business_trip": frozenset({ProgramLevel.bachelor}),  # 6.4: higher education
    "academic_mobility": _HIGHER,  # 6.5: higher and postgraduate
    "penitentiary": None,
    "temporary_health": None,
    "military_service": frozenset({ProgramLevel.bachelor}),  # 003 1.5: at the level of higher education
    "other": None,
}

APPLICATION_STATUS_NAMES = {
    ApplicationStatus.draft: N_("draft"),
    ApplicationStatus.submitted: N_("under review"),
    ApplicationStatus.more_documents: N_("more documents requested"),
    ApplicationStatus.approved: N_("approved"),
    ApplicationStatus.refused: N_("refused"),
}

ORDER_KIND_NAMES = {
    OrderKind.distance_learning: N_("study by distance-learning technologies"),
    OrderKind.admission: N_("admission"),
    OrderKind.transfer: N_("transfer"),
    OrderKind.readmission: N_("readmission"),
    OrderKind.expulsion: N_("expulsion"),
}

# The kinds of messages in the outbox (notify(kind=...), the reminders, the invites), as the reports
# name them: a kind not here is shown as it is stored.
MESSAGE_KIND_NAMES = {
    "reminder": N_("reminders"),
    "reminder_deadline": N_("deadline reminders"),
    "reminder_lesson": N_("lesson reminders"),
    "invite": N_("invites"),
    "assignment": N_("new assignments"),
    "deadline_changed": N_("changed deadlines"),
    "grade": N_("grades"),
    "returned": N_("work returned for revision"),
    "announcement": N_("announcements"),
    "parent_assignment": N_("new assignments, to parents"),
    "parent_grade": N_("grades, to parents"),
    "parent_missed": N_("missed deadlines, to parents"),
    "parent_digest": N_("weekly digests, to parents"),
    "question": N_("questions to teachers"),
    "answer": N_("teachers' answers"),
    "order": N_("orders"),
    "application": N_("applications"),
    "course": N_("course changes"),
    "absence": N_("absences"),
    "extension": N_("deadline extensions"),
    "lesson": N_("lessons"),
    "plan": N_("individual study plans"),
    "reply": N_("replies"),
    "report": N_("reports"),
    "test_ended": N_("finished tests"),
    "timetable": N_("timetable changes"),
}


def message_kind(t: Translator, kind: str) -> str:
    label = MESSAGE_KIND_NAMES.get(kind)
    return t.gettext(label) if label else kind


# The basis of an individual study plan (bot/services/study_plans.Basis values).
STUDY_BASIS_NAMES = {
    "regular": N_("the educational program"),
    "academic_mobility": N_("academic mobility"),
    "double_degree": N_("a double-degree program"),
    "exchange": N_("an exchange program"),
}

# The audit trail (bot/services/audit.record): what changed, what was done, which field.
AUDIT_ENTITY_NAMES = {
    "grade": N_("grade"),
    "order": N_("order"),
    "enrolment": N_("enrolment"),
    "role": N_("role"),
    "application": N_("application"),
    "study_plan": N_("individual study plan"),
    "certificate": N_("certificate"),
    "course": N_("course"),
}
AUDIT_ACTION_NAMES = {
    "create": N_("created"),
    "update": N_("changed"),
    "delete": N_("deleted"),
    "release": N_("released"),
    "submit": N_("submitted"),
    "add_documents": N_("documents added"),
    "ask_documents": N_("more documents requested"),
    "refuse": N_("refused"),
    "approve": N_("approved"),
    "sign": N_("signed"),
    "issue": N_("issued"),
    # enrolment changes made by an order carry the order's kind
    **{kind.value: name for kind, name in ORDER_KIND_NAMES.items()},
}
AUDIT_FIELD_NAMES = {
    "status": N_("status"),
    "order": N_("order"),
    "number": N_("number"),
    "kind": N_("kind"),
    "student_id": N_("student"),
    "person_id": N_("person"),
    "person": N_("person"),
    "issued_on": N_("date"),
    "grounds": N_("grounds"),
    "grounds_key": N_("grounds"),
    "group_id": N_("group"),
    "group": N_("group"),
    "enrolled": N_("enrolled"),
    "role": N_("role"),
    "assignment_id": N_("assignment"),
    "score": N_("score"),
    "released": N_("released to the student"),
    "reason": N_("reason"),
    "note": N_("comment"),
    "comment": N_("comment"),
    "documents": N_("documents"),
    "category": N_("category"),
    "basis": N_("basis"),
    "credits": N_("credits"),
    "code": N_("code"),
    "course": N_("course"),
    "teacher": N_("teacher"),
}
# Fields whose values are keys of a label table.
AUDIT_VALUE_NAMES: dict[str, dict] = {
    "status": APPLICATION_STATUS_NAMES,
    "kind": ORDER_KIND_NAMES,
    "role": ROLE_NAMES,
    "category": CATEGORIES,
    "grounds_key": CATEGORIES,
    "basis": STUDY_BASIS_NAMES,
}
