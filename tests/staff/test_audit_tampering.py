"""The records show tampering: rows edited in the database, the newest audit records deleted, or all.

Each test is someone with access to the database doing one thing behind Ustaz's back, and
`audit.verify` (what `ustaz audit verify` runs) naming it in words staff understand.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, select, text

from bot.i18n import Translator
from bot.runtime import Runtime
from bot.services.admin import audit, audit_anchor, orders
from bot.services.coursework import review
from db.base import utcnow
from db.models import (
    Assignment,
    AuditRecord,
    Grade,
    Group,
    Order,
    OrderKind,
    Organization,
    OutboxMessage,
    Person,
    Role,
)
from tests.harness import Harness, texts
from tests.test_cli import env_for, ustaz

HEAD = "Ерлан Маратұлы Жұмабаев"
KIM = "Екатерина Павловна Ким"
ANNA = "Анна Сергеевна Петрова"


async def findings(demo: Runtime, lang: str = "en") -> tuple[audit.Verdict, list[str]]:
    async with demo.sessions() as session:
        verdict = await audit.verify(session, audit_anchor.read(demo.files.root))
        return verdict, await audit.explain(session, Translator(lang), verdict)


async def anna_grade(demo: Runtime) -> tuple[int, str]:
    """One of Анна's grades, changed to 85 with a reason through the service; its assignment's title."""
    async with demo.sessions() as session, session.begin():
        grade, title = (
            await session.execute(
                select(Grade, Assignment.title)
                .join(Assignment, Assignment.id == Grade.assignment_id)
                .join(Person, Person.id == Grade.student_id)
                .where(Person.full_name == ANNA)
                .order_by(Grade.id)
                .limit(1)
            )
        ).one()
        teacher_id = grade.graded_by_id
        await review.change_grade(session, teacher_id, grade.id, Decimal(85), "пересчитано")
        return grade.id, title


async def transfer_kim(demo: Runtime) -> Order:
    async with demo.sessions() as session, session.begin():
        head = await session.scalar(select(Person).where(Person.full_name == HEAD))
        kim = await session.scalar(select(Person).where(Person.full_name == KIM))
        assert head is not None and kim is not None
        org = await session.get(Organization, head.organization_id)
        group = await session.scalar(select(Group).where(Group.name == "ПО-21"))
        assert org is not None and group is not None
        issued = await orders.issue_enrolment_order(
            session,
            demo.files,
            org=org,
            kind=OrderKind.transfer,
            student=kim,
            head=head,
            head_roles=[Role.head],
            grounds="заявление",
            group=group,
        )
        return issued.order


async def anchor(demo: Runtime) -> audit_anchor.Anchor:
    async with demo.sessions() as session:
        head = await audit_anchor.head(session)
    assert head is not None
    audit_anchor.write(demo.files.root, head)
    return head


async def sql(demo: Runtime, statement: str, **params: object) -> None:
    async with demo.sessions() as session, session.begin():
        await session.execute(text(statement), params)


async def test_normal_use_verifies_clean(demo: Runtime) -> None:
    """The demo school, a grade changed with a reason, a transfer order: nothing to report."""
    assert (await findings(demo))[0].ok
    await anna_grade(demo)
    await transfer_kim(demo)
    await anchor(demo)
    verdict, lines = await findings(demo)
    assert verdict.ok and lines == [] and verdict.checked == verdict.last_id


async def test_a_direct_sql_grade_edit_is_named(demo: Runtime) -> None:
    grade_id, title = await anna_grade(demo)
    await sql(demo, "UPDATE grade SET score = 100 WHERE id = :id", id=grade_id)
    verdict, lines = await findings(demo)
    assert not verdict.ok and verdict.broken_id is None
    assert lines == [
        f"The grade of {ANNA} for «{title}» was changed outside Ustaz: score: recorded 85, now 100."
    ]
    (ru,) = (await findings(demo, "ru"))[1]
    assert ANNA in ru and "85" in ru and "100" in ru and "outside" not in ru


async def test_the_heads_audit_screen_names_a_grade_changed_outside_ustaz(
    demo: Runtime, harness: Harness
) -> None:
    grade_id, title = await anna_grade(demo)
    await sql(demo, "UPDATE grade SET score = 100 WHERE id = :id", id=grade_id)
    shown = texts(await harness.tap(await harness.seat_for(HEAD), "Аудит журналы"))
    assert f"«{title}» үшін баға ({ANNA}) Ustaz-тан тыс өзгертілген" in shown and "None" not in shown


async def test_the_newest_record_deleted_is_caught_by_the_anchor(demo: Runtime) -> None:
    await anna_grade(demo)
    head = await anchor(demo)
    async with demo.sessions() as session, session.begin():
        await session.execute(delete(AuditRecord).where(AuditRecord.id == head.seq))
    verdict, lines = await findings(demo)
    assert not verdict.ok and verdict.broken_id is None and verdict.last_id == head.seq - 1
    assert lines[0].startswith(
        f"The audit trail ends at record {head.seq - 1} but was anchored at record {head.seq} on "
    )
    assert lines[0].endswith("records were deleted.")
    # The deleted record sealed Анна's grade: the change it carried is unrecorded now.
    assert any(ANNA in line and "now 85" in line for line in lines[1:])


async def test_all_records_deleted_are_caught(demo: Runtime) -> None:
    head = await anchor(demo)
    await sql(demo, "DELETE FROM audit_record")
    verdict, lines = await findings(demo)
    assert not verdict.ok and verdict.checked == 0
    assert lines[0].startswith(f"The audit trail is empty but was anchored at record {head.seq} on ")
    assert len(lines) > 20 and all("was added outside Ustaz" in line or "given" in line for line in lines[1:])


async def test_an_edited_middle_record_is_named_and_rows_are_not_judged_on_a_broken_chain(
    demo: Runtime,
) -> None:
    grade_id, _ = await anna_grade(demo)
    await transfer_kim(demo)
    async with demo.sessions() as session:
        record = await session.scalar(
            select(AuditRecord.id).where(
                AuditRecord.entity == "grade", AuditRecord.entity_id == str(grade_id)
            )
        )
    await sql(demo, """UPDATE audit_record SET "after" = '{"score": "99"}' WHERE id = :id""", id=record)
    await sql(demo, "UPDATE grade SET score = 99 WHERE id = :id", id=grade_id)
    verdict, lines = await findings(demo)
    assert verdict.broken_id == record and verdict.sealed == 0
    assert lines == [
        f"The audit chain is BROKEN at record {record}: the record was changed after it was written "
        f"({verdict.checked} records before it are intact)."
    ]


async def test_an_edited_order_is_named(demo: Runtime) -> None:
    order = await transfer_kim(demo)
    await sql(demo, "UPDATE study_order SET grounds = 'решение педсовета' WHERE id = :id", id=order.id)
    verdict, lines = await findings(demo)
    assert lines == [
        f"Order No. {order.number} ({KIM}) was changed outside Ustaz: "
        "grounds: recorded заявление, now решение педсовета."
    ]


async def test_a_role_inserted_directly_is_named(demo: Runtime) -> None:
    async with demo.sessions() as session:
        kim = await session.scalar(select(Person.id).where(Person.full_name == KIM))
    await sql(
        demo,
        "INSERT INTO person_role (person_id, role, created_at) VALUES (:p, 'head', :now)",
        p=kim,
        now=utcnow(),
    )
    verdict, lines = await findings(demo)
    assert lines == [
        f"The role «head of the organization» of {KIM} was given outside Ustaz: no audit record has it."
    ]
    (kk,) = (await findings(demo, "kk"))[1]
    assert KIM in kk and "басшы" in kk.lower()


async def test_a_deleted_grade_and_a_changed_enrolment_are_named(demo: Runtime) -> None:
    grade_id, title = await anna_grade(demo)
    await sql(demo, "DELETE FROM grade WHERE id = :id", id=grade_id)
    async with demo.sessions() as session:
        kim = await session.scalar(select(Person.id).where(Person.full_name == KIM))
        other = await session.scalar(select(Group.id).where(Group.name == "ПО-21"))
    await sql(demo, "UPDATE person_role SET group_id = :g WHERE person_id = :p", g=other, p=kim)
    lines = (await findings(demo))[1]
    assert f"The grade of {ANNA} for «{title}» was deleted outside Ustaz." in lines
    assert (
        f"The enrolment of {KIM} in group ПО-21 was changed outside Ustaz: group: recorded ИС-22, now ПО-21."
        in lines
    )


async def test_a_baseline_seals_rows_written_before_the_upgrade_once(demo: Runtime) -> None:
    async with demo.sessions() as session, session.begin():
        assert await audit.baseline(session) is None  # the demo school is sealed already
    # A database from before rows were sealed: rows, and no record that carries any.
    await sql(demo, "DELETE FROM audit_record")
    assert not (await findings(demo))[0].ok
    async with demo.sessions() as session, session.begin():
        assert (await audit.baseline(session) or 0) > 20
    assert (await findings(demo))[0].ok
    async with demo.sessions() as session, session.begin():
        assert await audit.baseline(session) is None


async def test_the_tick_anchors_once_a_day_and_tells_the_head(demo: Runtime) -> None:
    await audit_anchor.anchor_tick(demo.deps)
    await audit_anchor.anchor_tick(demo.deps)  # the chain has not grown: nothing new
    (first,) = audit_anchor.read(demo.files.root)
    await anna_grade(demo)
    await audit_anchor.anchor_tick(demo.deps)  # grown, but within the day
    assert audit_anchor.read(demo.files.root) == [first]
    assert (audit_anchor.log_path(demo.files.root).stat().st_mode & 0o777) == 0o600
    async with demo.sessions() as session:
        head_id = await session.scalar(select(Person.id).where(Person.full_name == HEAD))
        sent = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.dedupe_key == f"audit-anchor:{first.seq}:{head_id}")
            )
        ).all()
    assert len(sent) == 1 and first.hash in str(sent[0].payload)


async def test_the_command_catches_a_grade_edit_and_a_deleted_newest_record(
    database_url: str, tmp_path: Path, engine: object
) -> None:
    # This checkout's code, whichever one the environment has installed.
    env = env_for(database_url, tmp_path, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    code, out = await ustaz("demo", env=env, cwd=tmp_path)
    assert code == 0, out
    code, out = await ustaz("audit", "verify", env=env, cwd=tmp_path)
    assert code == 0 and "The audit chain is intact" in out, out
    code, out = await ustaz("audit", "anchor", env=env, cwd=tmp_path)
    assert code == 0 and (tmp_path / "files" / "anchors" / "audit.log").exists(), out
    head = re.search(r"^(\d+) [0-9a-f]{64}$", out, re.MULTILINE)
    assert head is not None, out
    seq = int(head[1])

    from db.session import make_engine

    async def tamper(statement: str) -> tuple[int, str]:
        eng = make_engine(database_url)
        async with eng.begin() as conn:
            await conn.execute(text(statement))
        await eng.dispose()
        return await ustaz("audit", "verify", "--lang", "ru", env=env, cwd=tmp_path)

    code, out = await tamper("UPDATE grade SET score = 100 WHERE id = (SELECT min(id) FROM grade)")
    assert code == 1 and ", сейчас 100." in out, out
    # The demo school is one record: deleting it leaves an empty, intact chain, but not the anchor.
    code, out = await tamper(f"DELETE FROM audit_record WHERE id = {seq}")
    assert code == 1 and f"был закреплён на записи {seq}" in out, out
