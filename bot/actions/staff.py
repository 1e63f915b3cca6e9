"""The staff's buttons: applications, orders, set-up, calendar, timetable, imports, reports."""

from __future__ import annotations

from bot.core.actions import Action


# -- applications and orders
class ApplicationQueue(Action, prefix="sapq"):
    pass


class OpenApplication(Action, prefix="sap"):
    application_id: int


class StudyPlan(Action, prefix="splan"):
    application_id: int


class AskDocuments(Action, prefix="sask"):
    application_id: int


class RefuseApplication(Action, prefix="sref"):
    application_id: int


class ApproveApplication(Action, prefix="sok"):
    application_id: int


class OrderRegister(Action, prefix="sreg"):
    pass


class ExportRegister(Action, prefix="sregx"):
    pass


class NewOrder(Action, prefix="sord"):
    pass


# -- set-up
class SetUp(Action, prefix="sset"):
    pass


class NewProgram(Action, prefix="sprog"):
    pass


class NewGroup(Action, prefix="sgrp"):
    pass


class NewCourse(Action, prefix="scrs"):
    pass


class ChangeCourse(Action, prefix="sced"):
    pass


class AddLesson(Action, prefix="slsn"):
    pass


class ChangeTimetable(Action, prefix="schg"):
    pass


class SendInvites(Action, prefix="sinv"):
    pass


# -- calendar
class Calendar(Action, prefix="cal"):
    pass


class NewTerm(Action, prefix="sterm"):
    pass


class NewEvent(Action, prefix="sevt"):
    pass


# -- imports, reports, audit, certificates
class Import(Action, prefix="simp"):
    pass


class ImportKind(Action, prefix="simpk"):
    kind: str  # a key of the import kinds (handlers/staff/menu.py)


class Reports(Action, prefix="srep"):
    pass


class WeeklyReport(Action, prefix="srepw"):
    pass


class PublishReport(Action, prefix="srepp"):
    """Send the report to the teachers and the head (002 item 26-1, duty 10)."""


class Audit(Action, prefix="saud"):
    pass


class GiveRole(Action, prefix="srole"):
    """Give an existing person another role (a teacher who is also a parent)."""


class Certificates(Action, prefix="scert"):
    pass
