"""Who is at the web chat: signing in (a code to their messenger, or an invite), sessions, sign-out.

A signed-in browser holds only an HttpOnly, SameSite=Strict cookie; the demo's person picker, which
exists only for the demo school on a loopback address, gives each tab a seat token instead (kept in
the tab, sent in a header), so two tabs can be two people.
"""

from __future__ import annotations

import collections
import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import update

from bot.channels.web_security import host_name, is_loopback
from bot.config import PickerMode, Settings
from bot.core.messages import Reply
from bot.i18n import Translator, pick_locale
from bot.queues.outbox import REPLY_PRIORITY, enqueue
from bot.runtime import Runtime
from bot.services.people import linking, web_signin
from bot.services.people.invites import RedeemOutcome
from db.models import Channel, MessengerAccount, Person, WebSession

COOKIE = "ustaz_session"
SEAT_HEADER = "X-Ustaz-Seat"
CLIENT_TRIES = 10  # sign-in requests (codes asked, codes and invites tried) per client and window
CLIENT_WINDOW = 600.0


def picker_refusal(settings: Settings) -> str | None:
    """Why `ustaz run` will not start with the picker switched on here (None: it may)."""
    if not settings.webchat_enabled or settings.webchat_picker is not PickerMode.on:
        return None
    if is_loopback(settings.http_host) and not settings.public_url:
        return None
    return (
        "USTAZ_WEBCHAT_PICKER=on lets whoever opens the page be anyone, so it is served only on a loopback "
        "USTAZ_HTTP_HOST without USTAZ_PUBLIC_URL; set USTAZ_WEBCHAT_PICKER=auto to sign people in instead."
    )


def exposure_warning(settings: Settings) -> str | None:
    """A line for `ustaz run` when the web chat is reachable from other computers."""
    if not settings.webchat_enabled or is_loopback(settings.http_host):
        return None
    return (
        f"Warning: the web chat is served on {settings.http_host}, beyond this computer: people sign in "
        "with a code (no person picker); put HTTPS in front of it and set USTAZ_PUBLIC_URL."
    )


@dataclass(frozen=True, slots=True)
class Seat:
    """A live session and the web account it speaks as."""

    session_id: int
    account_id: int
    external_id: str
    person_id: int | None
    notices: bool


class ClientLimits:
    """Tries per client address in a sliding window (this process; behind a proxy, per proxy)."""

    def __init__(self, tries: int = CLIENT_TRIES, window: float = CLIENT_WINDOW) -> None:
        self.tries = tries
        self.window = window
        self._seen: dict[str, collections.deque[float]] = {}

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        seen = self._seen.setdefault(client, collections.deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) >= self.tries:
            return False
        seen.append(now)
        if len(self._seen) > 10_000:  # forget the quiet ones rather than grow without end
            self._seen = {k: v for k, v in self._seen.items() if v}
        return True


def refused(status: int, error: str) -> web.HTTPException:
    """An error the page shows in the person's language (it looks the key up in /api/webchat/texts)."""
    cls = {
        400: web.HTTPBadRequest,
        401: web.HTTPUnauthorized,
        404: web.HTTPNotFound,
        429: web.HTTPTooManyRequests,
    }
    return cls[status](text=f'{{"error": "{error}"}}', content_type="application/json")


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, RecursionError):  # not JSON, or nested past what the parser takes
        raise refused(400, "bad_request") from None
    if not isinstance(body, dict):
        raise refused(400, "bad_request")
    return body


class Seats:
    """Finds the seat a request speaks for, and opens and ends sessions."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings

    def picker_safe_here(self) -> bool:
        """The settings allow the picker: not switched off, bound to loopback only, no public address."""
        s = self.settings
        return s.webchat_picker is not PickerMode.off and is_loopback(s.http_host) and not s.public_url

    async def picker_allowed(self, request: web.Request) -> bool:
        """The picker for this request: a loopback caller, calling a loopback name, demo school only."""
        if not (self.picker_safe_here() and is_loopback(request.remote) and is_loopback(host_name(request))):
            return False
        async with self.runtime.sessions() as session:
            return await web_signin.only_the_demo_school(session)

    async def find(self, request: web.Request) -> Seat | None:
        token = request.headers.get(SEAT_HEADER)
        if token is None:
            token = request.cookies.get(COOKIE, "")
        elif not await self.picker_allowed(request):
            return None
        async with self.runtime.sessions() as session:
            found = await web_signin.live_session(session, token)
            if found is None:
                return None
            account = await session.get(MessengerAccount, found.account_id)
            if account is None:
                return None
            return Seat(found.id, account.id, account.external_id, account.person_id, found.notices)

    async def of(self, request: web.Request) -> Seat:
        seat = await self.find(request)
        if seat is None:
            raise refused(401, "signed_out")
        return seat

    def lasts(self) -> dt.timedelta:
        return dt.timedelta(hours=self.settings.webchat_session_hours)

    def set_cookie(self, response: web.Response, token: str) -> None:
        response.set_cookie(
            COOKIE,
            token,
            max_age=int(self.lasts().total_seconds()),
            path="/",
            httponly=True,
            samesite="Strict",
            secure=self.settings.base_url.startswith("https://"),
        )


class SignInApi:
    def __init__(self, runtime: Runtime, seats: Seats) -> None:
        self.runtime = runtime
        self.seats = seats
        self.limits = ClientLimits()

    def _client_may_try(self, request: web.Request) -> None:
        if not self.limits.allow(request.remote or "?"):
            raise refused(429, "slow_down")

    async def me(self, request: web.Request) -> web.Response:
        seat = await self.seats.find(request)
        name = None
        if seat is not None and seat.person_id is not None:
            async with self.runtime.sessions() as session:
                person = await session.get(Person, seat.person_id)
                name = person.full_name if person else None
        return web.json_response(
            {
                "signed_in": seat is not None,
                "name": name,
                "notices": bool(seat and seat.notices),
                "picker": await self.seats.picker_allowed(request),
            }
        )

    async def ask_code(self, request: web.Request) -> web.Response:
        """Sends a code to the named person's messenger; answers the same whether or not they exist."""
        self._client_may_try(request)
        body = await json_body(request)
        who = str(body.get("who") or "")
        sent = False
        async with self.runtime.sessions() as session, session.begin():
            person = await web_signin.find_person(session, who)
            target = None
            if person is not None:
                target = await web_signin.code_target(session, person, self.runtime.channel_senders)
            if person is not None and target is not None:
                ttl = dt.timedelta(minutes=self.runtime.settings.webchat_code_minutes)
                code = await web_signin.new_code(session, person.id, ttl)
                if code is not None:
                    t = Translator(
                        target.locale or pick_locale(body.get("lang"), self.runtime.settings.default_locale)
                    )
                    minutes = int(self.runtime.settings.webchat_code_minutes)
                    text = t.ngettext(
                        "Your code to sign in to Ustaz on the web: {code}. It works for {n} minute. "
                        "If you did not ask for it, tell no one this code.",
                        "Your code to sign in to Ustaz on the web: {code}. It works for {n} minutes. "
                        "If you did not ask for it, tell no one this code.",
                        minutes,
                    ).format(code=code, n=minutes)
                    # WhatsApp outside its 24-hour window: an approved template of this kind, {{1}} the code.
                    variables = {"1": code, "2": str(minutes)} if target.channel is Channel.whatsapp else None
                    await enqueue(session, Reply(text), account_id=target.account_id, kind="signin_code",
                                  priority=REPLY_PRIORITY, template_vars=variables)  # fmt: skip
                    sent = True
        if sent:
            self.runtime.wake_sender()
        return web.json_response({"ok": True})

    async def sign_in(self, request: web.Request) -> web.Response:
        self._client_may_try(request)
        body = await json_body(request)
        async with self.runtime.sessions() as session, session.begin():
            person = await web_signin.find_person(session, str(body.get("who") or ""))
            if person is None:
                raise refused(400, "wrong_code")  # the same as a wrong code: no list of who is known
            check = await web_signin.check_code(session, person.id, str(body.get("code") or ""))
        if check is not web_signin.Check.ok:
            raise refused(
                400, {"wrong": "wrong_code", "too_many": "too_many", "expired": "expired_code"}[check]
            )
        async with self.runtime.sessions() as session, session.begin():
            person = await session.get(Person, person.id)
            assert person is not None
            account = await web_signin.web_account(session, person)
            token, _ = await web_signin.open_session(session, account.id, self.seats.lasts())
        response = web.json_response({"ok": True, "name": person.full_name})
        self.seats.set_cookie(response, token)
        return response

    async def sign_in_by_invite(self, request: web.Request) -> web.Response:
        """The first time, before any messenger: the invite code joins a new web account and signs it in."""
        self._client_may_try(request)
        body = await json_body(request)
        code = str(body.get("code") or "")
        if linking.looks_like_link_code(code):
            return await self._sign_in_by_link_code(code)
        async with self.runtime.sessions() as session, session.begin():
            outcome, account = await web_signin.redeem_invite(session, code)
            if outcome is not RedeemOutcome.joined:  # raising rolls the new account back
                error = {RedeemOutcome.used: "invite_used", RedeemOutcome.expired: "invite_expired"}
                raise refused(400, error.get(outcome, "invite_unknown"))
            account.language_code = body.get("lang") or None
            token, _ = await web_signin.open_session(session, account.id, self.seats.lasts())
            name = account.display_name
        response = web.json_response({"ok": True, "name": name})
        self.seats.set_cookie(response, token)
        return response

    async def _sign_in_by_link_code(self, code: str) -> web.Response:
        """A code from «My messengers» of the person's messenger: the web joins them as the same person."""
        async with self.runtime.sessions() as session, session.begin():
            account = await web_signin.redeem_link_code(session, code)
            if account is None:  # raising rolls the try back: the client's own limit counts it
                raise refused(400, "link_unknown")
            token, _ = await web_signin.open_session(session, account.id, self.seats.lasts())
            name = account.display_name
        response = web.json_response({"ok": True, "name": name})
        self.seats.set_cookie(response, token)
        return response

    async def sign_out(self, request: web.Request) -> web.Response:
        token = request.headers.get(SEAT_HEADER) or request.cookies.get(COOKIE, "")
        async with self.runtime.sessions() as session, session.begin():
            await web_signin.end_session(session, token)
        response = web.json_response({"ok": True})
        response.del_cookie(COOKIE, path="/")
        return response

    async def notices(self, request: web.Request) -> web.Response:
        """The person's choice: notices come to this session (while it lasts) or stay with their messenger."""
        seat = await self.seats.of(request)
        on = bool((await json_body(request)).get("on"))
        async with self.runtime.sessions() as session, session.begin():
            await session.execute(
                update(WebSession).where(WebSession.id == seat.session_id).values(notices=on)
            )
            if on:  # refused notices marked the account unreachable: it takes them again
                await session.execute(
                    update(MessengerAccount)
                    .where(MessengerAccount.id == seat.account_id)
                    .values(unreachable_at=None)
                )
        return web.json_response({"ok": True, "notices": on})
