from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tenancy import tenant_scope
from tests.conftest import login
from tests.tickets.helpers import as_actor, open_ticket
from tests.tickets.test_attachments import PNG
from tickets import services
from tickets.models import Category, Ticket

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_the_new_ticket_form_guides_and_creates_with_a_screenshot(client, desks):
    acme, _ = desks
    login(client, acme.customer)
    page = client.get("/t/acme/portal/new/")
    assert page.status_code == 200
    assert b"steps to reproduce" in page.content and b"Never paste passwords" in page.content
    with tenant_scope(acme.tenant):
        technical = Category.objects.get(slug="technical")
    response = client.post(
        "/t/acme/portal/new/",
        {
            "subject": "Crash on save",
            "category": technical.pk,
            "priority": "normal",
            "description": "Steps: click save.",
            "files": [SimpleUploadedFile("shot.png", PNG)],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert b"ACME-1" in response.content and b"shot.png" in response.content


def test_a_missing_subject_is_a_form_error_not_a_500(client, desks):
    acme, _ = desks
    login(client, acme.customer)
    response = client.post("/t/acme/portal/new/", {"description": "x", "priority": "normal"})
    assert response.status_code == 200
    assert b"This field is required" in response.content


def test_my_requests_lists_only_mine_with_status_and_priority(client, desks):
    acme, _ = desks
    open_ticket(acme, subject="Mine")
    open_ticket(acme, acme.agent, subject="Agent's own")
    login(client, acme.customer)
    page = client.get("/t/acme/portal/").content.decode()
    assert "Mine" in page and "Agent&#x27;s own" not in page and "Agent's own" not in page
    assert "Awaiting response" in page and "Normal" in page


def test_the_ticket_page_escapes_what_people_type_and_hides_internal_notes(client, desks):
    acme, _ = desks
    ticket = open_ticket(acme, subject=XSS, description=XSS)
    with tenant_scope(acme.tenant):
        services.ticket_note(actor=as_actor(acme, acme.agent), ticket=ticket, body="internal only")
        services.ticket_reply(actor=as_actor(acme, acme.agent), ticket=ticket, body=XSS)
    login(client, acme.customer)
    page = client.get(f"/t/acme/tickets/{ticket.number}/").content.decode()
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page
    assert "internal only" not in page
    login(client, acme.agent)  # sent on to the workspace, which shows internal notes
    page = client.get(f"/t/acme/tickets/{ticket.number}/", follow=True).content.decode()
    assert "internal only" in page and "<script>" not in page


def test_the_customer_replies_closes_and_rates_from_the_page(client, desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    login(client, acme.customer)
    url = f"/t/acme/tickets/{ticket.number}/"
    client.post(url, {"body": "More details"}, follow=True)
    client.post(url + "close/", follow=True)
    page = client.post(url + "rate/", {"rating": "4", "comment": "ok"}, follow=True)
    assert b"You rated this 4 / 5" in page.content
    with tenant_scope(acme.tenant):
        assert Ticket.objects.get(pk=ticket.pk).feedback.rating == 4


def test_an_outsider_gets_404_on_every_portal_page(client, desks):
    acme, globex = desks
    ticket = open_ticket(acme)
    login(client, globex.customer)
    for path in ["/t/acme/portal/", "/t/acme/portal/new/", f"/t/acme/tickets/{ticket.number}/"]:
        assert client.get(path).status_code == 404
    assert client.post(f"/t/acme/tickets/{ticket.number}/close/").status_code == 404


def test_the_portal_list_uses_a_constant_number_of_queries(
    client, desks, django_assert_max_num_queries
):
    acme, _ = desks
    login(client, acme.customer)  # agents have their dashboard (tests/tickets/agent/)
    open_ticket(acme)
    with django_assert_max_num_queries(30) as few:
        client.get("/t/acme/portal/")
    for _ in range(10):
        open_ticket(acme)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/t/acme/portal/").content.count(b"ACME-") >= 11


def test_the_tenant_admin_lists_its_tickets_and_categories_only(client, desks):
    acme, globex = desks
    mine = open_ticket(acme, subject="Acme trouble")
    open_ticket(globex, subject="Globex trouble")
    login(client, acme.admin)
    page = client.get("/t/acme/admin/tickets/ticket/").content.decode()
    assert "Acme trouble" in page and "Globex trouble" not in page
    detail = client.get(f"/t/acme/admin/tickets/ticket/{mine.pk}/change/")
    assert detail.status_code == 200 and b"Acme trouble" in detail.content
    assert client.get("/t/acme/admin/tickets/category/").status_code == 200


def test_a_category_changed_in_the_tenant_admin_is_audited_like_any_change(client, desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    with tenant_scope(acme.tenant):
        billing = Category.objects.get(slug="billing")
    login(client, acme.admin)
    inline = {"messages-TOTAL_FORMS": "0", "messages-INITIAL_FORMS": "0"}
    current = {"status": ticket.status, "priority": ticket.priority, "tier": ticket.tier}
    response = client.post(
        f"/t/acme/admin/tickets/ticket/{ticket.pk}/change/",
        {"category": billing.pk, "assignee": "", **current, **inline},
    )
    assert response.status_code == 302
    with tenant_scope(acme.tenant):
        ticket = Ticket.objects.get(pk=ticket.pk)
        assert ticket.category_id == billing.pk
        event = ticket.events.get(type="category_changed")
        assert (event.actor_id, event.data["new"]) == (acme.admin.pk, "billing")
