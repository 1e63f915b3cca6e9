"""Individual study plans (жеке оқу жоспары / индивидуальный учебный план) within the credit caps.

The caps of Rules No. 137 (002) count the credits a student studies by distance over
the whole period of study, so a new plan is checked together with the student's
earlier approved plans:

- item 17: higher education on the basis of general secondary school: no distance
  learning, except academic mobility;
- item 19: choreography, instrumental performance, aviation, construction, marine,
  health care, military and veterinary training on the basis of higher education: 30;
- item 20: MBA 30, EMBA and DBA 15;
- item 27: academic mobility in higher and postgraduate education: 60;
- item 28: double-degree and exchange programs: 120 in a bachelor's program, 60 in a master's.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import labels
from bot.i18n import N_
from bot.services.admin import audit
from db.models import (
    Course,
    CreditCapCategory,
    Group,
    PersonRole,
    Program,
    ProgramLevel,
    Role,
    StudyPlan,
    StudyPlanItem,
)


class Basis(enum.StrEnum):
    regular = "regular"
    academic_mobility = "academic_mobility"
    double_degree = "double_degree"
    exchange = "exchange"


BASIS_NAMES = {Basis(key): name for key, name in labels.STUDY_BASIS_NAMES.items()}

# Fields of item 19, as a program's `field` may name them.
RESTRICTED_FIELDS = frozenset(
    {
        "choreography",
        "instrumental_performance",
        "aviation",
        "construction",
        "marine",
        "health_care",
        "military",
        "veterinary",
    }
)
HIGHER = frozenset(
    {ProgramLevel.bachelor, ProgramLevel.master, ProgramLevel.mba, ProgramLevel.emba, ProgramLevel.dba}
)


@dataclass(frozen=True)
class Cap:
    item: str  # the item of Rules No. 137 (002)
    limit: int  # credits over the whole period of study
    rule: str  # an English msgid saying what the item says


CAP_RULES = {
    "17": N_(
        "item 17: higher education on the basis of general secondary school is not studied by distance, "
        "except academic mobility"
    ),
    "8-10": N_(
        "items 8-10: the order approves an individual study plan of the disciplines studied by distance, "
        "and this plan has none"
    ),
    "19": N_(
        "item 19: training in choreography, instrumental performance, aviation, construction, marine "
        "technology, health care, military affairs or veterinary medicine on the basis of higher education: "
        "no more than 30 credits by distance"
    ),
    "20mba": N_("item 20: an MBA program: no more than 30 credits by distance"),
    "20emba": N_("item 20: EMBA and DBA programs: no more than 15 credits by distance"),
    "27": N_("item 27: academic mobility: no more than 60 credits by distance"),
    "28b": N_(
        "item 28: a double-degree or exchange program in higher education: no more than 120 credits by "
        "distance"
    ),
    "28m": N_(
        "item 28: a double-degree or exchange program in a master's program: no more than 60 credits by "
        "distance"
    ),
}


def caps_for(program: Program | None, basis: Basis) -> list[Cap]:
    """Every cap that applies to a program and basis; the strictest is checked first."""
    if program is None:
        program = Program(level=ProgramLevel.tvet, credit_cap_category=CreditCapCategory.none)
    caps: list[Cap] = []
    category = program.credit_cap_category
    level = program.level
    if category is CreditCapCategory.on_general_secondary and basis is not Basis.academic_mobility:
        caps.append(Cap("17", 0, CAP_RULES["17"]))
    restricted = category is CreditCapCategory.restricted_fields or (program.field or "") in RESTRICTED_FIELDS
    if restricted and program.on_higher_education_basis:
        caps.append(Cap("19", 30, CAP_RULES["19"]))
    if category is CreditCapCategory.mba or level is ProgramLevel.mba:
        caps.append(Cap("20", 30, CAP_RULES["20mba"]))
    if category is CreditCapCategory.emba_dba or level in (ProgramLevel.emba, ProgramLevel.dba):
        caps.append(Cap("20", 15, CAP_RULES["20emba"]))
    if basis is Basis.academic_mobility:
        caps.append(Cap("27", 60, CAP_RULES["27"]))
    if basis in (Basis.double_degree, Basis.exchange):
        master = level is ProgramLevel.master
        caps.append(Cap("28", 60, CAP_RULES["28m"]) if master else Cap("28", 120, CAP_RULES["28b"]))
    return sorted(caps, key=lambda c: c.limit)


@dataclass(frozen=True)
class PlanLine:
    discipline: str
    credits: int
    course_id: int | None = None
    by_distance: bool = True


@dataclass(frozen=True)
class CapVerdict:
    total: int  # distance credits over the whole period, this plan included
    earlier: int  # of which in earlier approved plans
    broken: Cap | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


class CapExceeded(Exception):
    def __init__(self, verdict: CapVerdict) -> None:
        super().__init__(f"item {verdict.broken.item if verdict.broken else '?'}")
        self.verdict = verdict


async def program_of(session: AsyncSession, student_id: int) -> Program | None:
    return await session.scalar(
        select(Program)
        .join(Group, Group.program_id == Program.id)
        .join(PersonRole, PersonRole.group_id == Group.id)
        .where(PersonRole.person_id == student_id, PersonRole.role == Role.student)
        .limit(1)
    )


async def earlier_credits(session: AsyncSession, student_id: int, exclude_plan_id: int | None = None) -> int:
    query = (
        select(func.coalesce(func.sum(StudyPlanItem.credits), 0))
        .join(StudyPlan, StudyPlan.id == StudyPlanItem.plan_id)
        .where(
            StudyPlan.student_id == student_id,
            StudyPlan.approved.is_(True),
            StudyPlanItem.by_distance.is_(True),
        )
    )
    if exclude_plan_id is not None:
        query = query.where(StudyPlan.id != exclude_plan_id)
    return int(await session.scalar(query) or 0)


async def check(
    session: AsyncSession,
    student_id: int,
    basis: Basis,
    lines: Sequence[PlanLine],
    *,
    exclude_plan_id: int | None = None,
    category: str | None = None,
) -> CapVerdict:
    """The plan against item 17 and the caps. Item 17 is eligibility, not a count: it is checked on
    the student's program whatever the plan holds (an empty plan is refused too), and its exception,
    academic mobility, holds only when the application itself is for academic mobility (`category`,
    the application's; None when there is none)."""
    program = await program_of(session, student_id)
    earlier = await earlier_credits(session, student_id, exclude_plan_id)
    total = earlier + sum(ln.credits for ln in lines if ln.by_distance)
    mobility = basis is Basis.academic_mobility and category in (None, "academic_mobility")
    ineligible = ineligible_by_item_17(program, mobility)
    if ineligible is not None:
        return CapVerdict(total, earlier, ineligible)
    if not any(ln.by_distance and ln.credits > 0 for ln in lines):
        return CapVerdict(total, earlier, Cap("8-10", 0, CAP_RULES["8-10"]))
    for cap in caps_for(program, basis):
        if total > cap.limit:
            return CapVerdict(total, earlier, cap)
    return CapVerdict(total, earlier)


def ineligible_by_item_17(program: Program | None, academic_mobility: bool) -> Cap | None:
    """Item 17: higher education on the basis of general secondary school is not studied by distance,
    except academic mobility. The program says the basis (credit_cap_category); None: eligible."""
    if program is None or academic_mobility:
        return None
    if program.credit_cap_category is CreditCapCategory.on_general_secondary:
        return Cap("17", 0, CAP_RULES["17"])
    return None


async def save_plan(
    session: AsyncSession,
    student_id: int,
    basis: Basis,
    lines: Sequence[PlanLine],
    *,
    actor_id: int | None,
    application_id: int | None = None,
    category: str | None = None,
) -> StudyPlan:
    """Checks the caps and keeps the plan (not yet approved: the order approves it).

    A student's earlier draft for the same application is replaced. Raises CapExceeded.
    """
    old = None
    if application_id is not None:
        old = await session.scalar(
            select(StudyPlan).where(StudyPlan.application_id == application_id, StudyPlan.approved.is_(False))
        )
    verdict = await check(session, student_id, basis, lines, category=category)
    if not verdict.ok:
        raise CapExceeded(verdict)
    if old is not None:
        await session.delete(old)
        await session.flush()
    program = await program_of(session, student_id)
    plan = StudyPlan(
        student_id=student_id,
        program_id=program.id if program else None,
        application_id=application_id,
        basis=basis.value,
        approved=False,
    )
    plan.items = [
        StudyPlanItem(
            course_id=ln.course_id, discipline=ln.discipline, credits=ln.credits, by_distance=ln.by_distance
        )
        for ln in lines
    ]
    session.add(plan)
    await session.flush()
    await audit.record(
        session,
        actor_id,
        "study_plan",
        plan.id,
        "create",
        None,
        {
            "student_id": student_id,
            "basis": basis,
            "credits": sum(ln.credits for ln in lines),
            "items": [[ln.discipline, ln.credits] for ln in lines],
        },
    )
    return plan


async def group_courses(session: AsyncSession, student_id: int) -> list[PlanLine]:
    """The student's group's courses as plan lines: the default plan."""
    rows = await session.scalars(
        select(Course)
        .join(PersonRole, PersonRole.group_id == Course.group_id)
        .where(PersonRole.person_id == student_id, PersonRole.role == Role.student)
        .order_by(Course.discipline)
    )
    return [PlanLine(c.discipline, c.credits, c.id) for c in rows]


def _name_key(name: str) -> str:
    return " ".join(name.replace("ё", "е").replace("Ё", "Е").casefold().split())


async def match_courses(
    session: AsyncSession, student_id: int, lines: Sequence[PlanLine]
) -> tuple[list[PlanLine], list[str]]:
    """Typed plan lines matched to the group's courses by name (case and spacing aside), so the
    order's individual schedule (appendix 3, 002 items 8-10) is built from their topics; the names
    that match no course of the group come back to be refused, never guessed."""
    courses = {_name_key(c.discipline): c for c in await group_courses(session, student_id)}
    matched, unknown = [], []
    for ln in lines:
        course = courses.get(_name_key(ln.discipline))
        if course is None:
            unknown.append(ln.discipline)
        else:
            matched.append(PlanLine(course.discipline, ln.credits, course.course_id, ln.by_distance))
    return matched, unknown


LINE = re.compile(r"^\s*(?P<name>.+?)\s*[;:—–|,-]\s*(?P<credits>\d{1,3})\s*$")


def parse_lines(text: str) -> tuple[list[PlanLine], list[str]]:
    """Lines of «discipline; credits»; returns the lines and those that could not be read."""
    lines, bad = [], []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        m = LINE.match(raw)
        if m is None or int(m["credits"]) == 0:
            bad.append(raw.strip())
        else:
            lines.append(PlanLine(m["name"], int(m["credits"])))
    return lines, bad


async def plan_for_application(session: AsyncSession, application_id: int) -> StudyPlan | None:
    from sqlalchemy.orm import selectinload

    return await session.scalar(
        select(StudyPlan)
        .options(selectinload(StudyPlan.items))
        .where(StudyPlan.application_id == application_id)
        .order_by(StudyPlan.id.desc())
        .limit(1)
    )


def lines_of(plan: StudyPlan) -> list[PlanLine]:
    return [PlanLine(i.discipline, i.credits, i.course_id, i.by_distance) for i in plan.items]


def total_credits(lines: Iterable[PlanLine]) -> int:
    return sum(ln.credits for ln in lines)
