"""The credit caps of 002 items 17, 19, 20, 27 and 28: a plan over a cap is refused with the item cited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.runtime import Runtime
from bot.services.admin import study_plans
from bot.services.admin.study_plans import Basis, CapExceeded, PlanLine
from db.models import (
    CreditCapCategory,
    Group,
    Order,
    OrderKind,
    Organization,
    Person,
    PersonRole,
    Program,
    ProgramLevel,
    Role,
)
from tests.harness import Harness, texts
from tests.staff.helpers import make_bachelor, pdf_text, scan
from tests.staff.test_applications import APPLYING, DECIDING, apply, approve_and_sign, approve_from_notice

# (level, category, higher-education basis, field, plan basis, the cap, the item)
CASES = [
    (ProgramLevel.bachelor, CreditCapCategory.on_general_secondary, False, None, Basis.regular, 0, "17"),
    (ProgramLevel.bachelor, CreditCapCategory.none, True, "health_care", Basis.regular, 30, "19"),
    (ProgramLevel.mba, CreditCapCategory.mba, True, None, Basis.regular, 30, "20"),
    (ProgramLevel.emba, CreditCapCategory.emba_dba, True, None, Basis.regular, 15, "20"),
    (ProgramLevel.dba, CreditCapCategory.emba_dba, True, None, Basis.regular, 15, "20"),
    (
        ProgramLevel.bachelor,
        CreditCapCategory.on_general_secondary,
        False,
        None,
        Basis.academic_mobility,
        60,
        "27",
    ),
    (ProgramLevel.bachelor, CreditCapCategory.none, False, None, Basis.double_degree, 120, "28"),
    (ProgramLevel.bachelor, CreditCapCategory.none, False, None, Basis.exchange, 120, "28"),
    (ProgramLevel.master, CreditCapCategory.none, True, None, Basis.exchange, 60, "28"),
]


async def student_in(
    session: AsyncSession, level: ProgramLevel, category: CreditCapCategory, higher: bool, field: str | None
) -> int:
    org = Organization(name="Университет")
    session.add(org)
    await session.flush()
    program = Program(
        organization_id=org.id,
        name="Бағдарлама",
        level=level,
        credit_cap_category=category,
        on_higher_education_basis=higher,
        field=field,
    )
    session.add(program)
    await session.flush()
    group = Group(organization_id=org.id, program_id=program.id, name="Г-1")
    session.add(group)
    await session.flush()
    person = Person(organization_id=org.id, full_name="Әсел Маратқызы Жақыпова")
    person.roles.append(PersonRole(role=Role.student, group_id=group.id))
    session.add(person)
    await session.flush()
    return person.id


@pytest.mark.parametrize(("level", "category", "higher", "field", "basis", "limit", "item"), CASES)
async def test_each_cap_refuses_one_credit_over_and_allows_the_cap(
    sessions: async_sessionmaker[AsyncSession],
    level: ProgramLevel,
    category: CreditCapCategory,
    higher: bool,
    field: str | None,
    basis: Basis,
    limit: int,
    item: str,
) -> None:
    async with sessions() as session, session.begin():
        student = await student_in(session, level, category, higher, field)
        with pytest.raises(CapExceeded) as refused:
            await study_plans.save_plan(session, student, basis, [PlanLine("Пән", limit + 1)], actor_id=None)
        assert refused.value.verdict.broken is not None
        assert refused.value.verdict.broken.item == item and refused.value.verdict.broken.limit == limit
        if limit:
            plan = await study_plans.save_plan(
                session, student, basis, [PlanLine("Пән", limit)], actor_id=None
            )
            assert plan.id is not None


async def test_the_caps_count_the_whole_period_of_study(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        student = await student_in(session, ProgramLevel.mba, CreditCapCategory.mba, True, None)
        first = await study_plans.save_plan(
            session, student, Basis.regular, [PlanLine("Finance", 20)], actor_id=None
        )
        first.approved = True
        await session.flush()
        with pytest.raises(CapExceeded) as refused:
            await study_plans.save_plan(
                session, student, Basis.regular, [PlanLine("Strategy", 11)], actor_id=None
            )
        assert refused.value.verdict.total == 31 and refused.value.verdict.earlier == 20


async def test_a_college_program_has_no_cap(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        student = await student_in(session, ProgramLevel.tvet, CreditCapCategory.none, False, None)
        verdict = await study_plans.check(session, student, Basis.regular, [PlanLine("Python", 200)])
        assert verdict.ok


def test_plan_lines_are_read_from_text() -> None:
    lines, bad = study_plans.parse_lines("Python негіздері; 5\nДеректер қоры — 4\nбез кредитов\n")
    assert [(ln.discipline, ln.credits) for ln in lines] == [("Python негіздері", 5), ("Деректер қоры", 4)]
    assert bad == ["без кредитов"]


MOBILITY = {"kk": "академиялық ұтқырлық", "ru": "академическая мобильность"}  # the plan's basis


@pytest.mark.parametrize(
    ("locale", "refusal", "cited"),
    [
        (
            "kk",
            "Жоспар қабылданбады: бүкіл оқу кезеңінде ҚБТ бойынша 65 кредит",
            "27-тармақ: академиялық ұтқырлық",
        ),
        (
            "ru",
            "План отклонён: по ДОТ за весь период обучения 65 кредитов",
            "пункт 27: академическая мобильность",
        ),
    ],
)
async def test_head_refuses_a_plan_over_a_cap_in_chat(
    demo: Runtime, harness: Harness, locale: str, refusal: str, cited: str
) -> None:
    async with demo.sessions() as session, session.begin():
        head_person = await session.scalar(
            select(Person).where(Person.full_name == "Ерлан Маратұлы Жұмабаев")
        )
        assert head_person is not None
        head_person.locale = locale
    await make_bachelor(demo)  # academic mobility is a category of higher education (002 item 6.5)
    head = await harness.seat_for("Ерлан Маратұлы Жұмабаев")
    student = await harness.seat_for("Дмитрий Олегович Ли")
    words = APPLYING["ru"]
    await harness.tap(student, words["apply"], words["academic_mobility"])
    await harness.say(student, "Семестр по академической мобильности в Польше")
    sent = await harness.say(student, files=[("invitation.pdf", scan())])
    await harness.tap(student, words["send"], on=sent)

    deciding = DECIDING[locale]
    await harness.tap(head, deciding["open"], deciding["plan"], on=await harness.received(head))
    replies = await harness.say(head, "Веб-программирование; 65")
    replies = await harness.press(head, replies[-1], MOBILITY[locale])
    assert refusal in texts(replies) and cited in texts(replies) and "27" in texts(replies)
    replies = await harness.say(head, "Веб-программирование; 60")
    replies = await harness.press(head, replies[-1], MOBILITY[locale])
    assert "60" in texts(replies)
    card = await harness.tap(head, deciding["back"], on=replies)
    assert "Веб-программирование — 60" in texts(card)
    signed = await approve_and_sign(harness, head, card, locale)
    assert len(signed[-1].files) == 1


@pytest.mark.parametrize(
    ("locale", "unknown", "appendix"),
    [
        ("kk", "Білім алушының тобында «Python» курсы жоқ", "3-қосымша. Жеке кесте"),
        ("ru", "В группе обучающегося нет курса «Python»", "Приложение 3. Индивидуальный график"),
    ],
)
async def test_a_typed_plan_is_matched_to_the_groups_courses_and_the_order_lists_their_topics(
    demo: Runtime, harness: Harness, locale: str, unknown: str, appendix: str
) -> None:
    """002 items 8-10 (the order with the individual study plan and schedule, appendix 3): typed plan
    rows are matched to the group's courses, an unknown course is refused, and the signed order's
    schedule lists the typed course's topics instead of «by the academic calendar»."""
    async with demo.sessions() as session, session.begin():
        head_person = await session.scalar(
            select(Person).where(Person.full_name == "Ерлан Маратұлы Жұмабаев")
        )
        assert head_person is not None
        head_person.locale = locale
    await make_bachelor(demo)  # academic mobility is a category of higher education (002 item 6.5)
    head = await harness.seat_for("Ерлан Маратұлы Жұмабаев")
    student = await harness.seat_for("Дмитрий Олегович Ли")
    words = APPLYING["ru"]
    await harness.tap(student, words["apply"], words["academic_mobility"])
    await harness.say(student, "Семестр по академической мобильности в Польше")
    sent = await harness.say(student, files=[("invitation.pdf", scan())])
    await harness.tap(student, words["send"], on=sent)

    deciding = DECIDING[locale]
    await harness.tap(head, deciding["open"], deciding["plan"], on=await harness.received(head))
    refused = texts(await harness.say(head, "Python; 5\nвеб-программирование; 5"))
    assert unknown in refused and "• Веб-программирование; " in refused
    replies = await harness.say(head, "  веб-программирование ; 5")  # case and spaces aside
    replies = await harness.press(head, replies[-1], MOBILITY[locale])
    card = await harness.tap(head, deciding["back"], on=replies)
    signed = await approve_and_sign(harness, head, card, locale)
    async with demo.sessions() as session:
        order = pdf_text((await demo.files.load(session, signed[-1].files[0].file_name_id)).data)
    schedule = order[order.index(appendix) :]
    assert "Веб-программирование" in schedule
    for topic in ("HTML и CSS", "JavaScript: основы", "DOM и события", "HTTP и REST"):
        assert topic in schedule


async def test_item_17_is_eligibility_not_a_count(sessions: async_sessionmaker[AsyncSession]) -> None:
    """002 item 17: a bachelor on the basis of general secondary school is refused whatever the plan holds,
    an empty plan included; academic mobility is the stated exception, and only when the application is
    for academic mobility. An empty plan is refused for anyone (items 8-10: the order approves a plan)."""
    async with sessions() as session, session.begin():
        student = await student_in(
            session, ProgramLevel.bachelor, CreditCapCategory.on_general_secondary, False, None
        )
        for lines in ([], [PlanLine("Пән", 5)]):
            verdict = await study_plans.check(session, student, Basis.regular, lines)
            assert verdict.broken is not None and verdict.broken.item == "17"
        # The head cannot open the exception by picking «academic mobility» for another application.
        verdict = await study_plans.check(
            session, student, Basis.academic_mobility, [PlanLine("Пән", 5)], category="temporary_health"
        )
        assert verdict.broken is not None and verdict.broken.item == "17"
        verdict = await study_plans.check(
            session, student, Basis.academic_mobility, [PlanLine("Пән", 5)], category="academic_mobility"
        )
        assert verdict.ok
        college = await student_in(session, ProgramLevel.tvet, CreditCapCategory.none, False, None)
        verdict = await study_plans.check(session, college, Basis.regular, [])
        assert verdict.broken is not None and verdict.broken.item == "8-10"


@pytest.mark.parametrize(
    ("locale", "refused"),
    [
        ("kk", "17-тармақ: академиялық ұтқырлықтан басқа"),
        ("ru", "пункт 17: обучение в ОВПО с использованием ДОТ на базе общего среднего"),
    ],
)
async def test_head_cannot_sign_item_17_with_an_empty_plan(
    demo: Runtime, harness: Harness, locale: str, refused: str
) -> None:
    """002 item 17, from outside: a bachelor student on the basis of general secondary school applies
    (not for academic mobility), the head approves with no plan: refused with the item cited, no order."""
    async with demo.sessions() as session, session.begin():
        head_person = await session.scalar(
            select(Person).where(Person.full_name == "Ерлан Маратұлы Жұмабаев")
        )
        group = await session.scalar(select(Group).where(Group.name == "ИС-22"))
        assert head_person is not None and group is not None and group.program_id is not None
        head_person.locale = locale
        program = await session.get(Program, group.program_id)
        assert program is not None
        program.level = ProgramLevel.bachelor
        program.credit_cap_category = CreditCapCategory.on_general_secondary
    head = await harness.seat_for("Ерлан Маратұлы Жұмабаев")
    student = await harness.seat_for("Дмитрий Олегович Ли")
    await apply(harness, student, "ru")
    replies = await approve_from_notice(harness, head, locale)
    assert refused in texts(replies) and not replies[-1].files
    async with demo.sessions() as session:
        assert await session.scalar(select(Order).where(Order.kind == OrderKind.distance_learning)) is None
