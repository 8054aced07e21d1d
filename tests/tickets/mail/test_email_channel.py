"""The email channel end to end (CONTRACT section 9), through a real IMAP server (dovecot) and a
real SMTP server (aiosmtpd): a customer opens and carries on a ticket by email."""

import io

import pytest
from django.core.management import call_command

from accounts.tenancy import tenant_scope
from core.outbox import relay_pending
from tests.parallel import in_parallel
from tests.tickets.helpers import as_actor
from tests.tickets.mail.messages import build
from tickets import services
from tickets.mail import imap
from tickets.mail.ingest import ingest, retry
from tickets.mail.models import InboundEmail
from tickets.models import Attachment, Channel, Message, Ticket


def poll() -> str:
    out = io.StringIO()
    call_command("poll_mailboxes", stdout=out)
    return out.getvalue()


def tickets_of(desk) -> list[Ticket]:
    with tenant_scope(desk.tenant):
        return list(Ticket.objects.order_by("number"))


def inbound(desk) -> list[InboundEmail]:
    with tenant_scope(desk.tenant):
        return list(InboundEmail.objects.order_by("received_at"))


def customer_email(desk, mailbox, **fields) -> bytes:
    fields.setdefault("sender", f"Carla Customer <{desk.customer.email}>")
    return build(to=mailbox.address, **fields)


def open_by_email(desks, dovecot, mailbox, smtp, **fields):
    acme = desks[0]
    raw = customer_email(acme, mailbox, **fields)
    dovecot.deliver(mailbox.username, raw)
    poll()
    relay_pending()
    (ticket,) = tickets_of(acme)
    return ticket, raw


def test_a_customer_email_opens_a_ticket_acknowledged_with_its_reference(
    desks, dovecot, acme_mailbox, smtp
):
    acme = desks[0]
    dovecot.deliver(acme_mailbox.username, customer_email(acme, acme_mailbox))

    summary = poll()
    relay_pending()

    assert "1 messages fetched: 1 ingested" in summary
    (ticket,) = tickets_of(acme)
    assert ticket.channel == Channel.EMAIL and ticket.requester == acme.customer
    assert ticket.subject == "Printer on fire" and "It is on fire." in ticket.description
    (ack,) = smtp.to(acme.customer.email)
    assert f"[{ticket.reference}]" in ack["Subject"]
    assert ack["Reply-To"] == acme_mailbox.address
    assert "Acme Support" in ack["From"]
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["Message-ID"] and ack["References"]
    assert "Reply to this email or in the portal" in ack.get_body(("plain",)).get_content()
    # Ingested messages are marked read; the next poll finds nothing.
    assert dovecot.unseen(acme_mailbox.username) == 0
    assert "0 messages fetched" in poll()
    assert len(tickets_of(acme)) == 1


def test_the_processed_folder_receives_what_was_ingested(desks, dovecot, smtp):
    from tests.tickets.mail.conftest import make_mailbox

    acme = desks[0]
    mailbox = make_mailbox(acme, dovecot, processed_folder="Processed")
    conn = dovecot.connect(mailbox.username)
    conn.create("Processed")
    conn.logout()
    dovecot.deliver(mailbox.username, customer_email(acme, mailbox))

    poll()

    assert dovecot.count(mailbox.username) == 0
    assert dovecot.count(mailbox.username, "Processed") == 1
    assert len(tickets_of(acme)) == 1


def test_an_agent_reply_reaches_the_customer_threaded_and_answerable(
    desks, dovecot, acme_mailbox, smtp
):
    acme = desks[0]
    ticket, raw = open_by_email(
        desks, dovecot, acme_mailbox, smtp, message_id="<first@client.test>"
    )
    smtp.messages.clear()

    with tenant_scope(acme.tenant):
        services.ticket_reply(actor=as_actor(acme, acme.agent), ticket=ticket, body="Unplug it.")
    relay_pending()

    (reply,) = smtp.to(acme.customer.email)
    assert "New reply" in reply["Subject"] and f"[{ticket.reference}]" in reply["Subject"]
    assert reply["In-Reply-To"] == "<first@client.test>"
    assert "<first@client.test>" in reply["References"]
    assert f".t{ticket.pk}." in reply["Message-ID"]
    assert reply["Reply-To"] == acme_mailbox.address
    assert reply["Auto-Submitted"] is None  # a person's answer
    text = reply.get_body(("plain",)).get_content()
    assert "Unplug it." in text and "Reply to this email or in the portal" in text


def test_the_customers_reply_by_email_continues_the_ticket_without_the_quote(
    desks, dovecot, acme_mailbox, smtp
):
    acme = desks[0]
    ticket, _ = open_by_email(desks, dovecot, acme_mailbox, smtp)
    with tenant_scope(acme.tenant):
        services.ticket_reply(actor=as_actor(acme, acme.agent), ticket=ticket, body="Unplug it.")
    relay_pending()
    agent_mail = smtp.to(acme.customer.email)[-1]
    body = (
        "Unplugged, it works now. Thanks!\n\n"
        "On Wed, 2 Dec 2026 at 10:00, Acme Support <support@acme.example> wrote:\n"
        "> Unplug it.\n> \n> Reply to this email or in the portal\n"
    )
    reply = customer_email(
        acme, acme_mailbox, subject="Re: " + agent_mail["Subject"], body=body,
        headers={"In-Reply-To": agent_mail["Message-ID"], "References": agent_mail["References"]
                 + " " + agent_mail["Message-ID"]},
    )  # fmt: skip
    dovecot.deliver(acme_mailbox.username, reply)

    poll()

    assert len(tickets_of(acme)) == 1
    with tenant_scope(acme.tenant):
        last = Message.objects.filter(ticket=ticket).order_by("created_at").last()
        assert last.role == "customer" and last.body == "Unplugged, it works now. Thanks!"
        (original,) = Attachment.objects.filter(message=last)
        assert original.name == "original-message.txt"
        assert b"> Unplug it." in original.file.read()
        ticket.refresh_from_db()
    assert ticket.status == "awaiting_response"  # back to the agents, as from the portal


def test_a_reply_from_another_address_with_the_reference_opens_a_linked_ticket(
    desks, dovecot, acme_mailbox, smtp
):
    acme = desks[0]
    ticket, _ = open_by_email(desks, dovecot, acme_mailbox, smtp)
    other = build(sender="Boss <boss@elsewhere.example>", to=acme_mailbox.address,
                  subject=f"Re: [{ticket.reference}] Printer on fire", body="Me too.")  # fmt: skip
    dovecot.deliver(acme_mailbox.username, other)

    poll()

    first, second = tickets_of(acme)
    assert first.pk == ticket.pk
    assert second.follow_up_of_id == ticket.pk and second.channel == Channel.EMAIL
    assert second.contact_email == "boss@elsewhere.example" and second.requester is None
    with tenant_scope(acme.tenant):
        assert ticket.messages.count() == 0  # nothing posted on the first ticket


def test_a_reply_by_reference_alone_from_the_requester_continues_the_ticket(
    desks, dovecot, acme_mailbox, smtp
):
    acme = desks[0]
    ticket, _ = open_by_email(desks, dovecot, acme_mailbox, smtp)
    subject = f"AW: [{ticket.reference}] Printer"
    raw = customer_email(acme, acme_mailbox, subject=subject, body="Still broken.")
    dovecot.deliver(acme_mailbox.username, raw)

    poll()

    assert len(tickets_of(acme)) == 1
    with tenant_scope(acme.tenant):
        assert ticket.messages.get().body == "Still broken."


def test_the_same_message_polled_twice_or_piped_again_makes_one_ticket(
    desks, dovecot, acme_mailbox, smtp
):
    acme = desks[0]
    raw = customer_email(acme, acme_mailbox)
    dovecot.deliver(acme_mailbox.username, raw, raw)  # the server holds it twice

    assert "2 messages fetched: 1 duplicate, 1 ingested" in poll()
    out = io.StringIO()
    call_command("receive_email", tenant="acme", stdin=io.BytesIO(raw), stdout=out)

    assert "duplicate" in out.getvalue()
    assert len(tickets_of(acme)) == 1 and len(inbound(acme)) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_pollers_at_once_ingest_each_message_once(desks, dovecot, acme_mailbox, smtp):
    acme = desks[0]
    raws = [customer_email(acme, acme_mailbox, subject=f"Problem {n}") for n in range(6)]
    dovecot.deliver(acme_mailbox.username, *raws)

    def poller():
        with tenant_scope(acme.tenant):
            return imap.poll(acme_mailbox).counts

    results = in_parallel(poller, poller, poller)

    assert sum(r.get("ingested", 0) for r in results) == 6
    assert len(tickets_of(acme)) == 6
    assert len(inbound(acme)) == 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_message_ingested_by_parallel_workers_makes_one_ticket(desks):
    acme = desks[0]
    raw = customer_email(acme, type("M", (), {"address": "support@acme.example"}))

    def worker():
        with tenant_scope(acme.tenant):
            return ingest(tenant=acme.tenant, raw=raw).status

    statuses = in_parallel(*[worker] * 5)

    assert sorted(statuses) == ["duplicate"] * 4 + ["ingested"]
    assert len(tickets_of(acme)) == 1


@pytest.mark.parametrize(
    "headers, sender, why",
    [
        ({"Auto-Submitted": "auto-replied"}, "customer", "Auto-Submitted"),
        ({"Precedence": "list", "List-Id": "<news.example>"}, "customer", "Precedence: list"),
        ({"Precedence": "bulk"}, "customer", "Precedence: bulk"),
        ({}, "MAILER-DAEMON@mx.example", "Delivery status notification"),
        ({}, "support@acme.example", "help desk itself"),
    ],
)
def test_automatic_mail_opens_no_ticket_and_gets_no_acknowledgement(
    desks, dovecot, acme_mailbox, smtp, headers, sender, why
):
    acme = desks[0]
    sender = acme.customer.email if sender == "customer" else sender
    dovecot.deliver(acme_mailbox.username, customer_email(
        acme, acme_mailbox, sender=sender, headers=headers, subject="Out of office"))  # fmt: skip

    poll()
    relay_pending()

    assert tickets_of(acme) == [] and smtp.messages == []
    (row,) = inbound(acme)
    assert row.status == "ignored" and why in row.reason
    assert dovecot.unseen(acme_mailbox.username) == 0  # recorded, not fetched again


def test_a_bounce_report_opens_no_ticket(desks, dovecot, acme_mailbox, smtp):
    acme = desks[0]
    bounce = (
        b"From: Mail Delivery System <mailer@mx.example>\r\nTo: support@acme.example\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce1@mx.example>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
        b' boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n'
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n"
        b"\r\nFinal-Recipient: rfc822; x@y.example\r\nAction: failed\r\nStatus: 5.1.1\r\n--B--\r\n"
    )
    dovecot.deliver(acme_mailbox.username, bounce)

    poll()
    relay_pending()

    assert tickets_of(acme) == [] and smtp.messages == []
    assert "multipart/report" in inbound(acme)[0].reason


def test_an_unknown_charset_and_8bit_headers_are_read_as_best_they_can(desks, acme_mailbox):
    acme = desks[0]
    raw = (
        "From: Jürgen Müller <jm@kunde.example>\r\nTo: support@acme.example\r\n"
        "Subject: Drucker läuft nicht\r\nMessage-ID: <8bit@kunde.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-unknown-charset\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\nDer Drucker druckt nur Striche. Grüße\r\n"
    ).encode()

    with tenant_scope(acme.tenant):
        result = ingest(tenant=acme.tenant, raw=raw, mailbox=acme_mailbox)

    assert result.status == "ingested"
    ticket = result.ticket
    assert ticket.subject == "Drucker läuft nicht"
    assert ticket.contact_name == "Jürgen Müller" and ticket.contact_email == "jm@kunde.example"
    assert "Grüße" in ticket.description


def test_html_mail_is_made_text_and_an_html_attachment_is_dropped_with_a_note(desks, acme_mailbox):
    acme = desks[0]
    raw = build(
        sender=acme.customer.email, to=acme_mailbox.address, body="",
        html="<p>Hello <b>team</b></p><script>alert(1)</script><p>See the log.</p>",
        attachments=[("page.html", b"<html><script>alert(1)</script></html>", "text/html"),
                     ("log.txt", b"error 42\n", "text/plain")],
    )  # fmt: skip
    # Only the HTML alternative: drop the (empty) plain part the builder made.
    raw = raw.replace(
        b'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: 7bit\n\n\n', b""
    )

    with tenant_scope(acme.tenant):
        result = ingest(tenant=acme.tenant, raw=raw, mailbox=acme_mailbox)
        ticket = result.ticket
        names = sorted(ticket.attachments.values_list("name", flat=True))
        note = ticket.messages.get(internal=True)

    assert result.status == "ingested"
    assert "Hello team" in ticket.description and "See the log." in ticket.description
    assert "alert" not in ticket.description
    assert names == ["log.txt"]
    assert "page.html" in note.body and note.role == "system"


def test_oversized_and_unparseable_messages_are_quarantined_with_a_reason_and_retried(
    desks, dovecot, acme_mailbox, smtp, settings
):
    acme = desks[0]
    settings.EMAIL_INBOUND_MAX_BYTES = 2000
    big = customer_email(acme, acme_mailbox, subject="Big", body="x" * 5000)
    broken = (
        b"From: someone@kunde.example\r\nTo: support@acme.example\r\nSubject: Broken\r\n"
        b"Message-ID: <broken@kunde.example>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed\r\n\r\n\x00\x01garbage without any boundary\r\n"
    )
    dovecot.deliver(acme_mailbox.username, big, broken)

    poll()

    assert tickets_of(acme) == []
    rows = {row.subject: row for row in inbound(acme)}
    assert rows["Big"].status == "quarantined" and "Too large" in rows["Big"].reason
    assert rows["Broken"].status == "quarantined" and "MIME" in rows["Broken"].reason
    assert bytes(rows["Big"].raw) == big.replace(b"\n", b"\r\n") or len(rows["Big"].raw) > 5000

    with tenant_scope(acme.tenant):  # the admin looked at it and retries: past the size limit
        assert retry(rows["Big"]).status == "ingested"
        assert retry(rows["Broken"]).status == "quarantined"
    (ticket,) = tickets_of(acme)
    assert ticket.subject == "Big"


def test_new_tickets_and_acknowledgements_per_sender_are_limited(
    desks, acme_mailbox, smtp, settings
):
    acme = desks[0]
    settings.EMAIL_NEW_TICKETS_PER_HOUR, settings.EMAIL_ACKS_PER_HOUR = 3, 2
    with tenant_scope(acme.tenant):
        results = [
            ingest(
                tenant=acme.tenant,
                mailbox=acme_mailbox,
                raw=customer_email(acme, acme_mailbox, subject=f"Loop {n}"),
            )  # fmt: skip
            for n in range(4)
        ]
    relay_pending()

    assert [r.status for r in results] == ["ingested"] * 3 + ["quarantined"]
    assert "Rate limited" in results[3].reason
    acks = [m for m in smtp.to(acme.customer.email) if "received" in m["Subject"]]
    assert len(acks) == 2


def test_one_tenants_mailbox_never_creates_tickets_in_another(
    desks, dovecot, acme_mailbox, globex_mailbox, smtp
):
    acme, globex = desks
    acme_ticket, _ = open_by_email(desks, dovecot, acme_mailbox, smtp)
    # The acme customer writes to globex, naming their acme ticket both ways.
    root = f"<ticket.t{acme_ticket.pk}.{acme.tenant.pk}@desk.test>"
    subject = f"Re: [{acme_ticket.reference}] more"
    sneaky = customer_email(acme, globex_mailbox, subject=subject, headers={"In-Reply-To": root})
    dovecot.deliver(globex_mailbox.username, sneaky)

    poll()

    (globex_ticket,) = tickets_of(globex)
    assert globex_ticket.follow_up_of_id is None and globex_ticket.contact_email
    assert len(tickets_of(acme)) == 1
    with tenant_scope(acme.tenant):
        assert acme_ticket.messages.count() == 0


def test_the_pipe_command_ingests_a_message(desks, capsys):
    acme = desks[0]
    raw = build(sender=acme.customer.email, to="support@acme.example", subject="Piped")
    out = io.StringIO()

    call_command("receive_email", tenant="acme", stdin=io.BytesIO(raw), stdout=out)

    assert "ingested new_ticket ticket ACME-1" in out.getvalue()
    (ticket,) = tickets_of(acme)
    assert ticket.subject == "Piped" and ticket.channel == Channel.EMAIL


def test_auto_submitted_no_is_a_persons_mail(desks, acme_mailbox):
    acme = desks[0]
    raw = customer_email(acme, acme_mailbox, headers={"Auto-Submitted": "no"})
    with tenant_scope(acme.tenant):
        assert ingest(tenant=acme.tenant, raw=raw, mailbox=acme_mailbox).status == "ingested"


def test_portal_tickets_say_how_to_answer_with_and_without_a_mailbox(desks, dovecot, smtp):
    from tests.tickets.helpers import open_ticket
    from tests.tickets.mail.conftest import make_mailbox

    acme, globex = desks
    make_mailbox(acme, dovecot)
    open_ticket(acme)
    open_ticket(globex)  # globex has no mailbox
    relay_pending()

    (with_mailbox,) = smtp.to(acme.customer.email)
    (without,) = smtp.to(globex.customer.email)
    assert with_mailbox["Reply-To"] == "support@acme.example"
    assert "Reply to this email or in the portal" in with_mailbox.get_body(("plain",)).get_content()
    assert without["Reply-To"] is None and without["References"]
    assert "Please reply in the portal" in without.get_body(("plain",)).get_content()


def test_a_message_longer_than_a_ticket_takes_is_cut_with_the_whole_text_attached(
    desks, acme_mailbox, settings
):
    acme = desks[0]
    settings.MESSAGE_MAX_CHARS = 1000
    raw = customer_email(acme, acme_mailbox, body="word " * 1000)
    with tenant_scope(acme.tenant):
        result = ingest(tenant=acme.tenant, raw=raw, mailbox=acme_mailbox)
        (original,) = result.ticket.attachments.all()
        assert original.file.read().count(b"word") == 1000

    assert result.status == "ingested"
    assert len(result.ticket.description) <= 1000 and "[cut" in result.ticket.description
