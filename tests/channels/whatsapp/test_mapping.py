"""Twilio's form → Incoming, and Reply → WhatsApp messages, without a network or a database."""

from __future__ import annotations

from bot.channels.whatsapp.inbound import phone_of, to_incoming
from bot.channels.whatsapp.render import MAX_BODY, render, split_text
from bot.core.messages import Button, OutFile, Quiz, Reply
from db.models.enums import Channel
from tests.stand_ins.twilio_api import TwilioStandIn

twilio = TwilioStandIn(account_sid="AC" + "0" * 32, auth_token="t")
KK_CHOICES = [
    {"n": 1, "label": "Бүгінгі кесте", "payload": "tt:today"},
    {"n": 2, "label": "Тапсырмалар", "payload": "asg:list"},
]


def test_text_from_a_person() -> None:
    form = twilio.inbound_form("+77011234567", "Сәлем", profile_name="Айгерім")
    msg = to_incoming(form)
    assert msg.channel is Channel.whatsapp
    assert msg.external_user_id == "+77011234567" == msg.chat_id
    assert msg.text == "Сәлем" and msg.command is None and msg.button is None
    assert msg.display_name == "Айгерім"


def test_phone_from_wa_id_when_from_is_missing() -> None:
    assert phone_of({"WaId": "77011234567"}) == "+77011234567"


def test_a_command_is_parsed() -> None:
    msg = to_incoming(twilio.inbound_form("+77011234567", "/start AB12CD"))
    assert (msg.command, msg.command_args) == ("start", "AB12CD")


def test_numbered_choice_by_number_and_by_label() -> None:
    by_number = to_incoming(twilio.inbound_form("+77011234567", " 2. "), KK_CHOICES)
    assert by_number.button == "asg:list" and by_number.text is None
    by_label = to_incoming(twilio.inbound_form("+77011234567", "бүгінгі  КЕСТЕ"), KK_CHOICES)
    assert by_label.button == "tt:today"


def test_a_number_that_was_not_offered_stays_text() -> None:
    msg = to_incoming(twilio.inbound_form("+77011234567", "7"), KK_CHOICES)
    assert msg.button is None and msg.text == "7"
    assert to_incoming(twilio.inbound_form("+77011234567", "1")).text == "1"  # nothing offered


def test_quiz_option_by_number() -> None:
    choices = [
        {"n": 1, "label": "1945", "quiz": "a7:q3", "option": 0},
        {"n": 2, "label": "1991", "quiz": "a7:q3", "option": 1},
    ]
    msg = to_incoming(twilio.inbound_form("+77011234567", "2"), choices)
    assert msg.quiz_answer is not None
    assert (msg.quiz_answer.quiz_id, msg.quiz_answer.option_ids) == ("a7:q3", (1,))


def test_template_quick_reply_button() -> None:
    # The wire mapping of a template's quick reply is the point: Twilio posts its payload as ButtonPayload.
    form = twilio.inbound_form("+77011234567", "Ашу", button=("menu:main", "Ашу"))
    assert to_incoming(form, KK_CHOICES).button == "menu:main"


def test_media_become_attachments_with_the_caption() -> None:
    form = twilio.inbound_form(
        "+77011234567",
        "Үй тапсырмасы",
        media=[("https://api.twilio.com/a/Media/ME1", "image/jpeg")],
        message_sid="SM" + "a" * 32,
    )
    msg = to_incoming(form, KK_CHOICES)
    assert msg.text == "Үй тапсырмасы" and msg.button is None
    (att,) = msg.attachments
    assert att.kind == "photo" and att.remote_ref.endswith("/ME1") and att.mime == "image/jpeg"
    assert att.filename == "photo-aaaaaaaa-1.jpg"
    pdf = to_incoming(twilio.inbound_form("+77011234567", "", media=[("u", "application/pdf")]))
    assert pdf.attachments[0].kind == "document" and pdf.attachments[0].filename.endswith(".pdf")
    voice = to_incoming(twilio.inbound_form("+77011234567", "", media=[("u", "audio/ogg")]))
    assert voice.attachments[0].kind == "voice"


def test_buttons_become_numbered_choices() -> None:
    reply = Reply(
        text="Мәзір",
        buttons=[
            [Button("Бүгінгі кесте", "tt:today"), Button("Тапсырмалар", "asg:list")],
            [Button("Сайт", "site", url="https://example.kz")],
        ],
    )
    out = render(reply, file_url=lambda f: "", hint="Нөмірін жазыңыз.")
    (msg,) = out.messages
    assert (
        msg.body
        == "Мәзір\n\nСайт: https://example.kz\n\n1. Бүгінгі кесте\n2. Тапсырмалар\n\nНөмірін жазыңыз."
    )
    assert msg.media_url is None
    assert out.choices == KK_CHOICES


def test_a_link_already_in_the_text_is_not_repeated() -> None:
    reply = Reply(
        text="Онлайн сабақ 10:00-де.\nСілтеме: https://meet.example/py",
        buttons=[[Button("Сабаққа қосылу", "url", url="https://meet.example/py")]],
    )
    (msg,) = render(reply, file_url=lambda f: "").messages
    assert msg.body.count("https://meet.example/py") == 1


def test_a_file_too_big_for_whatsapp_goes_as_a_link() -> None:
    reply = Reply(text="Барлық жұмыстар", files=[OutFile(7), OutFile(8)])
    out = render(
        reply,
        file_url=lambda f: f"https://ustaz.example/files/{f.file_name_id}",
        as_link=lambda f: f.file_name_id == 7,
    )
    assert "📎 https://ustaz.example/files/7" in out.messages[0].body
    assert [m.media_url for m in out.messages if m.media_url] == ["https://ustaz.example/files/8"]


def test_quiz_becomes_numbered_options() -> None:
    reply = Reply(quiz=Quiz("Қазақстан тәуелсіздігі қай жылы?", ("1945", "1991"), 1, ref="a7:q3"))
    out = render(reply, file_url=lambda f: "")
    assert out.messages[0].body == "Қазақстан тәуелсіздігі қай жылы?\n\n1. 1945\n2. 1991"
    assert out.choices[1] == {"n": 2, "label": "1991", "quiz": "a7:q3", "option": 1}


def test_long_text_is_split_under_the_limit_and_loses_nothing() -> None:
    paragraph = "Сабақ кестесі өзгерді. " * 30
    text = "\n\n".join([paragraph.strip()] * 6)
    pieces = split_text(text)
    assert len(pieces) > 1 and all(len(p) <= MAX_BODY for p in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())
    unbroken = "ж" * 4000
    assert [len(p) for p in split_text(unbroken)] == [1600, 1600, 800]


def test_files_go_one_per_message_before_the_choices() -> None:
    reply = Reply(
        text="Жаңа тапсырма",
        files=[OutFile(5, "Тапсырма.pdf"), OutFile(6)],
        buttons=[[Button("Тапсыру", "sub:1")]],
    )
    out = render(reply, file_url=lambda f: f"https://bot.example/f/{f.file_name_id}")
    assert [(m.body, m.media_url) for m in out.messages] == [
        ("Жаңа тапсырма", None),
        ("Тапсырма.pdf", "https://bot.example/f/5"),
        ("", "https://bot.example/f/6"),
        ("1. Тапсыру", None),
    ]
