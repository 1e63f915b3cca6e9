"""Personal data (law No. 94-V): consent asked at joining and recorded with who gave it (a parent for a
minor), `ustaz person export` of the records and files, and `ustaz person erase` that keeps orders and
grades under a pseudonym and leaves `ustaz audit verify` passing; on both databases."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

from sqlalchemy import func, select, update

from bot.cli.person import cmd_person
from bot.runtime import Runtime
from bot.services.admin import audit
from db.models import AuditRecord, FileName, Grade, MessengerAccount, ParentLink, Person, StoredFile
from tests.harness import Harness, labels, texts

ANNA = "Анна Сергеевна Петрова"  # Russian-speaking student
AIDANA = "Айдана Серікқызы Бекова"  # Kazakh-speaking student, the child of
SERIK = "Серік Бекұлы Беков"


async def person(runtime: Runtime, name: str) -> Person:
    async with runtime.sessions() as session:
        found = await session.scalar(select(Person).where(Person.full_name == name))
    assert found is not None
    return found


async def forget_consent(runtime: Runtime, *names: str, born: dt.date | None = None) -> None:
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            update(Person).where(Person.full_name.in_(names)).values(consent_at=None, birth_date=born)
        )


async def test_consent_is_asked_until_given_and_recorded_with_who_and_language(demo: Runtime) -> None:
    await forget_consent(demo, ANNA)
    harness = Harness(demo)
    anna = await harness.seat_for(ANNA)
    menu = await harness.say(anna, "/menu")
    assert "согласие на обработку персональных данных ещё не записано" in texts(menu)
    asked = await harness.tap(anna, "Согласие на обработку данных", on=menu)
    assert "Закон Республики Казахстан № 94-V" in texts(asked) and "на серверах в Казахстане" in texts(asked)
    done = await harness.tap(anna, "Даю согласие", on=asked)
    assert "Спасибо: ваше согласие записано." in texts(done)
    assert "Согласие на обработку данных" not in labels(done[-1])
    row = await person(demo, ANNA)
    assert row.consent_at is not None and row.consent_by_id == row.id and row.consent_locale == "ru"


async def test_a_minor_is_sent_to_the_parent_whose_consent_covers_the_child(demo: Runtime) -> None:
    fifteen = dt.date.today().replace(year=dt.date.today().year - 15, day=1)
    await forget_consent(demo, AIDANA, born=fifteen)
    await forget_consent(demo, SERIK)
    harness = Harness(demo)
    child = await harness.seat_for(AIDANA)
    said = await harness.tap(child, "Дербес деректерге келісім")
    assert "18 жасқа толмағансыз" in texts(said) and "Келісемін" not in labels(said[-1])
    assert (await person(demo, AIDANA)).consent_at is None

    parent = await harness.seat_for(SERIK)
    done = await harness.tap(parent, "Дербес деректерге келісім", "Келісемін")
    assert "Рақмет: келісіміңіз тіркелді. Ол 18 жасқа толмаған балаңызға да қолданылады." in texts(done)
    serik, aidana = await person(demo, SERIK), await person(demo, AIDANA)
    assert (
        aidana.consent_at is not None and aidana.consent_by_id == serik.id and aidana.consent_locale == "kk"
    )


def args(action: str, person_id: int, **extra: object) -> argparse.Namespace:
    values: dict[str, object] = dict(person_action=action, person_id=person_id, by=None, lang=None, out=None)
    values.update(yes=False)
    values.update(extra)
    return argparse.Namespace(**values)


async def test_export_then_erase_keeps_grades_and_the_audit_chain_whole(
    demo: Runtime, tmp_path: Path
) -> None:
    harness = Harness(demo)
    seat = await harness.seat_for(ANNA)
    await harness.say(seat, "/menu")
    anna = await person(demo, ANNA)
    work = b"%PDF-1.4 Anna's essay"
    sha = hashlib.sha256(work).hexdigest()
    path = demo.deps.files.path_for(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(work)
    async with demo.sessions() as session, session.begin():
        await session.execute(
            update(Person).where(Person.id == anna.id).values(phone="+77015550001", iin="050101450011")
        )
        stored = StoredFile(sha256=sha, size=len(work), mime="application/pdf")
        session.add(stored)
        await session.flush()
        session.add(FileName(stored_file_id=stored.id, name="эссе.pdf", uploaded_by_id=anna.id))
        grades = await session.scalar(
            select(func.count()).select_from(Grade).where(Grade.student_id == anna.id)
        )

    assert grades, "the demo has grades of Anna to keep"
    out = tmp_path / "anna.zip"
    assert await cmd_person(demo.settings, args("export", anna.id, out=str(out))) == 0
    with zipfile.ZipFile(out) as archive:
        records = json.loads(archive.read("records.json"))["records"]
        assert archive.read(next(n for n in archive.namelist() if n.endswith("эссе.pdf"))) == work
    assert records["person"][0]["iin"] == "050101450011" and records["messenger_account"]
    assert records["parent_link"]  # her mother, Ольга Викторовна
    assert len(records.get("grade", [])) == grades
    assert out.stat().st_mode & 0o077 == 0  # private to Ustaz's user
    assert await cmd_person(demo.settings, args("export", anna.id, out=str(out))) == 2  # never overwritten

    assert await cmd_person(demo.settings, args("erase", anna.id)) == 2  # asks for --yes
    assert await cmd_person(demo.settings, args("erase", anna.id, yes=True)) == 0
    async with demo.sessions() as session:
        erased = await session.get(Person, anna.id)
        assert erased is not None and erased.full_name == f"#{anna.id}" and erased.erased_at is not None
        assert (erased.phone, erased.iin, erased.birth_date) == (None, None, None)
        assert not (
            await session.scalars(select(MessengerAccount).where(MessengerAccount.person_id == anna.id))
        ).all()
        assert (
            await session.scalar(select(func.count()).select_from(Grade).where(Grade.student_id == anna.id))
            == grades
        )
        # Her mother no longer follows her; the grades stay, pseudonymous.
        assert not (await session.scalars(select(ParentLink).where(ParentLink.child_id == anna.id))).all()
        verdict = await audit.verify(session)
        dump = json.dumps([(r.before, r.after) for r in (await session.scalars(select(AuditRecord))).all()],
                          ensure_ascii=False)  # fmt: skip
    assert verdict.ok, verdict
    assert ANNA not in dump and "050101450011" not in dump  # the chain keeps no erased value
