"""The issue's "done when" story, end to end through the API and portal, on PostgreSQL, with
the emails going through a real SMTP server on loopback."""

import email
import socket

import pytest
from aiosmtpd.controller import Controller
from django.core.files.uploadedfile import SimpleUploadedFile

from core.outbox import relay_pending
from tests.conftest import api_client, login
from tests.tickets.test_attachments import PNG


class Inbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def for_(self, address: str) -> list:
        return [m for m in self.messages if address in m["To"]]


def text_of(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    return ""


@pytest.fixture
def smtp(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


@pytest.mark.postgres
def test_submit_reply_see_reply_close_and_rate(client, desks, smtp):
    acme, globex = desks
    login(client, acme.customer)
    client.post(
        "/t/acme/portal/new/",
        {
            "subject": "Export fails",
            "priority": "normal",
            "description": "Steps: Reports > Export. <b>bold?</b>",
            "files": [SimpleUploadedFile("error.png", PNG)],
        },
    )
    relay_pending()
    received = smtp.for_(acme.customer.email)
    assert len(received) == 1 and received[0]["Subject"].startswith("[ACME-1]")
    assert "/t/acme/tickets/1/" in text_of(received[0])

    agent = api_client(acme.agent)
    assert (
        agent.post(
            "/api/v1/t/acme/tickets/1/messages/",
            {"body": "Fixed in 2.4 <script>x</script>"},
            format="json",
        ).status_code
        == 201
    )
    relay_pending()
    reply_mail = smtp.for_(acme.customer.email)[-1]
    assert "New reply" in reply_mail["Subject"] and "reply in the portal" in text_of(reply_mail)
    html = [p for p in reply_mail.walk() if p.get_content_type() == "text/html"][0]
    assert "<script>" not in html.get_payload(decode=True).decode()

    page = client.get("/t/acme/tickets/1/").content.decode()
    assert "Fixed in 2.4" in page and "<script>x" not in page and "Awaiting customer" in page

    client.post("/t/acme/tickets/1/", {"body": "Works now, thanks"})
    client.post("/t/acme/tickets/1/close/")
    client.post("/t/acme/tickets/1/rate/", {"rating": "5"})
    ticket = api_client(acme.customer).get("/api/v1/t/acme/tickets/1/").json()
    assert ticket["status"] == "closed" and ticket["closed_at"]
    events = [e["type"] for e in agent.get("/api/v1/t/acme/tickets/1/events/").json()["results"]]
    assert events[0] == "created" and "replied" in events and events[-1] == "rated"
    assert api_client(globex.agent).get("/api/v1/t/acme/tickets/1/").status_code == 404
    relay_pending()
    assert any("closed" in m["Subject"] for m in smtp.for_(acme.customer.email))
