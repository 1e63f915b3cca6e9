"""Signing in on the web chat in headless Chromium: a code from Telegram, a wrong one, a session that
ends, and a form on another site that tries to post to the chat."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select, update

from bot.app import running
from bot.core.messages import Reply
from bot.runtime import Runtime
from db.models import Channel, MessengerAccount, OutboxMessage, Person, WebSession
from tests.browser.test_webchat import CHROMIUM, pytestmark  # noqa: F401  (the same marks: browser, chromium)
from tests.webchat.test_signin_api import PHONE, TEACHER, TelegramStub

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip


@pytest.fixture
async def page(demo: Runtime) -> AsyncIterator[tuple[Any, str]]:
    """The demo's teacher with a phone and a Telegram account (a stand-in takes what is sent there)."""
    from playwright.async_api import async_playwright

    async with demo.sessions() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.full_name == TEACHER))
        assert person is not None
        person.phone = PHONE
        session.add(MessengerAccount(channel=Channel.telegram, external_id="70001", person_id=person.id))
    demo.channel_senders[Channel.telegram] = TelegramStub()
    async with running(demo, port=0) as live, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield await browser.new_page(), live.url
        await browser.close()


async def code_sent(runtime: Runtime) -> str:
    async with runtime.sessions() as session:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "signin_code").order_by(OutboxMessage.id.desc())
        )
    assert row is not None
    found = re.search(r"\b(\d{6})\b", Reply.from_json(row.payload).text)
    assert found is not None
    return found.group(1)


async def test_sign_in_with_a_code_a_wrong_one_first_and_the_history_after_a_reload(
    page: tuple[Any, str], demo: Runtime
) -> None:
    from playwright.async_api import expect

    expect.set_options(timeout=20_000)
    p, url = page
    await p.goto(url + "/")
    await expect(p.locator("#chat")).to_be_hidden()
    await expect(p.locator("#enter-code")).to_be_hidden()  # the code box comes once a code is sent
    await p.select_option("#lang", "ru")
    await expect(p.locator("#signin h2")).to_have_text("Вход в Ustaz")
    await p.fill("#who", "8 701 123 45 67")
    await p.get_by_role("button", name="Прислать мне код").click()
    await expect(p.locator("#enter-code")).to_be_visible()
    code = await code_sent(demo)

    await p.fill("#code", "000000" if code != "000000" else "111111")
    await p.get_by_role("button", name="Войти", exact=True).click()
    await expect(p.locator("#error")).to_have_text("Код неверный. Проверьте его и введите ещё раз.")
    await expect(p.locator("#chat")).to_be_hidden()

    await p.fill("#code", code)
    await p.get_by_role("button", name="Войти", exact=True).click()
    await expect(p.locator("#log")).to_contain_text("Главное меню — Сергей Викторович Ким, педагог.")
    await expect(p.locator(".attach")).to_contain_text("Файл")  # words, not an emoji alone

    await p.reload()
    await expect(p.locator("#chat")).to_be_visible()
    await expect(p.locator("#log")).to_contain_text("Главное меню — Сергей Викторович Ким, педагог.")
    async with demo.sessions() as session:
        web_accounts = await session.scalar(
            select(func.count()).select_from(MessengerAccount).where(MessengerAccount.channel == Channel.web)
        )
    assert web_accounts == 1, "a reload is the same account, not a new one"


async def test_an_expired_session_asks_to_sign_in_again(page: tuple[Any, str], demo: Runtime) -> None:
    from playwright.async_api import TimeoutError as PlaywrightTimeout
    from playwright.async_api import expect

    expect.set_options(timeout=20_000)
    p, url = page
    await p.goto(url + "/")
    await p.fill("#who", PHONE)
    await p.click("#ask-code button")
    await expect(p.locator("#enter-code")).to_be_visible()
    await p.fill("#code", await code_sent(demo))
    await p.click("#enter-code button")
    await expect(p.locator("#log")).to_contain_text("Главное меню")

    async with demo.sessions() as session, session.begin():
        await session.execute(update(WebSession).values(expires_at=func.current_timestamp()))
    # The page's long poll may meet the expiry first and show the sign-in in place of the composer;
    # otherwise the next message meets it. Either way the person is asked to sign in again.
    try:
        await p.fill("#text", "Сәлем", timeout=2_000)
        await p.press("#text", "Enter", timeout=2_000)
    except PlaywrightTimeout:
        pass
    await expect(p.locator("#signin")).to_be_visible()
    await expect(p.locator("#error")).to_have_text("Сеанс аяқталды, сіз жүйеден шықтыңыз. Қайта кіріңіз.")


async def test_a_form_on_another_site_cannot_post_to_the_chat(page: tuple[Any, str], demo: Runtime) -> None:
    """A cross-site form (text/plain, so no preflight) that would make its visitor a demo person."""
    from playwright.async_api import expect

    p, url = page
    evil = (
        f'<form id="f" method="POST" enctype="text/plain" action="{url}/api/webchat/seat">'
        '<input name=\'{"person_id": 1, "x": "\' value=\'"}\'></form>'
        "<script>document.getElementById('f').submit()</script>"
    )

    async def attacker(request: web.Request) -> web.Response:
        return web.Response(text=evil, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", attacker)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.2", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        async with p.expect_response(lambda r: r.url.endswith("/api/webchat/seat")) as answer:
            await p.goto(f"http://127.0.0.2:{port}/")
        assert (await answer.value).status == 403
        await expect(p.locator("body")).to_contain_text("cross-site request refused")
    finally:
        await runner.cleanup()
    async with demo.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(WebSession)) == 0
