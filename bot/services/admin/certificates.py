"""Certificates for a MOOC or a short course (002 item 23), checkable by anyone.

The certificate names the organization, the person's surname and initials, the
course and its credits; its code opens a verification page on the bot's web server
(/verify/<code>), in Kazakh and Russian.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import OutFile, Reply
from bot.files.pdf import PDF_MIME, Document, render
from bot.files.store import FileStore
from bot.i18n import Translator
from bot.language.names import surname_initials
from bot.services.admin import audit
from bot.services.messaging.notify import notify
from bot.services.people import permissions
from bot.services.people.codes import ALPHABET
from bot.services.people.permissions import Action
from db.base import utcnow
from db.models import Certificate, Organization, Person, Role

CODE_LENGTH = 12


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def verify_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/verify/{code}"


async def issue(
    session: AsyncSession,
    files: FileStore,
    base_url: str,
    *,
    org: Organization,
    person: Person,
    course_name: str,
    credits: int,
    actor_id: int,
    actor_roles: Sequence[Role],
    locale: str | None = None,
) -> Certificate:
    permissions.require(actor_roles, Action.issue_certificates)
    t = Translator(locale or person.locale or org.default_locale, org.timezone)
    today = utcnow().astimezone(t.tz).date()
    cert = Certificate(
        code=new_code(),
        organization_id=org.id,
        person_id=person.id,
        course_name=course_name,
        credits=credits,
        issued_on=today,
    )
    session.add(cert)
    await session.flush()
    data = render(certificate_document(t, org, person, cert, base_url))
    name = t.gettext("Certificate {code}").format(code=cert.code) + ".pdf"
    cert.file_name_id = (
        await files.save(session, data, name, "document", actor_id, trusted_mime=PDF_MIME)
    ).id
    await audit.record(
        session,
        actor_id,
        "certificate",
        cert.id,
        "issue",
        None,
        {"code": cert.code, "person_id": person.id, "course": course_name, "credits": credits},
        organization_id=org.id,
    )
    await _send_to_holder(session, cert, base_url)
    return cert


async def _send_to_holder(session: AsyncSession, cert: Certificate, base_url: str) -> None:
    """The certificate goes to its holder too (002 item 23), when they are in Ustaz; a listener outside
    the roster without a messenger gets it from the staff, who have the PDF."""
    file_id, code, course = cert.file_name_id, cert.code, cert.course_name
    assert file_id is not None

    def build(t: Translator) -> Reply:
        return Reply(
            t.gettext("Your certificate for «{course}». Anyone can check it at {url}").format(
                course=course, url=verify_url(base_url, code)
            ),
            files=[OutFile(file_id)],
        )

    await notify(session, [cert.person_id], build, kind="certificate", dedupe_prefix=f"cert:{cert.id}")


async def listener(session: AsyncSession, org: Organization, full_name: str, locale: str) -> Person:
    """A listener of a MOOC or short course who is not on the roster: a person of the organization with
    no role, so a certificate can name them (they see nothing of the organization's study)."""
    person = Person(organization_id=org.id, full_name=" ".join(full_name.split())[:300], locale=locale)
    session.add(person)
    await session.flush()
    return person


def certificate_document(
    t: Translator, org: Organization, person: Person, cert: Certificate, base_url: str
) -> Document:
    _ = t.gettext
    doc = Document(_("CERTIFICATE"))
    doc.para(org.name)
    doc.fields(
        [
            (_("Issued to"), surname_initials(person.full_name)),
            (_("Course"), cert.course_name),
            (_("Credits"), t.ngettext("{n} credit", "{n} credits", cert.credits).format(n=cert.credits)),
            (_("Date of issue"), t.date(cert.issued_on)),
            (_("Verification code"), cert.code),
        ]
    )
    doc.para(_("Check this certificate at {url}").format(url=verify_url(base_url, cert.code)))
    doc.qr(verify_url(base_url, cert.code))  # a phone's camera opens the verification page
    return doc


async def find(session: AsyncSession, code: str) -> tuple[Certificate, Person, Organization] | None:
    row = (
        await session.execute(
            select(Certificate, Person, Organization)
            .join(Person, Person.id == Certificate.person_id)
            .join(Organization, Organization.id == Certificate.organization_id)
            .where(Certificate.code == code.strip().upper())
        )
    ).first()
    return (row[0], row[1], row[2]) if row else None
