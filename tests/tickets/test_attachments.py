from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import api_client
from tests.tickets.helpers import open_ticket

T = "/api/v1/t/acme"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_a_screenshot_is_stored_and_served_only_as_a_safe_download(desks):
    acme, globex = desks
    response = api_client(acme.customer).post(
        f"{T}/tickets/",
        {
            "subject": "See screenshot",
            "description": "attached",
            "files": [upload("shot.png", PNG)],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    attachment = response.json()["attachments"][0]
    assert attachment["content_type"] == "image/png" and attachment["name"] == "shot.png"
    download = api_client(acme.agent).get(attachment["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "sandbox"
    assert api_client(globex.agent).get(attachment["url"]).status_code == 404
    assert api_client().get(attachment["url"]).status_code == 401


def test_html_and_svg_are_refused_by_content_whatever_their_name(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    url = f"{T}/tickets/{ticket.number}/messages/"
    for name, content in [
        ("notes.txt", b"<!DOCTYPE html><html><script>alert(1)</script>"),
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("tool.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 64),
    ]:
        response = api_client(acme.customer).post(
            url, {"body": "see file", "files": [upload(name, content)]}, format="multipart"
        )
        assert response.status_code == 400, name
        assert "not accepted" in response.json()["detail"]


def test_a_plain_text_log_is_accepted(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    response = api_client(acme.customer).post(
        f"{T}/tickets/{ticket.number}/messages/",
        {"body": "log", "files": [upload("app.log", b"ERROR 2026-11-22 boom\n")]},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["attachments"][0]["content_type"] == "text/plain"


def test_an_oversized_file_is_a_json_413_and_nothing_is_stored(desks, settings):
    acme, _ = desks
    settings.ATTACHMENT_MAX_BYTES = 1024
    ticket = open_ticket(acme)
    response = api_client(acme.customer).post(
        f"{T}/tickets/{ticket.number}/messages/",
        {"body": "big", "files": [upload("big.log", b"a" * 300_000)]},
        format="multipart",
    )
    assert response.status_code == 413
    assert "at most" in response.json()["detail"]
    thread = api_client(acme.customer).get(f"{T}/tickets/{ticket.number}/messages/").json()
    assert thread["count"] == 0


def test_a_customer_cannot_download_a_file_on_an_internal_note(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    note = api_client(acme.agent).post(
        f"{T}/tickets/{ticket.number}/messages/",
        {"body": "internal", "internal": "true", "files": [upload("n.log", b"secret\n")]},
        format="multipart",
    )
    assert note.status_code == 201, note.json()
    url = note.json()["attachments"][0]["url"]
    assert api_client(acme.customer).get(url).status_code == 404
    assert api_client(acme.agent).get(url).status_code == 200
