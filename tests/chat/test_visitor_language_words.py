"""The visitor's language reaches the words they read, checked with a small German catalog made
here (the real de catalog is still being translated): a catalog placed first in LOCALE_PATHS
wins over the project's, so a word in it shows whether that language was active.
"""

from __future__ import annotations

import subprocess

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from tests.chat.sockets import LAYERS, connect, frames_until, status, use_layer

GERMAN = {
    "Chat with us": "Chatten Sie mit uns",
    "Frames are JSON objects.": "Frames sind JSON-Objekte.",
    "The transcript is on its way.": "Das Protokoll ist unterwegs.",
}

pytestmark = [pytest.mark.django_db(transaction=True)]


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture
def german_words(tmp_path, settings):
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    entries = [
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n',
        *(f"msgid {quoted(en)}\nmsgstr {quoted(de)}\n" for en, de in GERMAN.items()),
    ]
    (folder / "django.po").write_text("\n".join(entries), encoding="utf-8")
    subprocess.run(
        ["msgfmt", "-o", str(folder / "django.mo"), str(folder / "django.po")], check=True
    )
    # Changing LOCALE_PATHS drops Django's loaded catalogs (django.test.signals).
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]
    yield GERMAN


def speaks_german(desk) -> None:
    desk.tenant.default_language, desk.tenant.languages = "en", ["de"]
    desk.tenant.save(update_fields=["default_language", "languages"])


def test_the_widget_strings_and_the_token_routes_speak_the_visitor_language(desks, german_words):
    acme, _ = desks
    speaks_german(acme)
    words = APIClient().get("/api/v1/t/acme/chat/strings/?lang=de-DE").json()
    assert words["strings"]["launcher"] == "Chatten Sie mit uns"
    english = APIClient().get("/api/v1/t/acme/chat/strings/?lang=en").json()
    assert english["strings"]["launcher"] == "Chat with us"

    started = (
        APIClient()
        .post(
            "/api/v1/t/acme/chats/",
            {"name": "Dora", "email": "dora@example.de", "message": "Hallo"},
            format="json",
            HTTP_ACCEPT_LANGUAGE="de",
        )
        .json()
    )
    visitor = APIClient()
    visitor.credentials(HTTP_AUTHORIZATION=f"Chat {started['token']}")
    # No Accept-Language at all: the chat's language still answers.
    sent = visitor.post(f"/api/v1/t/acme/chats/{started['id']}/transcript/")
    assert sent.json()["detail"] == "Das Protokoll ist unterwegs."


@pytest.mark.parametrize("layer", LAYERS)
async def test_the_visitor_socket_errors_are_in_the_chat_language(
    desks, german_words, settings, layer
):
    acme, _ = desks
    use_layer(layer, settings)
    await database_sync_to_async(speaks_german)(acme)
    started = await database_sync_to_async(
        lambda: (
            APIClient()
            .post(
                "/api/v1/t/acme/chats/",
                {"name": "Dora", "email": "dora@example.de", "message": "Hallo"},
                format="json",
                HTTP_ACCEPT_LANGUAGE="de",
            )
            .json()
        )
    )()
    guest, _ = await connect(started["ws_url"])
    await frames_until(guest, status)
    await guest.send_to(text_data="[1, 2]")
    error = await guest.receive_json_from()
    assert error == {"type": "error", "code": "bad_json", "detail": "Frames sind JSON-Objekte."}
    await guest.disconnect()
