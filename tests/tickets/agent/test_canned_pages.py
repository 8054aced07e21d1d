"""An agent manages their own canned responses at /t/<tenant>/agent/canned/; the shared ones
are the tenant admin's; a reply that uses one counts it and applies its status and priority."""

from django.core.management import call_command
from django_scopes import scopes_disabled

from accounts.tenancy import tenant_scope
from tests.tickets.agent.canned_helpers import canned, usage
from tests.tickets.helpers import open_ticket
from tickets.models import CannedResponse, Ticket

PAGE = "/t/acme/agent/canned/"


def _own(desk, user) -> list[CannedResponse]:
    with tenant_scope(desk.tenant):
        return list(CannedResponse.objects.filter(owner=user))


def test_an_agent_creates_edits_and_deletes_their_own(desks, browse):
    acme, _ = desks
    agent = browse(acme.agent)
    created = agent.post(PAGE, {"title": "Thanks", "body": "Thanks {{ requester.first_name }}!",
                                "status": "closed", "priority": ""})  # fmt: skip
    assert created.status_code == 302
    (mine,) = _own(acme, acme.agent)
    assert (mine.title, mine.status, mine.priority) == ("Thanks", "closed", "")
    assert "Thanks {{ requester.first_name }}!" in agent.get(PAGE).content.decode()
    edit = f"{PAGE}{mine.pk}/"
    assert agent.get(edit).status_code == 200
    saved = agent.post(edit, {"title": "Thanks!", "body": "Bye", "status": "", "priority": "low"})
    assert saved.status_code == 302
    (mine,) = _own(acme, acme.agent)
    assert (mine.title, mine.body, mine.priority) == ("Thanks!", "Bye", "low")
    assert agent.post(edit, {"action": "delete"}).status_code == 302
    assert _own(acme, acme.agent) == []


def test_a_blank_title_is_a_form_error(desks, browse):
    acme, _ = desks
    response = browse(acme.agent).post(PAGE, {"title": " ", "body": "x"})
    assert response.status_code == 400 and "This field is required." in response.content.decode()


def test_shared_and_other_agents_responses_are_not_editable_here(desks, browse):
    acme, globex = desks
    shared = canned(acme, title="Shared")
    theirs = canned(acme, owner=acme.tier2, title="Theirs")
    agent = browse(acme.agent)
    for item in (shared, theirs):
        assert agent.get(f"{PAGE}{item.pk}/").status_code == 404
        assert agent.post(f"{PAGE}{item.pk}/", {"action": "delete"}).status_code == 404
    page = agent.get(PAGE).content.decode()
    assert "Shared" in page and "Theirs" not in page
    assert browse(acme.customer).get(PAGE).status_code == 403
    assert browse(globex.admin).get(PAGE).status_code == 404
    with tenant_scope(acme.tenant):
        assert CannedResponse.objects.count() == 2


def test_tenant_admins_manage_the_shared_ones_in_the_tenant_admin(desks, browse):
    acme, globex = desks
    admin = browse(acme.admin)
    added = admin.post(
        "/t/acme/admin/tickets/cannedresponse/add/",
        {"title": "Welcome", "body": "Hi {{ requester.first_name }}", "status": "", "priority": ""},
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    with tenant_scope(acme.tenant):
        item = CannedResponse.objects.get(title="Welcome")
    assert item.owner is None and item.tenant == acme.tenant
    own = canned(acme, owner=acme.agent, title="Private")
    listing = admin.get("/t/acme/admin/tickets/cannedresponse/").content.decode()
    assert "Welcome" in listing and "Private" not in listing  # agents' own stay theirs
    assert admin.get(f"/t/acme/admin/tickets/cannedresponse/{own.pk}/change/").status_code == 302
    assert browse(acme.agent).get("/t/acme/admin/tickets/cannedresponse/").status_code in (302, 403)
    other = browse(globex.admin).get(f"/t/globex/admin/tickets/cannedresponse/{item.pk}/change/")
    assert other.status_code in (302, 404)


def test_a_reply_with_a_canned_response_applies_it_and_counts_it(desks, browse):
    acme, _ = desks
    ticket = open_ticket(acme)
    item = canned(acme, title="Escalate", body="Engineers are on it", status="in_progress",
                  priority="high")  # fmt: skip
    response = browse(acme.agent).post(
        f"/t/acme/agent/tickets/{ticket.number}/",
        {"action": "reply", "mode": "reply", "body": "Engineers are on it",
         "status": "in_progress", "priority": "high", "canned": item.pk},
    )  # fmt: skip
    assert response.status_code == 302
    with tenant_scope(acme.tenant):
        ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.status, ticket.priority) == ("in_progress", "high")
    assert usage(acme, item) == 1


def test_seed_demo_adds_a_few_per_tenant_once(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", "--force", verbosity=0)
    with scopes_disabled():
        first = sorted(CannedResponse.objects.values_list("tenant__slug", "title"))
    call_command("seed_demo", "--force", verbosity=0)
    with scopes_disabled():
        assert sorted(CannedResponse.objects.values_list("tenant__slug", "title")) == first
    assert ("acme", "Ask for details") in first and ("globex", "Ask for details") in first
