"""Small frozen values that several services hand to the screens instead of ORM rows.

A handler reads them after the service returns: they hold plain values, so reading one never
touches the database (no lazy load) and changing one changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from db.models import Course, Group, Person


@dataclass(frozen=True, slots=True)
class PersonRef:
    id: int
    full_name: str

    @classmethod
    def of(cls, person: Person) -> PersonRef:
        return cls(person.id, person.full_name)


@dataclass(frozen=True, slots=True)
class CourseBrief:
    """A course named by its discipline (the group, the teacher and the rest are not needed)."""

    id: int
    discipline: str

    @classmethod
    def of(cls, course: Course) -> CourseBrief:
        return cls(course.id, course.discipline)


@dataclass(frozen=True, slots=True)
class CourseFacts:
    """A course with its group, credits and teacher, as it is after a change."""

    id: int
    discipline: str
    group: str
    credits: int
    teacher_id: int | None

    @classmethod
    def of(cls, course: Course, group: Group) -> CourseFacts:
        return cls(course.id, course.discipline, group.name, course.credits, course.teacher_id)


@dataclass(frozen=True, slots=True)
class GroupRef:
    id: int
    name: str

    @classmethod
    def of(cls, group: Group) -> GroupRef:
        return cls(group.id, group.name)
