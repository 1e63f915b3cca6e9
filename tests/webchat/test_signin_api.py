"""The web chat's sign-in, sessions and guards, through an HTTP client against the real app."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select, update

from bot.app import build_web
from bot.core.messages import Reply
from bot.queues.outbox import Delivery, DeliveryResult, Sent, Unreachable
from bot.runtime import Runtime
from bot.services.people.invites import create_invite
from db.models import (
    Channel,
    InboxUpdate,
    MessengerAccount,
    Organization,
    OrgKind,
    OutboxMessage,
    Person,
    Role,
    WebchatMessage,
    WebSession,
)

PHONE = "+77011234567"
TEACHER = "Сергей Викторович Ким"


class TelegramStub:
    """Takes the place of the Telegram sender: the code is looked for in the outbox row instead."""

    channel = Channel.telegram

    async def deliver(self, delivery: Delivery) -> DeliveryResult:
        return Sent("1")


@dataclass
class Web:
    client: TestClient  # type: ignore[type-arg]
    runtime: Runtime
    person_id: int
    telegram_id: int

    @property
    def origin(self) -> str:
        return str(self.client.make_url("/")).rstrip("/")

    async def post(self, path: str, body: object, **headers: str) -> tuple[int, dict]:  # type: ignore[type-arg]
        headers = {"Origin": self.origin, **headers}
        async with self.client.post(path, json=body, headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)

    async def get(self, path: str, **headers: str) -> tuple[int, dict]:  # type: ignore[type-arg]
        async with self.client.get(path, headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)

    async def last_code(self) -> str:
        async with self.runtime.sessions() as session:
            row = await session.scalar(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "signin_code", OutboxMessage.account_id == self.telegram_id)
                .order_by(OutboxMessage.id.desc())
            )
        assert row is not None, "no code was sent to the person's Telegram"
        found = re.search(r"\b(\d{6})\b", Reply.from_json(row.payload).text)
        assert found is not None
        return found.group(1)

    async def sign_in(self) -> None:
        assert (await self.post("/api/webchat/code", {"who": PHONE}))[0] == 200
        status, body = await self.post("/api/webchat/signin", {"who": PHONE, "code": await self.last_code()})
        assert status == 200, body


async def serve(runtime: Runtime) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    client = TestClient(TestServer(build_web(runtime)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def web(demo: Runtime) -> AsyncIterator[Web]:
    """The demo school's teacher, on Telegram, with a phone number; the web chat served on loopback."""
    async with demo.sessions() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.full_name == TEACHER))
        assert person is not None
        person.phone = PHONE
        account = MessengerAccount(channel=Channel.telegram, external_id="70001", person_id=person.id)
        session.add(account)
        await session.flush()
        ids = (person.id, account.id)
    async for client in serve(demo):
        demo.channel_senders[Channel.telegram] = TelegramStub()
        yield Web(client, demo, *ids)


async def test_a_code_sent_to_telegram_signs_in_and_the_cookie_is_http_only_and_strict(web: Web) -> None:
    status, body = await web.post("/api/webchat/code", {"who": "8 701 123-45-67"})
    assert (status, body) == (200, {"ok": True})
    code = await web.last_code()
    async with web.client.post(
        "/api/webchat/signin", json={"who": PHONE, "code": code}, headers={"Origin": web.origin}
    ) as resp:
        assert resp.status == 200
        cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=43200" in cookie
    assert (await web.get("/api/webchat/me"))[1]["name"] == TEACHER

    assert (await web.post("/api/webchat/send", {"text": "/menu", "message_id": "m1"}))[0] == 200
    async with web.runtime.sessions() as session:
        update_row = await session.scalar(select(InboxUpdate))
        account = await session.scalar(
            select(MessengerAccount).where(MessengerAccount.channel == Channel.web)
        )
    assert account is not None and account.person_id == web.person_id
    assert update_row is not None and update_row.external_id.startswith(account.external_id)
    # The code is used up: the same one again signs no one in.
    assert (await web.post("/api/webchat/signin", {"who": PHONE, "code": code}))[1]["error"] == "expired_code"


async def test_a_wrong_code_is_refused_and_five_wrong_tries_kill_the_code(web: Web) -> None:
    await web.post("/api/webchat/code", {"who": PHONE})
    code = await web.last_code()
    wrong = "000000" if code != "000000" else "111111"
    answers = [
        (await web.post("/api/webchat/signin", {"who": PHONE, "code": wrong}))[1]["error"] for _ in range(5)
    ]
    assert answers == ["wrong_code"] * 4 + ["too_many"]
    status, body = await web.post("/api/webchat/signin", {"who": PHONE, "code": code})
    assert (status, body["error"]) == (400, "too_many"), "the right code after too many wrong ones is dead"
    assert (await web.get("/api/webchat/me"))[1]["signed_in"] is False
    # Someone unknown gets the same answer as a wrong code: the page does not tell who is known.
    assert (await web.post("/api/webchat/signin", {"who": "+77770000000", "code": "123456"}))[1]["error"] == (
        "wrong_code"
    )


async def test_too_many_tries_from_one_client_are_refused_for_a_while(web: Web) -> None:
    statuses = [
        (await web.post("/api/webchat/signin", {"who": PHONE, "code": "123456"}))[0] for _ in range(11)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    assert (await web.post("/api/webchat/code", {"who": PHONE}))[1] == {"error": "slow_down"}


async def test_codes_to_one_person_are_limited(web: Web) -> None:
    for _ in range(4):
        await web.post("/api/webchat/code", {"who": PHONE})
    async with web.runtime.sessions() as session:
        sent = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "signin_code")
        )
    assert sent == 3


async def test_an_expired_session_is_signed_out(web: Web) -> None:
    await web.sign_in()
    assert (await web.get("/api/webchat/messages"))[0] == 200
    async with web.runtime.sessions() as session, session.begin():
        await session.execute(update(WebSession).values(expires_at=func.current_timestamp()))
    status, body = await web.get("/api/webchat/messages")
    assert (status, body) == (401, {"error": "signed_out"})
    assert (await web.post("/api/webchat/send", {"text": "hi"}))[0] == 401


async def test_sign_out_ends_the_session_and_the_history_stays_for_the_next_sign_in(web: Web) -> None:
    await web.sign_in()
    await web.post("/api/webchat/send", {"text": "Сәлем", "message_id": "m1"})
    token = web.client.session.cookie_jar.filter_cookies(web.client.make_url("/"))["ustaz_session"].value
    status, _ = await web.post("/api/webchat/signout", {})
    assert status == 200
    assert (await web.get("/api/webchat/me"))[1]["signed_in"] is False
    web.client.session.cookie_jar.update_cookies({"ustaz_session": token})  # the old cookie kept aside
    assert (await web.get("/api/webchat/messages"))[0] == 401

    await web.sign_in()
    _, body = await web.get("/api/webchat/messages")
    assert [m.get("text") for m in body["messages"]] == ["Сәлем"], "one web account per person: history kept"
    async with web.runtime.sessions() as session:
        accounts = await session.scalar(
            select(func.count()).select_from(MessengerAccount).where(MessengerAccount.channel == Channel.web)
        )
    assert accounts == 1


async def test_a_forged_cross_site_post_is_refused(web: Web) -> None:
    forged = '{"person_id": 1}'
    for path in ("/api/webchat/seat", "/api/webchat/signin", "/api/webchat/send"):
        async with web.client.post(
            path, data=forged, headers={"Origin": "https://evil.example", "Content-Type": "text/plain"}
        ) as resp:
            assert resp.status == 403, path
        async with web.client.post(path, data=forged, headers={"Content-Type": "text/plain"}) as resp:
            assert resp.status == 403, f"{path} without an Origin"
        async with web.client.post(
            path, data=forged, headers={"Origin": web.origin, "Content-Type": "text/plain"}
        ) as resp:
            assert resp.status == 415, f"{path} takes JSON only"
    async with web.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(WebSession)) == 0


async def test_the_picker_is_there_for_the_demo_on_loopback(web: Web) -> None:
    status, people = await web.get("/api/webchat/people")
    assert status == 200 and any(p["name"] == TEACHER for p in people)
    status, body = await web.post("/api/webchat/seat", {"person_id": web.person_id})
    assert status == 200
    assert (await web.get("/api/webchat/me", **{"X-Ustaz-Seat": body["seat"]}))[1]["name"] == TEACHER


async def test_the_picker_is_refused_beside_a_real_school(web: Web) -> None:
    async with web.runtime.sessions() as session, session.begin():
        session.add(
            Organization(name="№ 12 мектеп", kind=OrgKind.school, timezone="Asia/Almaty", settings={})
        )
    assert (await web.get("/api/webchat/people"))[0] == 404
    assert (await web.post("/api/webchat/seat", {"person_id": web.person_id}))[0] == 404
    assert (await web.get("/api/webchat/me"))[1]["picker"] is False


async def test_the_picker_is_refused_under_another_host_name(web: Web) -> None:
    """A page of another site whose name resolves to 127.0.0.1 (DNS rebinding) gets no picker."""
    assert (await web.get("/api/webchat/people", Host="ustaz.example"))[0] == 404


async def test_the_picker_is_refused_off_loopback(demo: Runtime) -> None:
    demo.settings.http_host = "0.0.0.0"
    async for client in serve(demo):
        async with client.get("/api/webchat/people") as resp:
            assert resp.status == 404
        origin = str(client.make_url("/")).rstrip("/")
        async with client.post(
            "/api/webchat/seat", json={"person_id": 1}, headers={"Origin": origin}
        ) as resp:
            assert resp.status == 404


async def test_an_invite_code_signs_in_the_first_time_and_only_once(web: Web) -> None:
    async with web.runtime.sessions() as session, session.begin():
        org = await session.scalar(select(Organization))
        assert org is not None
        person = Person(organization_id=org.id, full_name="Гүлнар Ержанқызы Сапарова", locale="kk")
        session.add(person)
        await session.flush()
        code = (await create_invite(session, person, Role.parent)).code
    status, body = await web.post("/api/webchat/invite", {"code": code.lower()})
    assert (status, body["name"]) == (200, "Гүлнар Ержанқызы Сапарова")
    assert (await web.get("/api/webchat/me"))[1]["name"] == "Гүлнар Ержанқызы Сапарова"
    assert (await web.post("/api/webchat/invite", {"code": code}))[1]["error"] == "invite_used"
    assert (await web.post("/api/webchat/invite", {"code": "ZZZZZZZZ"}))[1]["error"] == "invite_unknown"
    async with web.runtime.sessions() as session:
        unbound = await session.scalar(
            select(func.count()).select_from(MessengerAccount).where(MessengerAccount.person_id.is_(None))
        )
    assert unbound == 0, "a refused invite leaves no account behind"


async def test_notices_stay_with_the_messenger_unless_the_web_is_chosen(web: Web) -> None:
    await web.sign_in()
    async with web.runtime.sessions() as session:
        account = await session.scalar(
            select(MessengerAccount).where(MessengerAccount.channel == Channel.web)
        )
    assert account is not None
    sender = web.runtime.channel_senders[Channel.web]

    def delivery(kind: str) -> Delivery:
        to = (web.person_id, account.id, Channel.web, account.address)
        return Delivery(1, kind, *to, "ru", Reply("Ертең"), None, None, 0)

    assert isinstance(await sender.deliver(delivery("reply")), Sent), "replies always come to the web"
    assert isinstance(await sender.deliver(delivery("notice")), Unreachable), "notices go to Telegram"
    assert (await web.post("/api/webchat/notices", {"on": True}))[1] == {"ok": True, "notices": True}
    assert isinstance(await sender.deliver(delivery("notice")), Sent)
    async with web.runtime.sessions() as session:
        shown = await session.scalar(select(func.count()).select_from(WebchatMessage))
    assert shown == 2


async def test_run_refuses_the_picker_off_loopback_in_one_line(database_url: str, tmp_path: Path) -> None:
    from tests.test_cli import env_for, ustaz

    env = env_for(database_url, tmp_path, USTAZ_WEBCHAT_PICKER="on", USTAZ_HTTP_HOST="0.0.0.0")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])  # this checkout, wherever it runs from
    code, out = await ustaz("run", env=env, cwd=tmp_path)
    assert code == 2
    assert out.strip().count("\n") == 0 and "USTAZ_WEBCHAT_PICKER" in out


async def test_security_headers(web: Web) -> None:
    async with web.client.get("/") as resp:
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["Referrer-Policy"] == "no-referrer"
    async with web.client.get("/files/nothing") as resp:
        assert resp.headers["Cache-Control"] == "private, no-store"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


async def test_bad_input_is_a_400_not_a_traceback(web: Web) -> None:
    headers = {"Origin": web.origin, "Content-Type": "application/json"}
    for body in ("{not json", "[" * 100_000 + "]" * 100_000, "[1, 2]"):
        async with web.client.post("/api/webchat/signin", data=body, headers=headers) as resp:
            assert (resp.status, await resp.json()) == (400, {"error": "bad_request"})
    await web.sign_in()
    assert (await web.get("/api/webchat/messages?after=x"))[0] == 400


async def test_a_link_code_from_the_messenger_signs_in_on_the_web_as_the_same_person(web: Web) -> None:
    from bot.services.people import linking

    async with web.runtime.sessions() as session, session.begin():
        code = await linking.new_code(session, web.person_id)
    assert code is not None
    status, body = await web.post("/api/webchat/invite", {"code": linking.shown(code), "lang": "ru"})
    assert (status, body["name"]) == (200, TEACHER)
    assert (await web.get("/api/webchat/me"))[1]["name"] == TEACHER
    async with web.runtime.sessions() as session:
        people = await session.scalar(
            select(func.count()).select_from(Person).where(Person.full_name == TEACHER)
        )
        webs = (
            await session.scalars(
                select(MessengerAccount.person_id).where(MessengerAccount.channel == Channel.web)
            )
        ).all()
    assert people == 1 and webs == [web.person_id]
    # Once only: the same code again is refused and makes no account.
    status, body = await web.post("/api/webchat/invite", {"code": code})
    assert (status, body["error"]) == (400, "link_unknown")
    async with web.runtime.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(MessengerAccount).where(MessengerAccount.channel == Channel.web)
        )
    assert count == 1
