import pytest
from django.conf import settings

from tests.conftest import login
from tests.factories import PASSWORD, MembershipFactory


def test_the_login_page_renders(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_a_person_with_one_tenant_lands_in_it(client, acme):
    response = client.post(
        "/accounts/login/", {"username": acme.agent.email, "password": PASSWORD}, follow=True
    )
    # Staff land on their queue dashboard (issue 10), customers on their requests.
    assert [url for url, _ in response.redirect_chain][-2:] == ["/t/acme/", "/t/acme/agent/"]
    assert b"Queue" in response.content and b"Acme" in response.content
    assert b"Agent" in response.content


def test_a_person_with_several_tenants_picks_one(client, acme, globex):
    MembershipFactory(
        tenant=globex.tenant, user=acme.agent, role="customer", organization=globex.org
    )
    login(client, acme.agent)
    response = client.get("/")
    assert response.status_code == 200
    assert b"/t/acme/" in response.content and b"/t/globex/" in response.content


def test_the_tenant_page_shows_name_and_role(client, acme):
    login(client, acme.tier2)
    response = client.get("/t/acme/", follow=True)
    assert response.status_code == 200
    assert b"Agent" in response.content and b"tier 2" in response.content


def test_a_customer_lands_on_their_requests_with_their_organization(client, acme):
    # Issue 15 hole 10: the tenant's home sends a customer straight to their requests.
    login(client, acme.customer)
    response = client.get("/t/acme/", follow=True)
    assert response.redirect_chain[-1][0] == "/t/acme/portal/"
    assert b"My requests" in response.content
    assert b"Customer" in response.content and acme.org.name.encode() in response.content


def test_anonymous_visitors_are_sent_to_login(client, acme):
    response = client.get("/t/acme/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/t/acme/")


def test_repeated_failed_logins_get_a_form_error(client, acme):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": acme.agent.email, "password": "nope"})
    response = client.post("/accounts/login/", {"username": acme.agent.email, "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "path", ["/t/acme/", "/t/acme/admin/", "/t/acme/admin/accounts/organization/"]
)
def test_an_outsider_gets_the_same_404_as_for_a_missing_tenant(client, acme, globex, path):
    login(client, globex.admin)
    assert client.get(path).status_code == 404
    assert client.get(path.replace("acme", "no-such-tenant")).status_code == 404
