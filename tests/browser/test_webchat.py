"""The web chat in headless Chromium (Debian's, driven by Playwright): pick a person, reach the menu."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import running
from bot.runtime import Runtime

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
async def page(demo: Runtime) -> AsyncIterator[tuple[object, str]]:
    from playwright.async_api import async_playwright

    async with running(demo, port=0) as live, async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        page = await browser.new_page()
        yield page, live.url
        await browser.close()


async def test_nothing_typed_is_lost_when_the_server_does_not_take_it(page: tuple) -> None:  # type: ignore[type-arg]
    from playwright.async_api import expect

    expect.set_options(timeout=20_000)
    p, url = page
    await p.goto(url + "/")
    await expect(p.locator("#chat")).to_be_hidden()  # only the people to pick, no empty chat below
    await p.get_by_role("button", name="Анна Сергеевна Петрова").click()
    await expect(p.locator("#log")).to_contain_text("Главное меню")
    await p.route("**/api/webchat/send", lambda route: route.abort())  # the server is away
    await p.fill("#text", "Мой ответ на задание")
    await p.press("#text", "Enter")
    await expect(p.locator("#log")).to_contain_text("Не отправлено, попробуйте ещё раз")
    await expect(p.locator("#text")).to_have_value("Мой ответ на задание")  # back in the box to send again


async def test_a_student_reaches_the_menu_in_kazakh_and_a_teacher_in_russian(
    page: tuple, tmp_path: Path
) -> None:  # type: ignore[type-arg]
    from playwright.async_api import expect

    expect.set_options(timeout=20_000)  # a loaded CI machine; each wait still ends as soon as the text shows
    p, url = page
    await p.goto(url + "/")
    await p.get_by_role("button", name="Айдана Серікқызы Бекова").click()
    await expect(p.locator("#log")).to_contain_text("Басты мәзір — Айдана Серікқызы Бекова, білім алушы.")

    await p.get_by_role("button", name="Анықтама").click()
    await expect(p.locator("#log")).to_contain_text("Сіз — білім алушысыз.")

    # A file sent outside any assignment is explained, in the person's language.
    doc = tmp_path / "essay.pdf"
    doc.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    await p.set_input_files("#file", str(doc))
    await expect(p.locator("#log")).to_contain_text("📎 essay.pdf")
    await expect(p.locator("#log")).to_contain_text("Файлыңыз сақталды. Ол қай тапсырмаға арналған?")

    await p.get_by_role("button", name="Back").click()
    await p.get_by_role("button", name="Сергей Викторович Ким").click()
    await expect(p.locator("#log")).to_contain_text("Главное меню — Сергей Викторович Ким, педагог.")
    await p.fill("#text", "/lang")
    await p.press("#text", "Enter")
    await p.get_by_role("button", name="Қазақша").click()
    await expect(p.locator("#log")).to_contain_text("Жарайды, енді қазақша сөйлесеміз.")
    await p.screenshot(path=str(tmp_path / "webchat.png"))


async def test_teacher_posts_with_a_file_student_hands_in_a_photo_and_sees_the_grade(
    demo: Runtime, tmp_path: Path
) -> None:
    """The web chat of two people at once: the files go both ways and each step reaches the other."""
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=20_000)
    sample = tmp_path / "obrazec.pdf"
    sample.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    photo = tmp_path / "photo1.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)

    async with running(demo, port=0) as live, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        student, teacher = await browser.new_page(), await browser.new_page()
        for page, name in ((student, "Анна Сергеевна Петрова"), (teacher, "Сергей Викторович Ким")):
            await page.goto(live.url + "/")
            await page.get_by_role("button", name=name).first.click()
            await expect(page.locator("#log")).to_contain_text("Главное меню")

        async def press(page, label: str) -> None:  # type: ignore[no-untyped-def]
            await page.get_by_role("button", name=label).last.click()

        async def type_(page, text: str) -> None:  # type: ignore[no-untyped-def]
            await page.fill("#text", text)
            await page.press("#text", "Enter")

        log_t, log_s = teacher.locator("#log"), student.locator("#log")
        await press(teacher, "Новое задание")
        await press(teacher, "Веб-программирование — ИС-22")
        await expect(log_t).to_contain_text("Отправьте название задания.")
        await type_(teacher, "Форма обратной связи")
        await expect(log_t).to_contain_text("Когда всё отправлено")
        await type_(teacher, "Сверстайте форму по образцу.")
        await expect(log_t).to_contain_text("Пока: 0 файлов")
        await teacher.set_input_files("#file", str(sample))
        await expect(log_t).to_contain_text("Пока: 1 файл.")
        await press(teacher, "Готово")
        await press(teacher, "Завтра 18:00")
        await press(teacher, "100")
        await press(teacher, "текущий контроль успеваемости")
        await press(teacher, "письменная работа")
        await expect(log_t).to_contain_text("Предпросмотр")
        await press(teacher, "Опубликовать")
        await expect(log_t).to_contain_text("Опубликовано: «Форма обратной связи»")

        # The student's chat shows the new assignment by itself, with the teacher's file to open.
        await expect(log_s).to_contain_text("Новое задание: Форма обратной связи")
        link = student.get_by_role("link", name="📎 obrazec.pdf")
        response = await student.request.get(live.url + (await link.get_attribute("href") or ""))
        assert response.ok and (await response.body()).startswith(b"%PDF")
        await press(student, "Сдать работу")
        await expect(log_s).to_contain_text("Подтвердить и сдать")
        await student.set_input_files("#file", str(photo))
        await expect(log_s).to_contain_text("Ещё не сдано: 1 файл: photo1.png")
        await press(student, "Подтвердить и сдать")
        await expect(log_s).to_contain_text("Работа сдана. Квитанция №")

        await press(teacher, "Главное меню")
        await press(teacher, "Работы на проверку")
        await press(teacher, "Петрова А. С. · Форма обратной связи")
        await expect(teacher.get_by_role("link", name="📎 photo1.png")).to_be_visible()
        await press(teacher, "Оценить")
        await type_(teacher, "92")
        await type_(teacher, "Хорошо, поправьте отступы.")
        await press(teacher, "Объявить сейчас")
        await expect(log_s).to_contain_text("оценена: 92 из 100")
        await expect(log_s).to_contain_text("Хорошо, поправьте отступы.")
        await browser.close()
