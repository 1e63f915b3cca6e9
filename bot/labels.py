"""Translatable names shown in several places: roles, languages, control types."""

from __future__ import annotations

from bot.i18n import N_, Translator
from db.models import ControlType, ProgramLevel, Role

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
