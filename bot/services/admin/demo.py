"""The demo school: a small, realistic college to try every role without any token.

Created by `ustaz demo`, and by `ustaz run` when the database is empty.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.core.deps import Deps
from bot.services.people import invites
from db.base import utcnow
from db.models import (
    AcademicTerm,
    Assignment,
    AssignmentStatus,
    ControlType,
    Course,
    Grade,
    Group,
    Invite,
    Lesson,
    LessonMode,
    Organization,
    OrgKind,
    ParentLink,
    Person,
    PersonRole,
    Program,
    Role,
    Submission,
    SubmissionStatus,
    SubmissionVersion,
    Topic,
)

ORG_NAME = "Алматы цифрлық колледжі"
GROUP_KK, GROUP_RU = "ПО-21", "ИС-22"

STUDENTS_KK = [
    "Айдана Серікқызы Бекова",
    "Нұрсұлтан Ерланұлы Әбдіров",
    "Әсел Маратқызы Жақыпова",
    "Дәулет Қайратұлы Сейітов",
    "Жансая Болатқызы Омарова",
    "Ерасыл Нұрланұлы Тоқтаров",
    "Аружан Асқарқызы Мұхамеджанова",
    "Әлихан Қанатұлы Ахметов",
    "Мадина Ғаниқызы Оспанова",
    "Темірлан Арманұлы Құрманов",
]
STUDENTS_RU = [
    "Анна Сергеевна Петрова",
    "Дмитрий Олегович Ли",
    "Алина Руслановна Ахметова",
    "Максим Игоревич Ткаченко",
    "Камила Тимуровна Садыкова",
    "Артём Андреевич Волков",
    "Диана Ержановна Калиева",
    "Тимур Маратович Нургалиев",
    "Екатерина Павловна Ким",
    "Руслан Бауыржанович Абенов",
]
# (parent, locale, children by name)
PARENTS = [
    ("Серік Бекұлы Беков", "kk", ["Айдана Серікқызы Бекова"]),
    ("Марат Жақыпұлы Жақыпов", "kk", ["Әсел Маратқызы Жақыпова"]),
    ("Болат Омарұлы Омаров", "kk", ["Жансая Болатқызы Омарова"]),
    ("Гүлнара Қанатқызы Ахметова", "kk", ["Әлихан Қанатұлы Ахметов", "Алина Руслановна Ахметова"]),
    ("Ольга Викторовна Петрова", "ru", ["Анна Сергеевна Петрова"]),
    ("Олег Михайлович Ли", "ru", ["Дмитрий Олегович Ли"]),
    ("Игорь Николаевич Ткаченко", "ru", ["Максим Игоревич Ткаченко"]),
    ("Ержан Сапарович Калиев", "ru", ["Диана Ержановна Калиева"]),
]


@dataclass(frozen=True)
class DemoPerson:
    role: Role
    name: str
    locale: str
    group: str | None
    code: str | None  # a fresh invite code, None if this person already joined


async def ensure_demo(deps: Deps) -> bool:
    """Creates the demo school on an empty database; True if it did."""
    async with deps.sessions() as session, session.begin():
        if await session.scalar(select(func.count()).select_from(Organization)):
            return False
        await create_demo(session, deps.settings.timezone)
        return True


async def create_demo(
    session: AsyncSession, timezone: str = "Asia/Almaty", now: dt.datetime | None = None
) -> Organization:
    now = now or utcnow()
    zone = zoneinfo.ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    org = Organization(
        name=ORG_NAME, kind=OrgKind.college, timezone=timezone, default_locale="kk", settings={}
    )
    session.add(org)
    await session.flush()

    def person(name: str, locale: str, role: Role, group: Group | None = None) -> Person:
        # The demo's people are made up: their consent is taken as given, so no menu asks for it.
        p = Person(organization_id=org.id, full_name=name, locale=locale, active_role=role, consent_at=now,
                   consent_locale=locale)  # fmt: skip
        # Enrolled long before the demo's past deadlines: the reports expect their work (a student who
        # joins after a deadline is not blamed for it).
        enrolled = now - dt.timedelta(days=365)
        p.roles.append(PersonRole(role=role, group_id=group.id if group else None, created_at=enrolled))
        session.add(p)
        return p

    program = Program(organization_id=org.id, name="Бағдарламалық қамтамасыз ету", code="06130100")
    session.add(program)
    await session.flush()
    g_kk = Group(organization_id=org.id, program_id=program.id, name=GROUP_KK, year=2)
    g_ru = Group(organization_id=org.id, program_id=program.id, name=GROUP_RU, year=1)
    session.add_all([g_kk, g_ru])
    year = today.year if today.month >= 9 else today.year - 1
    term = AcademicTerm(
        organization_id=org.id,
        name=f"{year}-{year + 1}, 1",
        starts_on=dt.date(year, 9, 1),
        ends_on=dt.date(year + 1, 1, 10),
    )
    session.add(term)
    await session.flush()

    head = person("Ерлан Маратұлы Жұмабаев", "kk", Role.head)
    person("Салтанат Әбенқызы Исмаилова", "kk", Role.methodist)
    t_kk = person("Айгүл Сейітқызы Нұрланова", "kk", Role.teacher)
    t_ru = person("Сергей Викторович Ким", "ru", Role.teacher)
    students_kk = [person(n, "kk", Role.student, g_kk) for n in STUDENTS_KK]
    students_ru = [person(n, "ru" if i != 2 else "kk", Role.student, g_ru) for i, n in enumerate(STUDENTS_RU)]
    await session.flush()
    by_name = {p.full_name: p for p in students_kk + students_ru}
    for name, locale, children in PARENTS:
        parent = person(name, locale, Role.parent)
        await session.flush()
        for child in children:
            session.add(ParentLink(parent_id=parent.id, child_id=by_name[child].id))
    del head

    courses = [
        Course(
            organization_id=org.id,
            term_id=term.id,
            group_id=g_kk.id,
            teacher_id=t_kk.id,
            discipline="Python негіздері",
            credits=5,
            hours=150,
        ),
        Course(
            organization_id=org.id,
            term_id=term.id,
            group_id=g_kk.id,
            teacher_id=t_ru.id,
            discipline="Деректер қоры",
            credits=4,
            hours=120,
        ),
        Course(
            organization_id=org.id,
            term_id=term.id,
            group_id=g_ru.id,
            teacher_id=t_ru.id,
            discipline="Веб-программирование",
            credits=5,
            hours=150,
        ),
    ]
    session.add_all(courses)
    await session.flush()

    # A week's timetable: Monday to Friday of this week, two lessons a day per group.
    monday = today - dt.timedelta(days=today.weekday())
    slots = [(9, 0), (10, 50), (13, 30)]
    for day in range(5):
        date = monday + dt.timedelta(days=day)
        for n, course in enumerate(courses):
            if (day + n) % 3 == 2:
                continue
            hour, minute = slots[n]
            start = dt.datetime(date.year, date.month, date.day, hour, minute, tzinfo=zone)
            online = (day + n) % 2 == 0
            session.add(
                Lesson(
                    course_id=course.id,
                    starts_at=start,
                    ends_at=start + dt.timedelta(minutes=90),
                    mode=LessonMode.online if online else LessonMode.offline,
                    link=f"https://meet.jit.si/ustaz-demo-{course.id}" if online else None,
                    room=None if online else f"{201 + n}",
                )
            )

    topics = {
        courses[0].id: [
            "Айнымалылар және типтер",
            "Шарттар мен циклдер",
            "Функциялар",
            "Тізімдер мен сөздіктер",
        ],
        courses[1].id: ["Реляциялық модель", "SQL: SELECT", "Кестелерді біріктіру", "Индекстер"],
        courses[2].id: ["HTML и CSS", "JavaScript: основы", "DOM и события", "HTTP и REST"],
    }
    for course in courses:
        for i, title in enumerate(topics[course.id]):
            deadline = dt.datetime.combine(monday + dt.timedelta(days=7 * (i - 1) + 4), dt.time(18), zone)
            session.add(Topic(course_id=course.id, position=i + 1, title=title, hours=4, deadline=deadline))

    def at(days: int, hour: int = 18) -> dt.datetime:
        day = today + dt.timedelta(days=days)
        return dt.datetime.combine(day, dt.time(hour), zone)

    plan = [
        (
            courses[0],
            "Циклдер: 5 есеп",
            "for және while циклдерін қолданып, 5 есепті шығарыңыз.",
            -3,
            ControlType.current,
        ),
        (
            courses[0],
            "Функциялар: зертханалық жұмыс",
            "Берілген тапсырма бойынша функциялар жазыңыз.",
            2,
            ControlType.current,
        ),
        (
            courses[1],
            "ER-диаграмма",
            "Колледж кітапханасының ER-диаграммасын сызыңыз (фото немесе PDF).",
            1,
            ControlType.boundary,
        ),
        (courses[2], "Вёрстка страницы", "Сверстайте страницу-визитку по макету.", -2, ControlType.current),
        (
            courses[2],
            "Рубежный контроль 1",
            "Ответьте на вопросы рубежного контроля.",
            4,
            ControlType.boundary,
        ),
    ]
    for course, title, text, days, control in plan:
        assignment = Assignment(
            course_id=course.id,
            created_by_id=course.teacher_id,
            title=title,
            text=text,
            deadline=at(days),
            max_score=100,
            control_type=control,
            status=AssignmentStatus.published,
            published_at=at(-7, 9),
        )
        session.add(assignment)
        await session.flush()
        if days < 0:
            group_students = students_kk if course.group_id == g_kk.id else students_ru
            for i, student in enumerate(group_students[:6]):
                late = i == 5
                submitted_at = assignment.deadline + (
                    dt.timedelta(hours=5) if late else -dt.timedelta(days=1, hours=i)
                )
                sub = Submission(
                    number=f"D{assignment.id:03d}-{student.id:04d}",
                    assignment_id=assignment.id,
                    student_id=student.id,
                    status=SubmissionStatus.graded if i < 4 else SubmissionStatus.submitted,
                    submitted_at=submitted_at,
                    late=late,
                )
                sub.versions.append(
                    SubmissionVersion(
                        number=1, text="Орындалды / Выполнено", submitted_at=submitted_at, late=late
                    )
                )
                session.add(sub)
                await session.flush()
                if i < 4:
                    session.add(
                        Grade(
                            assignment_id=assignment.id,
                            student_id=student.id,
                            submission_id=sub.id,
                            score=Decimal(95 - i * 9),
                            comment="Жақсы жұмыс" if course.group_id == g_kk.id else "Хорошая работа",
                            graded_by_id=course.teacher_id,
                            graded_at=submitted_at + dt.timedelta(days=1),
                        )
                    )
    await session.flush()
    return org


async def demo_people(session: AsyncSession) -> list[DemoPerson]:
    """Everyone in the demo, each with a fresh invite code unless they already joined."""
    persons = (
        await session.scalars(
            select(Person)
            .options(selectinload(Person.roles), selectinload(Person.accounts))
            .order_by(Person.id)
        )
    ).all()
    groups = {g.id: g.name for g in (await session.scalars(select(Group))).all()}
    out = []
    for p in persons:
        role = p.roles[0]
        joined = any(a.channel != "web" for a in p.accounts)
        code = None
        if not joined:
            pending = await session.scalar(
                select(Invite).where(
                    Invite.person_id == p.id, Invite.used_at.is_(None), Invite.expires_at > utcnow()
                )
            )
            code = pending.code if pending else (await invites.create_invite(session, p, role.role)).code
        out.append(
            DemoPerson(role.role, p.full_name, p.locale or "kk", groups.get(role.group_id or -1), code)
        )
    return out
