"""Small frozen values that several services hand to the screens instead of ORM rows.

A handler reads them after the service returns: they hold plain values, so reading one never
touches the database (no lazy load) and changing one changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from db.models import Course, Person


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
