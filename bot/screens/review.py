"""The files a native reader reviews: every screen each role of the demo school reaches, every msgid
with sample values, and the values' own forms (dates by month, Kazakh endings after numbers, names
by case), one set per language. Built in a temporary SQLite database, so it needs no data of its own.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.messages import Reply
from bot.i18n import Translator
from bot.language import kazakh, russian
from bot.screens.catalog import NAMES, Rendered, render
from bot.screens.driver import Driver, local_settings
from bot.screens.walk import WALKERS, Step, walk
from db.models import Person, PersonRole, Role

LONGEST_LABEL = 64  # characters: a wider button is cut with «…» on a phone; category labels keep far under it


@dataclass
class Screens:
    """What a walk showed: (role, person, steps) per walker."""

    locale: str
    walks: list[tuple[Role, str, list[Step]]] = field(default_factory=list)

    def replies(self) -> list[Reply]:
        return [r for _, _, steps in self.walks for s in steps for r in s.replies]


async def walk_demo(locale: str, depth: int = 2, workdir: Path | None = None) -> Screens:
    """Builds the demo school in a fresh SQLite database, everyone speaking `locale`, and walks every
    role's screens."""
    from bot.app import build_runtime
    from bot.services.admin.demo import ensure_demo
    from db.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="ustaz-screens-", dir=workdir) as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'screens.sqlite3'}"
        runtime = build_runtime(local_settings(url, Path(tmp) / "files"))
        try:
            await upgrade(runtime.engine)
            await ensure_demo(runtime.deps)
            await everyone_speaks(runtime.sessions, locale)
            driver = Driver(runtime)
            screens = Screens(locale)
            for name, role in WALKERS:
                async with runtime.sessions() as session:
                    person = await session.scalar(select(Person.id).where(Person.full_name == name))
                seat = await driver.seat(person, role, lang=locale)
                steps = [step async for step in walk(driver, seat, depth)]
                screens.walks.append((role, name, steps))
            return screens
        finally:
            await runtime.engine.dispose()


async def everyone_speaks(sessions: async_sessionmaker[AsyncSession], locale: str) -> None:
    """Every demo person in one language, and the head also deputy and admin (the walkers' roles)."""
    async with sessions() as session, session.begin():
        await session.execute(update(Person).values(locale=locale))
        head = await session.scalar(select(Person.id).where(Person.full_name == "Ерлан Маратұлы Жұмабаев"))
        assert head is not None
        session.add_all([PersonRole(person_id=head, role=r) for r in (Role.deputy, Role.admin)])


# -- the files ---------------------------------------------------------------------------------------


def _reply_md(reply: Reply) -> list[str]:
    lines = [f"> {line}" if line else ">" for line in reply.text.splitlines()] or ["> (no text)"]
    for row in reply.buttons:
        lines.append("")
        lines.append(" ".join(f"[{b.label}]" + (f"({b.url})" if b.url else "") for b in row))
    if reply.files:
        lines.append("")
        lines.append(f"(+ {len(reply.files)} file(s))")
    return [*lines, ""]


def screens_md(screens: Screens, t: Translator) -> str:
    out = [f"# Screens ({screens.locale}): every role of the demo school, button by button", ""]
    for role, name, steps in screens.walks:
        out += [f"## {role.value}: {name}", ""]
        for step in steps:
            out += [f"### {' › '.join(('/menu', *step.path))}", ""]
            for reply in step.replies:
                out += _reply_md(reply)
    return "\n".join(out)


def catalog_md(locale: str, rendered: list[Rendered]) -> str:
    out = [f"# Catalog ({locale}): every message with sample values", ""]
    for r in rendered:
        out.append(f"## {r.msgid}")
        out.append("")
        out += [f"- {text}" for text in r.texts]
        out.append("")
    return "\n".join(out)


def samples_md(t: Translator) -> str:
    out = [f"# Samples ({t.locale}): dates, numbers and names as the texts show them", "", "## Dates", ""]
    for month in range(1, 13):
        moment = dt.datetime(2026, month, 2, 16, 18, tzinfo=dt.UTC)
        day = moment.date()
        out.append(
            f"- {t.date(day)} | {t.datetime(moment, year=True)} | {t.weekday_date(day)} | "
            f"{t.period(day, day + dt.timedelta(days=20))}"
        )
    out += ["", "## Names by case", ""]
    for name in NAMES:
        if t.locale == "kk":
            forms = [kazakh.attach(name, c) for c in (kazakh.Case.genitive, kazakh.Case.dative)]
        else:
            forms = [
                russian.decline(name, c) or f"{name} (not declined)"
                for c in (russian.Case.genitive, russian.Case.dative)
            ]
        out.append(f"- {name} | " + " | ".join(forms))
    if t.locale == "kk":
        out += ["", "## Endings after numbers and times", ""]
        cases = (kazakh.Case.dative, kazakh.Case.ablative, kazakh.Case.locative, kazakh.Case.genitive)
        for n in [*range(0, 101), 1000]:
            out.append("- " + " | ".join(kazakh.number_with_ending(n, c) for c in cases))
        for time in ("18:00", "21:48", "09:30", "14:05", "10:40", "12:20"):
            out.append("- " + " | ".join(kazakh.time_with_ending(time, c) for c in cases))
    return "\n".join(out) + "\n"


async def write(locale: str, out_dir: Path, depth: int = 2) -> list[Path]:
    """Writes DIR/<locale>/{screens,catalog,samples}.md and returns their paths."""
    t = Translator(locale)
    target = out_dir / locale
    target.mkdir(parents=True, exist_ok=True)
    screens = await walk_demo(locale, depth)
    files = {
        "screens.md": screens_md(screens, t),
        "catalog.md": catalog_md(locale, list(render(locale))),
        "samples.md": samples_md(t),
    }
    paths = []
    for name, text in files.items():
        path = target / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
