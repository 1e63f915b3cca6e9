"""The web chat page's own words, translated here like every text a person sees.

The page asks for them in its language (GET /api/webchat/texts?lang=kk); errors of the API are
keys of this table, so the page says them in the person's language too.
"""

from __future__ import annotations

from aiohttp import web

from bot.i18n import LOCALES, N_, Translator

TEXTS = {
    "signin_title": N_("Sign in to Ustaz"),
    "who_label": N_("Your phone number, IIN or Telegram @username"),
    "ask_code": N_("Send me a code"),
    "code_sent": N_(
        "If we know you, a code is on its way to your Telegram or WhatsApp. Enter it here. "
        "No messenger yet? Sign in with your invite code below."
    ),
    "code_label": N_("Code from the message"),
    "sign_in": N_("Sign in"),
    "invite_label": N_("First time here? Your invite code, or a link code from «My messengers»"),
    "invite_button": N_("Sign in with the invite code"),
    "wrong_code": N_("This code is not right. Check it and enter it again."),
    "too_many": N_("Too many wrong tries with this code. Ask for a new one."),
    "expired_code": N_("This code has expired or was already used. Ask for a new one."),
    "slow_down": N_("Too many tries from here. Wait a few minutes and try again."),
    "invite_unknown": N_("This invite code is not known. Check it and send it again."),
    "invite_used": N_("This invite code has already been used. Ask your organization for a new one."),
    "invite_expired": N_("This invite code has expired. Ask your organization for a new one."),
    "link_unknown": N_(
        "This link code is not known or has expired (codes last 15 minutes and work once). "
        "Ask for a new one in «My messengers»."
    ),
    "signed_out": N_("You are signed out: the session has ended. Sign in again."),
    "bad_request": N_("Something went wrong. Reload the page and try again."),
    "sign_out": N_("Sign out"),
    "notices_here": N_("Get notices here, not in my messenger"),
    "attach": N_("File"),
    "send": N_("Send"),
    "demo_title": N_("Demo school: pick anyone"),
}


def texts_for(locale: str) -> dict[str, str]:
    t = Translator(locale if locale in LOCALES else LOCALES[0])
    return {key: t.gettext(msgid) for key, msgid in TEXTS.items()}


async def texts(request: web.Request) -> web.Response:
    return web.json_response(texts_for(request.query.get("lang", "")))
