"""The web chat: a channel for people without a messenger and for staff at a desk.

People sign in with a code sent to their own messenger, or their invite code the first time
(signin.py); the demo's person picker exists only for the demo school on a loopback address.
chat.py carries the conversation, delivery.py what the outbox sends to a seat, texts.py the
page's own words.
"""

from __future__ import annotations

from aiohttp import web

from bot.channels.webchat.chat import STATIC, WebchatApi
from bot.channels.webchat.delivery import WebchatHub, WebchatSender, WebFileFetcher
from bot.channels.webchat.signin import Seats, SignInApi
from bot.channels.webchat.texts import texts
from bot.runtime import Runtime
from db.models import Channel

__all__ = ["WebFileFetcher", "WebchatHub", "WebchatSender", "setup_webchat"]


def setup_webchat(runtime: Runtime, app: web.Application, serve_page: bool) -> WebchatHub:
    """Registers the web chat's sender and file fetcher always (seats may get notices),
    and its page and API when the web chat is on."""
    hub = WebchatHub()
    upload_dir = runtime.settings.files_dir / "uploads"
    runtime.channel_senders[Channel.web] = WebchatSender(runtime, hub)
    runtime.file_fetchers[Channel.web] = WebFileFetcher(upload_dir)
    if serve_page:
        seats = Seats(runtime)
        api = WebchatApi(runtime, hub, upload_dir, seats)
        signin = SignInApi(runtime, seats)
        app.router.add_get("/", api.index)
        app.router.add_static("/webchat/", STATIC)
        app.router.add_get("/api/webchat/texts", texts)
        app.router.add_get("/api/webchat/me", signin.me)
        app.router.add_post("/api/webchat/code", signin.ask_code)
        app.router.add_post("/api/webchat/signin", signin.sign_in)
        app.router.add_post("/api/webchat/invite", signin.sign_in_by_invite)
        app.router.add_post("/api/webchat/signout", signin.sign_out)
        app.router.add_post("/api/webchat/notices", signin.notices)
        app.router.add_get("/api/webchat/people", api.people)
        app.router.add_post("/api/webchat/seat", api.seat)
        app.router.add_post("/api/webchat/send", api.send)
        app.router.add_get("/api/webchat/messages", api.messages)
    return hub
