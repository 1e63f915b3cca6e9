"""A student's buttons (some are a parent's too: a child's thematic schedule)."""

from __future__ import annotations

import enum

from bot.core.actions import Action


class Span(enum.StrEnum):
    today = "today"
    tomorrow = "tomorrow"
    week = "week"


class Timetable(Action, prefix="tt"):
    span: Span | None = None  # none: today


class Topics(Action, prefix="top"):
    """Thematic schedules: one's own courses, or a parent's child's (child_id); then one course."""

    child_id: int | None = None
    course_id: int | None = None


class Assignments(Action, prefix="asg"):
    assignment_id: int | None = None  # none: the list


class Grades(Action, prefix="grd"):
    course_id: int | None = None  # none: every course


class ParentCode(Action, prefix="pcode"):
    pass


class Tests(Action, prefix="quizzes"):
    pass


class StartTest(Action, prefix="quiz"):
    assignment_id: int


class AnswerOption(Action, prefix="qa"):
    """An option of a test question; it names its attempt and question, so an old message's button
    cannot answer the question that came after it."""

    attempt_id: int
    question_id: int
    option: int  # counted from 1


class Submit(Action, prefix="sub"):
    assignment_id: int | None = None  # none: the open assignments to choose from


class AskTeacher(Action, prefix="ask"):
    course_id: int | None = None  # none: the courses to choose from


class Apply(Action, prefix="app_new"):
    pass


class AddDocuments(Action, prefix="app_more"):
    application_id: int | None = None


class MyApplications(Action, prefix="app_my"):
    pass


class MyWork(Action, prefix="mywork"):
    """The student's own handed-in versions of an assignment, with their files."""

    assignment_id: int
