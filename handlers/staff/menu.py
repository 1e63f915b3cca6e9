"""The staff's conversations: imports, reports, the audit trail and certificates. The applications'
queue is in handlers/staff/applications.py, the register and enrolment orders in handlers/staff/orders.py.

Each route's roles come from bot/services/permissions.py, so the router refuses the
rest (a student, a teacher) before any handler runs.
"""

from __future__ import annotations

import datetime as dt

from bot.actions.staff import (
    Audit,
    Certificates,
    Import,
    ImportKind,
    PublishReport,
    Reports,
    SendInvites,
    WeeklyReport,
)
from bot.actions.teacher import MyReport
from bot.core.context import Joined
from bot.core.menus import menus
from bot.core.messages import Button, OutFile
from bot.core.router import Dialog, dialog_button
from bot.files.pdf import PDF_MIME, Document, render
from bot.files.tables import XLSX_MIME, TableUnreadable, with_images, xlsx
from bot.i18n import N_
from bot.labels import ROLE_NAMES, imported_phrase
from bot.services.admin import audit, certificates, reports, setup
from bot.services.people import roster
from bot.services.people.permissions import Action, may, roles_for
from bot.services.people.roster import ImportResult
from bot.services.schedule import calendar as academic_calendar
from db.base import utcnow
from db.models import Person, Role
from handlers.staff import router
from handlers.staff.widgets import find_people
from handlers.staff.widgets import pick_person as _pick_person
from handlers.ui import choice
from handlers.ui import menu_row as _menu

IMPORTERS = (
    roles_for(Action.import_roster)
    | roles_for(Action.setup)
    | roles_for(Action.edit_timetable)
    | roles_for(Action.edit_calendar)
)
REPORTS = roles_for(Action.read_reports)
PUBLISHERS = roles_for(Action.publish_reports)
AUDIT = roles_for(Action.read_audit)
CERTS = roles_for(Action.issue_certificates)

menus.add(tuple(IMPORTERS), N_("Import from a file"), Import(), order=20)
menus.add(tuple(REPORTS), N_("Reports"), Reports(), order=40)
menus.add(Role.teacher, N_("Report on my courses"), MyReport(), order=80)
menus.add(tuple(CERTS), N_("Certificates"), Certificates(), order=50)
menus.add(tuple(AUDIT), N_("Audit trail"), Audit(), order=60)

import_dialog = router.add_dialog(Dialog("staff_import", roles=IMPORTERS))
cert_dialog = router.add_dialog(Dialog("certificate", roles=CERTS))

# kind -> (button label, the permission, what to send)
IMPORT_KINDS = {
    "roster": (
        N_("Roster: students, parents, teachers"),
        Action.import_roster,
        N_(
            "Send the roster as an XLSX or CSV file with the columns: role, full name, group, language, "
            "phone, "
            "IIN, birth date, child (for a parent: the child's full name or IIN)."
        ),
    ),
    "programs": (
        N_("Programs"),
        Action.setup,
        N_(
            "Send the programs as an XLSX or CSV file with the columns: name, code, level (bachelor, master, "
            "MBA, EMBA, DBA, TVET...), field, basis (general secondary, TVET, higher), groups."
        ),
    ),
    "courses": (
        N_("Courses"),
        Action.setup,
        N_(
            "Send the courses as an XLSX or CSV file with the columns: group, discipline, teacher, credits, "
            "hours, term."
        ),
    ),
    "timetable": (
        N_("Timetable"),
        Action.edit_timetable,
        N_(
            "Send the timetable as an XLSX or CSV file with the columns: group, discipline, date, start, "
            "end, mode (online/offline), link, room, topic."
        ),
    ),
    "calendar": (
        N_("Academic calendar"),
        Action.edit_calendar,
        N_(
            "Send the academic calendar as an XLSX or CSV file with the columns: kind (term, holiday, "
            "session, "
            "attestation, event), name, start, end, term (the academic period an entry belongs to)."
        ),
    ),
}


TABLE_MIMES = frozenset({XLSX_MIME, "text/csv", "text/plain"})


# -- imports ------------------------------------------------------------------------


@router.action(Import, roles=IMPORTERS)
async def import_start(ctx: Joined, _: Import) -> None:
    rows = [
        [ImportKind(kind).button(ctx._(label))]
        for kind, (label, action, _hint) in IMPORT_KINDS.items()
        if may(ctx.roles, action)
    ]
    if may(ctx.roles, Action.send_invites):
        rows.append([SendInvites().button(ctx._("Send invites"))])
    ctx.reply(ctx._("What do you want to import?"), buttons=rows + [_menu(ctx)])


@router.action(ImportKind, roles=IMPORTERS)
async def import_kind(ctx: Joined, action: ImportKind) -> None:
    kind = action.kind
    if kind not in IMPORT_KINDS or not may(ctx.roles, IMPORT_KINDS[kind][1]):
        ctx.reply(ctx._("This action is not available in your role."), buttons=[_menu(ctx)])
        return
    await ctx.start_dialog("staff_import", "file", kind=kind)
    ctx.reply(ctx._(IMPORT_KINDS[kind][2]) + "\n" + ctx._("Nothing is imported until every row is right."))


@import_dialog.step("file")
async def import_file(ctx: Joined) -> None:
    kind = ctx.data["kind"]
    create_groups = False
    if ctx.incoming.button:
        # «Create the groups and import»: the file sent before, now with its new groups (asked first).
        if choice(ctx) != "create_groups" or not ctx.data.get("file"):
            ctx.reply(ctx._("Send the file as a document, please (XLSX or CSV)."))
            return
        file_name_id, name, create_groups = int(ctx.data["file"]), str(ctx.data.get("fname") or "file"), True
    elif not ctx.incoming.attachments:
        ctx.reply(ctx._("Send the file as a document, please (XLSX or CSV)."))
        return
    else:
        att = ctx.incoming.attachments[0]
        assert att.file_name_id is not None
        file_name_id, name = att.file_name_id, att.filename or "file"
    loaded = await ctx.deps.files.load(ctx.session, file_name_id)
    data = loaded.data
    try:
        if loaded.mime not in TABLE_MIMES:
            raise TableUnreadable(name)
        if kind == "roster":
            result = await roster.import_roster(
                ctx.session,
                ctx.org.id,
                data,
                name,
                actor_id=ctx.person.id,
                actor_roles=ctx.roles,
                create_groups=create_groups,
            )
        elif kind == "programs":
            result = await setup.import_programs(ctx.session, ctx.org, data, name)
        elif kind == "courses":
            result = await setup.import_courses(ctx.session, ctx.org, data, name)
        elif kind == "calendar":
            result = await academic_calendar.import_calendar(ctx.session, ctx.org.id, data, name)
        else:
            result = await setup.import_timetable(ctx.session, ctx.org, data, name)
    except TableUnreadable:
        ctx.reply(ctx._("The file «{name}» is neither an XLSX nor a CSV table. Send it again.", name=name))
        return
    if not result.ok:
        text = import_errors(ctx, result) + "\n\n" + ctx._("Fix the file and send it again, or /cancel.")
        unknown = getattr(result, "unknown_groups", [])
        if unknown and all(e.message == roster.E_GROUP_UNKNOWN for e in result.errors):
            # Only new groups stand in the way: ask whether to create them rather than guess.
            await ctx.start_dialog("staff_import", "file", kind=kind, file=file_name_id, fname=name)
            label = ctx._("Create the groups {names} and import", names=", ".join(unknown))
            ctx.reply(text, buttons=[[Button(label, dialog_button("create_groups"))]])
            return
        ctx.reply(text)
        return
    await ctx.end_dialog()
    if kind != "roster":
        ctx.reply(
            imported_phrase(ctx.t, result.created, result.existing, lessons=kind == "timetable"),
            buttons=[_menu(ctx)],
        )
        return
    await _roster_done(ctx, result)


def import_errors(ctx: Joined, result: ImportResult, limit: int = 20) -> str:
    lines = [
        ctx.n_("Nothing was imported: {n} error.", "Nothing was imported: {n} errors.", len(result.errors))
    ]
    for err in result.errors[:limit]:
        lines.append(ctx._("Line {line}: {reason}", line=err.line, reason=err.reason(ctx.t.gettext)))
    if len(result.errors) > limit:
        lines.append(ctx._("… and {n} more.", n=len(result.errors) - limit))
    return "\n".join(lines)


async def _roster_done(ctx: Joined, result: ImportResult) -> None:
    username = ctx.deps.telegram_username
    header = [ctx._("Full name"), ctx._("Role"), ctx._("Group"), ctx._("Invite code"), ctx._("Telegram link")]
    rows = [
        [r[0], ctx._(ROLE_NAMES[Role(r[1])]), *r[2:]] for r in roster.invite_rows(result.people, username)
    ]
    if not username:  # no link to someone else's bot: the code alone, sent to the organization's Ustaz
        header, rows = header[:4], [r[:4] for r in rows]
    table = xlsx([(ctx._("Invites"), header, rows)])
    saved = await ctx.deps.files.save(
        ctx.session, table, ctx._("Invites") + ".xlsx", "document", ctx.person.id, trusted_mime=XLSX_MIME
    )
    printable = (
        Document(ctx._("Invites to Ustaz"))
        .para(
            ctx._(
                "Send the invite code to Ustaz in Telegram, WhatsApp or the web chat, or open the Telegram "
                "link."
            )
            if username
            else ctx._(
                "Send the invite code to the Ustaz of {org} in the messenger the organization named "
                "(Telegram, WhatsApp or the web chat).",
                org=ctx.org.name,
            )
        )
        .table(header[:4], [r[:4] for r in rows], widths=[70, 35, 25, 40])
    )
    pdf = await ctx.deps.files.save(
        ctx.session,
        render(printable, header=ctx.org.name),
        ctx._("Invites") + ".pdf",
        "document",
        ctx.person.id,
        trusted_mime=PDF_MIME,
    )
    text = ctx._(
        "The roster is imported: {created} new people, {existing} already known.",
        created=result.created,
        existing=result.existing,
    )
    if result.roles_added:
        text += "\n" + ctx.n_(
            "{n} person already known got another role.",
            "{n} people already known got another role.",
            result.roles_added,
        )
    if result.groups_created:
        text += "\n" + ctx._("New groups: {groups}.", groups=", ".join(result.groups_created))
    with_code = sum(1 for p in result.people if p.code)
    text += "\n" + ctx.n_(
        "{n} invite is in the list: hand it out or print it.",
        "{n} invites are in the list: hand them out or print them.",
        with_code,
    )
    buttons = [_menu(ctx)]
    if with_code and may(ctx.roles, Action.send_invites) and ctx.deps.settings.whatsapp_enabled:
        buttons.insert(0, [SendInvites().button(ctx._("Send invites"))])
    ctx.reply(text, files=[OutFile(saved.id), OutFile(pdf.id)], buttons=buttons)


# -- reports ------------------------------------------------------------------------------


async def _send_report(
    ctx: Joined, teacher_id: int | None, title: str = reports.REPORT_TITLE, *, week: bool = False
) -> None:
    since = utcnow() - dt.timedelta(days=7) if week else None
    report = await reports.build(ctx.session, ctx.org.id, teacher_id=teacher_id, since=since)
    # The head wants to look, not read: the charts in the chat and in the XLSX, with the week's changes.
    weeks = await reports.weekly_rates(ctx.session, ctx.org.id, teacher_id=teacher_id)
    images = reports.charts(ctx.t, report, weeks)
    data = with_images(reports.as_xlsx(ctx.t, report), ctx._("Charts"), images)
    pictures = [
        OutFile(
            (
                await ctx.deps.files.save(
                    ctx.session, png, name + ".png", "photo", ctx.person.id, trusted_mime=reports.PNG_MIME
                )
            ).id
        )
        for name, png in images
    ]
    name = ctx._("Report {date}", date=ctx.t.local(report.generated_at).date().isoformat()) + ".xlsx"
    saved = await ctx.deps.files.save(
        ctx.session, data, name, "document", ctx.person.id, trusted_mime=XLSX_MIME
    )
    buttons = [[WeeklyReport().button(ctx._("Weekly summary"))]] if teacher_id is None else []
    if teacher_id is None and may(ctx.roles, Action.publish_reports):
        buttons.append([PublishReport().button(ctx._("Send to the teachers and the head"))])
    text = reports.as_text(ctx.t, report, title=title)
    changes = reports.week_changes(ctx.t, weeks)
    if changes:
        text += (
            "\n\n" + ctx._("Changes over the week (on time):") + "\n" + "\n".join(f"• {c}" for c in changes)
        )
    ctx.reply(text, files=[OutFile(saved.id), *pictures], buttons=buttons + [_menu(ctx)])


@router.action(Reports, roles=REPORTS)
async def report(ctx: Joined, _: Reports) -> None:
    await _send_report(ctx, None)


@router.action(WeeklyReport, roles=REPORTS)
async def weekly_report(ctx: Joined, _: WeeklyReport) -> None:
    """The summary the head gets each Monday, on demand."""
    await _send_report(ctx, None, reports.WEEKLY_TITLE, week=True)


@router.action(PublishReport, roles=PUBLISHERS)
async def publish_report(ctx: Joined, _: PublishReport) -> None:
    """Methodists inform the head and the teachers of the results (002 item 26-1, duties 10 and 16)."""
    sent = await reports.publish(ctx.session, ctx.deps.files, ctx.org.id, ctx.person.id)
    ctx.reply(
        ctx.n_(
            "The report is sent to {n} person: the head gets the whole report, each teacher the one on "
            "their own courses.",
            "The report is sent to {n} people: the head gets the whole report, each teacher the one on "
            "their own courses.",
            sent,
        ),
        buttons=[_menu(ctx)],
    )


@router.action(MyReport, roles=[Role.teacher])
async def teacher_report(ctx: Joined, _: MyReport) -> None:
    """A teacher sees only their own courses."""
    await _send_report(ctx, ctx.person.id)


# -- the audit trail ------------------------------------------------------------------------


@router.action(Audit, roles=AUDIT)
async def audit_trail(ctx: Joined, _: Audit) -> None:
    verdict = await audit.verify(ctx.session)
    if verdict.ok:
        head = ctx.n_(
            "The audit chain is intact: {n} record checked.",
            "The audit chain is intact: {n} records checked.",
            verdict.checked,
        )
    else:  # a broken chain, a record deleted since the anchor, or a row changed outside Ustaz: named
        head = "\n".join(await audit.explain(ctx.session, ctx.t, verdict))
    records = await audit.history(ctx.session, organization_id=ctx.org.id, limit=15)
    lines = [head, "", ctx._("Latest changes:"), *await audit.describe(ctx.session, ctx.t, records)]
    ctx.reply("\n".join(lines)[:3900], buttons=[_menu(ctx)])


# -- certificates ---------------------------------------------------------------------------


@router.action(Certificates, roles=CERTS)
async def certificate_start(ctx: Joined, _: Certificates) -> None:
    await ctx.start_dialog("certificate", "person")
    ctx.reply(
        ctx._(
            "A certificate for a MOOC or a short course (002 item 23). Write the learner's full name "
            "(or a part of it)."
        )
    )


@cert_dialog.step("person")
async def certificate_person(ctx: Joined) -> None:
    picked = choice(ctx)
    typed = " ".join((ctx.incoming.text or "").split())
    person: Person | None
    if picked == "listener" and ctx.data.get("listener"):
        # A listener outside the roster (002 item 23: a MOOC's certificate is for whoever took it).
        person = await certificates.listener(ctx.session, ctx.org, ctx.data["listener"], ctx.locale)
    elif not picked and len(typed.split()) >= 2 and not await find_people(ctx, typed, None):
        await ctx.goto("person", listener=typed)
        ctx.reply(
            ctx._(
                "Nobody in the organization is named «{name}». Issue the certificate to a listener outside "
                "the roster under this name?",
                name=typed,
            ),
            buttons=[[Button(ctx._("Yes, a listener outside the roster"), dialog_button("listener"))]],
        )
        return
    else:
        person = await _pick_person(ctx, "person", None)
    if person is None:
        return
    await ctx.goto("course", person_id=person.id)
    ctx.reply(ctx._("Write the name of the course."))


@cert_dialog.step("course")
async def certificate_course(ctx: Joined) -> None:
    text = (ctx.incoming.text or "").strip()
    if not text:
        ctx.reply(ctx._("Write it as text, please."))
        return
    await ctx.goto("credits", course=text[:300])
    ctx.reply(ctx._("How many credits? Write a number."))


@cert_dialog.step("credits")
async def certificate_credits(ctx: Joined) -> None:
    text = (ctx.incoming.text or "").strip()
    if not text.isdigit() or not 0 < int(text) <= 300:
        ctx.reply(ctx._("Write the credits as a whole number, e.g. 5."))
        return
    data = ctx.data
    person = await ctx.session.get(Person, data["person_id"])
    assert person is not None
    await ctx.end_dialog()
    cert = await certificates.issue(
        ctx.session,
        ctx.deps.files,
        ctx.deps.settings.base_url,
        org=ctx.org,
        person=person,
        course_name=data["course"],
        credits=int(text),
        actor_id=ctx.person.id,
        actor_roles=list(ctx.roles),
    )
    assert cert.file_name_id is not None
    url = certificates.verify_url(ctx.deps.settings.base_url, cert.code)
    ctx.reply(
        ctx._("The certificate {code} is issued. Anyone can check it at {url}", code=cert.code, url=url),
        files=[OutFile(cert.file_name_id)],
        buttons=[_menu(ctx)],
    )
