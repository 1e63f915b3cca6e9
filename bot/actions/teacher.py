"""A teacher's buttons: assignments, review, gradebook, tests, plans, attendance, announcements."""

from __future__ import annotations

import enum

from bot.core.actions import Action


class ExportFormat(enum.StrEnum):
    xlsx = "xlsx"
    csv = "csv"


# -- assignments
class NewAssignment(Action, prefix="tpost"):
    pass


class MyAssignments(Action, prefix="tasg"):
    assignment_id: int | None = None  # none: the list


class ChangeDeadline(Action, prefix="tdl"):
    assignment_id: int


class Extension(Action, prefix="text"):
    assignment_id: int


class CloseAssignment(Action, prefix="tclose"):
    assignment_id: int


# -- review
class GradeQueue(Action, prefix="trq"):
    assignment_id: int | None = None  # none: every assignment's submissions


class OpenSubmission(Action, prefix="tsub"):
    submission_id: int


class GradeSubmission(Action, prefix="tgr"):
    submission_id: int


class ReturnSubmission(Action, prefix="tret"):
    submission_id: int


class ReleaseGrades(Action, prefix="trel"):
    assignment_id: int


class FilesZip(Action, prefix="tzip"):
    assignment_id: int


# -- gradebook, tests, reports
class Gradebook(Action, prefix="tbook"):
    course_id: int | None = None  # none: the courses to choose from


class GradebookExport(Action, prefix="tbx"):
    course_id: int
    format: ExportFormat


class NewTest(Action, prefix="tquiz"):
    pass


class IdentityChecks(Action, prefix="tid"):
    attempt_id: int | None = None  # set: the identity of this attempt is confirmed
    submission_id: int | None = None  # set: the identity of this written attestation is confirmed


class RejectIdentity(Action, prefix="tidno"):
    """The teacher rejects an identity photo: the reason is asked next (002 item 16)."""

    attempt_id: int | None = None
    submission_id: int | None = None


class MyReport(Action, prefix="trep"):
    pass


# -- plans and lessons
class ThematicPlan(Action, prefix="tplan"):
    pass


class ScheduleLesson(Action, prefix="tlesson"):
    pass


class ChangeMyLesson(Action, prefix="tlchg"):
    """Offered to a teacher beside «Schedule a lesson»."""


class Attendance(Action, prefix="tatt"):
    """No lesson: the lessons to choose from; a lesson: its roll; and a student: toggle them."""

    lesson_id: int | None = None
    student_id: int | None = None


class SaveAttendance(Action, prefix="tattok"):
    lesson_id: int


# -- talking to students
class Announce(Action, prefix="tann"):
    pass


class Acknowledgements(Action, prefix="tacks"):
    announcement_id: int | None = None  # none: my announcements


class StudentQuestions(Action, prefix="tqs"):
    """None: the questions waiting; a question: answer it (the «Answer» button of its notice too)."""

    question_id: int | None = None


class AnswerQuestionSent(Action, prefix="qans"):
    """The «Answer» button of question notices sent before it was StudentQuestions: routed the same."""

    question_id: int


# -- graded work, found again to change a grade
class GradedWork(Action, prefix="tgw"):
    """Graded work narrowed by an assignment (its card), or a course and a student (the gradebook)."""

    assignment_id: int | None = None
    course_id: int | None = None
    student_id: int | None = None


class OpenGrade(Action, prefix="tgo"):
    grade_id: int


class ChangeGrade(Action, prefix="tgc"):
    grade_id: int


class RemindMissing(Action, prefix="trm"):
    """Remind those who have not handed the assignment in (parents 1: their parents too)."""

    assignment_id: int
    parents: int | None = None


class CopyAssignment(Action, prefix="tcopy"):
    """Post an earlier assignment to another of the teacher's groups, with its own deadline."""

    assignment_id: int
