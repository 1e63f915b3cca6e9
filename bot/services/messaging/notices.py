"""The notices that follow a teacher's action: to the students of the group and to their parents.

Teachers' handlers call these; each person gets the notice in their own language and
zone, through the outbox. A person who switched a kind of notice off does not get it.

Buttons used here (bot/actions, handled by the student and parent modules): Submit opens the
assignment to submit work; Acknowledge tells the teacher an announcement was read.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions.common import Acknowledge
from bot.actions.student import Submit
from bot.core.messages import OutFile, Reply
from bot.i18n import Translator
from bot.labels import CONTROL_TYPE_NAMES
from bot.services.messaging import class_chats
from bot.services.messaging.notify import ReplyBuilder, notify
from db.models import (
    Announcement,
    Assignment,
    AssignmentFile,
    Course,
    Grade,
    NotificationPreference,
    ParentLink,
    Person,
    PersonRole,
    Role,
    Submission,
)

# Kinds of notice a person can switch off (NotificationPreference.kind).
NEW_ASSIGNMENT = "assignment"
DEADLINE_CHANGED = "deadline_changed"
GRADE = "grade"
RETURNED = "returned"
ANNOUNCEMENT = "announcement"
PARENT_ASSIGNMENT = "parent_assignment"
PARENT_GRADE = "parent_grade"
PARENT_ABSENCE = "absence"
PARENT_TIMETABLE = "parent_timetable"


async def switched_off(session: AsyncSession, person_ids: Iterable[int], kind: str) -> set[int]:
    ids = list(person_ids)
    if not ids:
        return set()
    rows = await session.scalars(
        select(NotificationPreference.person_id).where(
            NotificationPreference.person_id.in_(ids),
            NotificationPreference.kind == kind,
            NotificationPreference.enabled.is_(False),
        )
    )
    return set(rows.all())


async def group_students(session: AsyncSession, group_id: int) -> list[int]:
    rows = await session.scalars(
        select(PersonRole.person_id).where(PersonRole.group_id == group_id, PersonRole.role == Role.student)
    )
    return sorted(set(rows.all()))


async def parents_of(session: AsyncSession, child_ids: Iterable[int]) -> dict[int, list[int]]:
    """child id -> the ids of their linked parents."""
    ids = list(child_ids)
    out: dict[int, list[int]] = defaultdict(list)
    if ids:
        for parent_id, child_id in (
            await session.execute(
                select(ParentLink.parent_id, ParentLink.child_id).where(ParentLink.child_id.in_(ids))
            )
        ).all():
            out[child_id].append(parent_id)
    return out


async def _wanted(session: AsyncSession, ids: Iterable[int], kind: str) -> list[int]:
    ids = list(ids)
    off = await switched_off(session, ids, kind)
    return [i for i in ids if i not in off]


async def _names(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    return dict(
        (await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(list(ids)))))
        .tuples()
        .all()
    )


def assignment_text(t: Translator, assignment: Assignment, course: Course, new: bool = True) -> str:
    """The assignment as the group receives it (`new`), or as its page shows it afterwards."""
    heading = t.gettext("New assignment: {title}") if new else t.gettext("Assignment: {title}")
    lines = [
        heading.format(title=assignment.title),
        t.gettext("Discipline: {course}").format(course=course.discipline),
        t.gettext("Deadline: {deadline}").format(deadline=t.datetime(assignment.deadline)),
        t.gettext("Maximum score: {score}").format(score=assignment.max_score),
        t.gettext("Control: {control}").format(
            control=t.gettext(CONTROL_TYPE_NAMES[assignment.control_type])
        ),
    ]
    if assignment.text:
        lines += ["", assignment.text]
    return "\n".join(lines)


async def assignment_published(session: AsyncSession, assignment_id: int) -> int:
    """Every student of the group gets the assignment with its files; their parents a notice."""
    assignment = await session.get(Assignment, assignment_id)
    assert assignment is not None
    course = await session.get(Course, assignment.course_id)
    assert course is not None
    files = (
        await session.scalars(
            select(AssignmentFile.file_name_id).where(AssignmentFile.assignment_id == assignment_id)
        )
    ).all()
    students = await _wanted(session, await group_students(session, course.group_id), NEW_ASSIGNMENT)

    def for_student(t: Translator) -> Reply:
        return Reply(
            text=assignment_text(t, assignment, course),
            files=[OutFile(f) for f in files],
            buttons=[[Submit(assignment.id).button(t.gettext("Submit work"))]],
        )

    count = await notify(
        session, students, for_student, kind=NEW_ASSIGNMENT, dedupe_prefix=f"pub:{assignment_id}"
    )
    count += await to_parents(
        session,
        await group_students(session, course.group_id),
        PARENT_ASSIGNMENT,
        lambda t, child: Reply(
            t.gettext("New assignment for {child}: «{title}» ({course}), deadline {deadline}.").format(
                child=child,
                title=assignment.title,
                course=course.discipline,
                deadline=t.datetime(assignment.deadline),
            )
        ),
        dedupe=f"pubp:{assignment_id}",
    )
    # The class's group chat sees the assignment too (its text, no files, no names).
    await class_chats.post(
        session,
        course.group_id,
        lambda t: Reply(assignment_text(t, assignment, course)),
        f"pub:{assignment_id}",
    )
    return count


async def deadline_changed(session: AsyncSession, assignment_id: int, old_deadline: dt.datetime) -> int:
    assignment = await session.get(Assignment, assignment_id)
    assert assignment is not None
    course = await session.get(Course, assignment.course_id)
    assert course is not None
    students = await _wanted(session, await group_students(session, course.group_id), DEADLINE_CHANGED)

    def build(t: Translator) -> Reply:
        return Reply(
            t.gettext("The deadline of «{title}» ({course}) has changed: {old} → {new}.").format(
                title=assignment.title,
                course=course.discipline,
                old=t.datetime(old_deadline),
                new=t.datetime(assignment.deadline),
            ),
            buttons=[[Submit(assignment.id).button(t.gettext("Submit work"))]],
        )

    told = await notify(session, students, build, kind=DEADLINE_CHANGED)
    await class_chats.post(
        session, course.group_id, build, f"dl:{assignment_id}:{assignment.deadline:%Y%m%d%H%M}"
    )
    title, discipline, new_deadline = assignment.title, course.discipline, assignment.deadline

    def for_parent(t: Translator, child: str) -> Reply:
        return Reply(
            t.gettext("{child}: the deadline of «{title}» ({course}) has changed: {old} → {new}.").format(
                child=child,
                title=title,
                course=discipline,
                old=t.datetime(old_deadline),
                new=t.datetime(new_deadline),
            )
        )

    # The parents were told the first deadline with the assignment: they learn the new one too.
    stamp = int(new_deadline.timestamp())
    return told + await to_parents(
        session,
        await group_students(session, course.group_id),
        PARENT_ASSIGNMENT,
        for_parent,
        dedupe=f"deadline:{assignment.id}:{stamp}",
    )


async def grade_released(session: AsyncSession, grade_id: int, tell_student: bool = True) -> int:
    """The student and their parents learn the grade (and the teacher's comment). `tell_student` False:
    the student is told otherwise (a test's own result message), only the parents get this one."""
    grade = await session.get(Grade, grade_id)
    assert grade is not None
    assignment = await session.get(Assignment, grade.assignment_id)
    assert assignment is not None
    course = await session.get(Course, assignment.course_id)
    assert course is not None

    def for_student(t: Translator) -> Reply:
        text = t.gettext("Your work «{title}» ({course}) is graded: {score} of {max}.").format(
            title=assignment.title,
            course=course.discipline,
            score=t.number(grade.score),
            max=assignment.max_score,
        )
        if grade.comment:
            text += "\n" + t.gettext("Teacher's comment: {comment}").format(comment=grade.comment)
        return Reply(text)

    stamp = int(grade.graded_at.timestamp())
    count = await notify(
        session,
        await _wanted(session, [grade.student_id], GRADE) if tell_student else [],
        for_student,
        kind=GRADE,
        dedupe_prefix=f"grade:{grade_id}:{stamp}",
    )
    count += await to_parents(
        session,
        [grade.student_id],
        PARENT_GRADE,
        lambda t, child: Reply(
            t.gettext("{child} got {score} of {max} for «{title}» ({course}).").format(
                child=child,
                score=t.number(grade.score),
                max=assignment.max_score,
                title=assignment.title,
                course=course.discipline,
            )
        ),
        dedupe=f"gradep:{grade_id}:{stamp}",
    )
    return count


async def submission_returned(session: AsyncSession, submission_id: int, comment: str) -> int:
    submission = await session.get(Submission, submission_id)
    assert submission is not None
    assignment = await session.get(Assignment, submission.assignment_id)
    assert assignment is not None

    def build(t: Translator) -> Reply:
        return Reply(
            t.gettext("Your work «{title}» was returned for revision. Teacher's comment: {comment}").format(
                title=assignment.title, comment=comment
            ),
            buttons=[[Submit(assignment.id).button(t.gettext("Submit work"))]],
        )

    return await notify(
        session, await _wanted(session, [submission.student_id], RETURNED), build, kind=RETURNED
    )


async def announcement_posted(session: AsyncSession, announcement_id: int) -> int:
    """Students and/or parents of the group (or of the whole organization) get the announcement."""
    ann = await session.get(Announcement, announcement_id)
    assert ann is not None
    query = select(PersonRole.person_id).where(PersonRole.role == Role.student)
    if ann.group_id is not None:
        query = query.where(PersonRole.group_id == ann.group_id)
    else:
        query = query.join(Person, Person.id == PersonRole.person_id).where(
            Person.organization_id == ann.organization_id
        )
    students = sorted(set((await session.scalars(query)).all()))
    author = (await _names(session, [ann.author_id])).get(ann.author_id or -1, "") if ann.author_id else ""

    def build(t: Translator, ack: bool) -> Reply:
        text = (
            t.gettext("Announcement from {author}:").format(author=author) + "\n\n" + ann.text
            if author
            else ann.text
        )
        buttons = [[Acknowledge(ann.id).button(t.gettext("Acknowledged"))]] if ack else []
        return Reply(text, buttons=buttons)

    count = 0
    if ann.audience in ("students", "both"):
        count += await notify(
            session,
            await _wanted(session, students, ANNOUNCEMENT),
            lambda t: build(t, False),
            kind=ANNOUNCEMENT,
            dedupe_prefix=f"ann:{ann.id}",
        )
        if ann.group_id is not None:  # the class's group chat reads what the students are told
            await class_chats.post(session, ann.group_id, lambda t: build(t, False), f"ann:{ann.id}")
    if ann.audience in ("parents", "both"):
        parents = sorted({p for ps in (await parents_of(session, students)).values() for p in ps})
        count += await notify(
            session,
            await _wanted(session, parents, ANNOUNCEMENT),
            lambda t: build(t, ann.needs_ack),
            kind=ANNOUNCEMENT,
            dedupe_prefix=f"ann:{ann.id}",
        )
    return count


# A notice to a parent, given the translator and the child's name.
ParentReplyBuilder = Callable[[Translator, str], Reply | None]


def for_child(build: ParentReplyBuilder, child: str) -> ReplyBuilder:
    """`build` with the child's name bound now (not when a loop has moved on to the next child)."""
    return lambda t: build(t, child)


async def to_parents(
    session: AsyncSession, child_ids: list[int], kind: str, build: ParentReplyBuilder, dedupe: str
) -> int:
    """Each parent gets one notice per event naming the child; a parent of two children of the group
    gets one notice naming both («Анна Петрова, Иван Петров»), not two."""
    links = await parents_of(session, child_ids)
    names = await _names(session, links)
    children_of: dict[int, list[int]] = defaultdict(list)
    for child_id, parent_ids in links.items():
        for parent_id in parent_ids:
            children_of[parent_id].append(child_id)
    by_children: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for parent_id, own in children_of.items():
        by_children[tuple(sorted(own))].append(parent_id)
    count = 0
    for kids, same in by_children.items():
        wanted = await _wanted(session, sorted(same), kind)
        child = ", ".join(sorted(names[k] for k in kids))
        count += await notify(
            session,
            wanted,
            for_child(build, child),
            kind=kind,
            dedupe_prefix=f"{dedupe}:{'-'.join(map(str, kids))}",
        )
    return count
