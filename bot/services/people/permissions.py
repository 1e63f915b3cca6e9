"""What each staff role may do, by the rules of 002 item 26-1, as named checks.

The router refuses a person whose role is not on a route; these sets give the
routes their roles, and the services check the same sets again on objects
(an order signed only by the head, a teacher's report only on their courses).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from db.models import Role


class Action(enum.StrEnum):
    sign_orders = "sign_orders"  # approve an application and issue the order: the head only
    decide_applications = "decide_applications"  # refuse an application: the head and the deputy decide
    ask_documents = "ask_documents"  # ask an applicant for more documents: methodists too (26-1)
    review_applications = "review_applications"  # see the queue
    import_roster = "import_roster"
    setup = "setup"  # programs, groups, courses, academic periods (terms)
    edit_timetable = "edit_timetable"  # methodists compose the timetable (26-1, duty 8)
    edit_calendar = "edit_calendar"  # holidays, sessions, attestation weeks: the academic side
    send_invites = "send_invites"  # to the roster's phone numbers, by those who import it
    study_plans = "study_plans"
    read_register = "read_register"
    read_reports = "read_reports"
    publish_reports = "publish_reports"  # send the report to the teachers and the head (26-1, duty 16)
    read_audit = "read_audit"
    issue_certificates = "issue_certificates"
    link_class_chats = "link_class_chats"  # any group's chat; a teacher links the chats of their own groups


H, D, M, A = Role.head, Role.deputy, Role.methodist, Role.admin

ALLOWED: dict[Action, frozenset[Role]] = {
    Action.sign_orders: frozenset({H}),
    Action.decide_applications: frozenset({H, D}),
    Action.ask_documents: frozenset({H, D, M}),
    Action.review_applications: frozenset({H, D, M}),
    Action.import_roster: frozenset({H, D, A}),
    Action.setup: frozenset({D, M, A}),
    Action.edit_timetable: frozenset({D, M}),
    Action.edit_calendar: frozenset({D, M}),
    Action.send_invites: frozenset({H, D, A}),
    Action.study_plans: frozenset({H, D, M}),
    Action.read_register: frozenset({H, D, M, A}),
    Action.read_reports: frozenset({H, D, M}),
    Action.publish_reports: frozenset({D, M}),
    Action.read_audit: frozenset({H, D, M, A}),
    Action.issue_certificates: frozenset({H, D, M}),
    Action.link_class_chats: frozenset({H, D, A}),
}


# The roles each role may give others (the roster import, invites): never a role above one's own, so
# nobody can raise themselves or a friend by importing a row and redeeming its invite. The head's own
# role is given by no one in chat: it comes with the organization.
_BELOW_STAFF = frozenset({Role.teacher, Role.tutor, Role.student, Role.parent})
GRANTS: dict[Role, frozenset[Role]] = {
    H: frozenset({D, M, A}) | _BELOW_STAFF,
    D: frozenset({M, A}) | _BELOW_STAFF,
    M: _BELOW_STAFF,
    A: _BELOW_STAFF,
}


def grantable(roles: Iterable[Role]) -> frozenset[Role]:
    """Every role that a person with these roles may give to someone."""
    out: frozenset[Role] = frozenset()
    for role in roles:
        out |= GRANTS.get(role, frozenset())
    return out


class NotAllowed(Exception):
    """A service refused an action to a person whose roles do not give it."""

    def __init__(self, action: Action) -> None:
        super().__init__(action.value)
        self.action = action


def roles_for(action: Action) -> frozenset[Role]:
    return ALLOWED[action]


def may(roles: Iterable[Role], action: Action) -> bool:
    return bool(ALLOWED[action] & set(roles))


def require(roles: Iterable[Role], action: Action) -> None:
    if not may(roles, action):
        raise NotAllowed(action)
