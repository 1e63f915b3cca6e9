"""X-Twilio-Signature: our helper and check agree with the twilio package and its published vector."""

from __future__ import annotations

from multidict import MultiDict
from twilio.request_validator import RequestValidator

from bot.channels.whatsapp.signature import is_signed, public_url
from tests.stand_ins.twilio_api import sign

# Twilio's documented example (twilio-python, -php, -csharp test suites).
TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_published_vector() -> None:
    assert sign(TOKEN, URL, PARAMS) == SIGNATURE
    assert RequestValidator(TOKEN).validate(URL, PARAMS, SIGNATURE)
    assert is_signed(TOKEN, URL, PARAMS, SIGNATURE)


def test_repeated_fields_vector() -> None:
    form = MultiDict(
        [
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ]
    )
    assert sign(TOKEN, URL, {"Sid": "CA123", "SidAccount": "AC123", "Digits": ["5678", "1234", "1234"]}) == (
        "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    )
    assert is_signed(TOKEN, URL, form, "IK+Dwps556ElfBT0I3Rgjkr1wJU=")


def test_anything_changed_is_refused() -> None:
    assert not is_signed("54321", URL, PARAMS, SIGNATURE)
    assert not is_signed(TOKEN, URL + "&baz=3", PARAMS, SIGNATURE)
    assert not is_signed(TOKEN, URL, {**PARAMS, "Digits": "9999"}, SIGNATURE)
    assert not is_signed(TOKEN, URL, PARAMS, None)
    assert not is_signed(TOKEN, URL, PARAMS, "")


def test_public_url_is_what_twilio_signed() -> None:
    # Behind a proxy the bot sees http://127.0.0.1:8080/whatsapp/inbound; Twilio signed the public URL.
    url = public_url("https://ustaz.example.kz/", "/whatsapp/inbound?x=1")
    assert url == "https://ustaz.example.kz/whatsapp/inbound?x=1"
    form = {"Body": "сәлем", "From": "whatsapp:+77011234567"}
    signature = sign(TOKEN, url, form)
    assert is_signed(TOKEN, url, form, signature)
    assert not is_signed(TOKEN, "http://127.0.0.1:8080/whatsapp/inbound?x=1", form, signature)
