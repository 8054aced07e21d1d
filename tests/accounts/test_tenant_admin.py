"""The tenant admin site at /t/<tenant>/admin/: Django's admin, limited to one tenant's rows,
for that tenant's admins only. /admin/ is the platform superuser's."""

import re

import pytest
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEntry, AuditType, Membership, Organization, Role, User
from accounts.tenancy import all_tenants, tenant_scope
from tests.conftest import login
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory, UserFactory

ADMIN = "/t/acme/admin/accounts"


@pytest.fixture
def acme_admin(client, acme, globex):
    login(client, acme.admin)
    return client


def _org(desk) -> Organization:
    with all_tenants():
        return Organization.objects.get(pk=desk.org.pk)


def _membership(desk, user) -> Membership:
    with all_tenants():
        return Membership.objects.get(tenant=desk.tenant, user=user)


def _membership_count(desk) -> int:
    with tenant_scope(desk.tenant):
        return Membership.objects.count()


# --- What a tenant admin sees --------------------------------------------------------------


def test_it_lists_only_the_tenants_own_organizations(acme_admin, acme, globex):
    response = acme_admin.get(f"{ADMIN}/organization/")
    assert response.status_code == 200
    assert acme.org.name.encode() in response.content
    assert globex.org.name.encode() not in response.content


def test_it_lists_only_the_tenants_own_memberships(acme_admin, acme, globex):
    response = acme_admin.get(f"{ADMIN}/membership/")
    assert response.status_code == 200
    for person in (acme.admin, acme.agent, acme.tier2, acme.customer):
        assert person.email.encode() in response.content
    assert b"globex.example" not in response.content


def test_its_index_offers_no_users_or_tenants(acme_admin):
    response = acme_admin.get("/t/acme/admin/")
    assert response.status_code == 200
    assert b"Acme" in response.content
    assert b"/t/acme/admin/accounts/organization/" in response.content
    assert b"/t/acme/admin/accounts/membership/" in response.content
    assert b"accounts/user/" not in response.content
    assert b"accounts/tenant/" not in response.content


@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_another_tenants_organization_does_not_exist_here(acme_admin, globex, view):
    url = f"{ADMIN}/organization/{globex.org.pk}/{view}/"
    response = acme_admin.get(url, follow=True)
    assert response.redirect_chain  # Django's admin: "... doesn't exist. Perhaps it was deleted?"
    assert "doesn’t exist" in response.content.decode()
    assert globex.org.name.encode() not in response.content

    response = acme_admin.post(url, {"name": "Renamed by acme", "post": "yes"}, follow=True)
    assert globex.org.name.encode() not in response.content
    assert _org(globex).name == globex.org.name  # neither renamed nor deleted


def test_another_tenants_membership_does_not_exist_here(acme_admin, globex):
    membership = _membership(globex, globex.agent)
    url = f"{ADMIN}/membership/{membership.pk}/change/"
    response = acme_admin.get(url, follow=True)
    assert "doesn’t exist" in response.content.decode()
    assert b"globex" not in response.content.lower()

    response = acme_admin.post(url, {"role": Role.ADMIN, "tier": 3}, follow=True)
    assert b"globex" not in response.content.lower()
    membership.refresh_from_db()
    assert (membership.role, membership.tier) == (Role.AGENT, 1)


# --- Forms ---------------------------------------------------------------------------------


def test_it_refuses_an_invitation_into_another_tenants_organization(acme_admin, acme, globex):
    response = acme_admin.post(
        f"{ADMIN}/membership/add/",
        {
            "email": "new@customer.example",
            "role": Role.CUSTOMER,
            "tier": 1,
            "organization": globex.org.pk,
        },
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert globex.org.name.encode() not in response.content
    with all_tenants():
        assert not Membership.objects.filter(user__email="new@customer.example").exists()
    assert mail.outbox == []


def test_it_refuses_moving_a_member_into_another_tenants_organization(acme_admin, acme, globex):
    membership = _membership(acme, acme.customer)
    response = acme_admin.post(
        f"{ADMIN}/membership/{membership.pk}/change/",
        {"role": Role.CUSTOMER, "tier": 1, "organization": globex.org.pk},
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    membership.refresh_from_db()
    assert membership.organization_id == acme.org.pk


def test_a_duplicate_organization_name_is_a_form_error(acme_admin, acme, globex):
    response = acme_admin.post(f"{ADMIN}/organization/add/", {"name": acme.org.name.upper()})
    assert response.status_code == 200
    assert b"errornote" in response.content
    assert b"already exists" in response.content
    with tenant_scope(acme.tenant):
        assert Organization.objects.count() == 1


def test_the_same_name_as_another_tenants_organization_is_allowed(acme_admin, acme, globex):
    response = acme_admin.post(f"{ADMIN}/organization/add/", {"name": globex.org.name})
    assert response.status_code == 302
    with tenant_scope(acme.tenant):
        assert Organization.objects.filter(name=globex.org.name).exists()
    with tenant_scope(globex.tenant):
        assert Organization.objects.count() == 1


def test_renaming_an_organization_onto_another_is_a_form_error(acme_admin, acme):
    other = OrganizationFactory(tenant=acme.tenant, name="Other Ltd")
    response = acme_admin.post(
        f"{ADMIN}/organization/{other.pk}/change/", {"name": acme.org.name.lower()}
    )
    assert response.status_code == 200
    assert b"already exists" in response.content
    with all_tenants():
        assert Organization.objects.get(pk=other.pk).name == "Other Ltd"


def test_a_customer_needs_an_organization(acme_admin, acme):
    response = acme_admin.post(
        f"{ADMIN}/membership/add/",
        {"email": "lonely@customer.example", "role": Role.CUSTOMER, "tier": 1},
    )
    assert response.status_code == 200
    assert b"A customer belongs to one of your organizations" in response.content


def test_a_member_cannot_become_a_customer_without_an_organization(acme_admin, acme):
    membership = _membership(acme, acme.agent)
    response = acme_admin.post(
        f"{ADMIN}/membership/{membership.pk}/change/", {"role": Role.CUSTOMER, "tier": 1}
    )
    assert response.status_code == 200
    assert b"A customer belongs to one of your organizations" in response.content
    membership.refresh_from_db()
    assert membership.role == Role.AGENT


def test_the_organization_autocomplete_offers_only_the_tenants_own(acme_admin, acme, globex):
    response = acme_admin.get(
        "/t/acme/admin/autocomplete/",
        {"app_label": "accounts", "model_name": "membership", "field_name": "organization"},
    )
    assert response.status_code == 200
    names = [item["text"] for item in response.json()["results"]]
    assert names == [acme.org.name]
    people = acme_admin.get(
        "/t/acme/admin/autocomplete/",
        {"app_label": "accounts", "model_name": "membership", "field_name": "user"},
    )
    assert people.status_code == 403


def test_the_index_does_not_show_what_the_person_did_in_another_tenant(client, acme, globex):
    # Ada runs both help desks, renames a globex organization, then leaves globex's admins.
    MembershipFactory(tenant=globex.tenant, user=acme.admin, role=Role.ADMIN)
    login(client, acme.admin)
    response = client.post(
        f"/t/globex/admin/accounts/organization/{globex.org.pk}/change/",
        {"name": "Globex Secret Project"},
        follow=True,
    )
    assert b"was changed successfully" in response.content
    with all_tenants():
        Membership.objects.filter(tenant=globex.tenant, user=acme.admin).update(
            role=Role.CUSTOMER, organization=globex.org
        )
    index = client.get("/t/acme/admin/")
    assert index.status_code == 200
    assert b"Globex Secret Project" not in index.content


def test_an_invitation_creates_the_member_and_a_working_password_link(
    acme_admin, client, acme, globex, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = acme_admin.post(
            f"{ADMIN}/membership/add/",
            {
                "email": "New.Person@Customer.example",
                "name": "New Person",
                "role": Role.CUSTOMER,
                "tier": 1,
                "organization": acme.org.pk,
            },
        )
    assert response.status_code == 302
    membership = _membership(acme, User.objects.get(email="new.person@customer.example"))
    assert (membership.role, membership.organization_id) == (Role.CUSTOMER, acme.org.pk)
    assert not membership.user.has_usable_password()
    with tenant_scope(globex.tenant):
        assert not Membership.objects.filter(user=membership.user).exists()

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["new.person@customer.example"]
    assert "Acme" in email.subject
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", email.body)
    assert link, email.body

    client.logout()
    form_page = client.get(link[1], follow=True)
    assert form_page.status_code == 200
    assert b"new_password1" in form_page.content
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-long-new-passphrase", "new_password2": "a-long-new-passphrase"},
    )
    assert done.status_code == 302
    logged_in = client.post(
        "/accounts/login/",
        {"username": "new.person@customer.example", "password": "a-long-new-passphrase"},
        follow=True,
    )
    assert logged_in.redirect_chain[-1][0] == "/t/acme/portal/"  # a customer: their requests
    assert b"My requests" in logged_in.content


def test_inviting_someone_from_another_tenant_leaves_their_account_alone(
    acme_admin, acme, globex, django_capture_on_commit_callbacks
):
    before = User.objects.get(pk=globex.agent.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = acme_admin.post(
            f"{ADMIN}/membership/add/",
            {"email": globex.agent.email.upper(), "name": "Renamed", "role": Role.AGENT, "tier": 2},
        )
    assert response.status_code == 302
    after = User.objects.get(pk=globex.agent.pk)
    assert (after.email, after.name, after.password) == (before.email, before.name, before.password)
    assert _membership(acme, after).tier == 2
    assert _membership(globex, after).role == Role.AGENT
    assert "/accounts/reset/" not in mail.outbox[0].body  # they log in with their password


def test_inviting_an_existing_member_is_a_form_error(acme_admin, acme):
    before = _membership_count(acme)
    response = acme_admin.post(
        f"{ADMIN}/membership/add/",
        {"email": acme.agent.email.upper(), "role": Role.AGENT, "tier": 1},
    )
    assert response.status_code == 200
    assert b"already a member" in response.content
    assert _membership_count(acme) == before
    assert mail.outbox == []


def test_a_tenant_admin_cannot_change_a_persons_email_or_password(acme_admin, acme, globex):
    both = globex.agent
    MembershipFactory(tenant=acme.tenant, user=both, role=Role.AGENT, tier=1)
    before = User.objects.get(pk=both.pk)
    membership = _membership(acme, both)
    response = acme_admin.post(
        f"{ADMIN}/membership/{membership.pk}/change/",
        {
            "role": Role.AGENT,
            "tier": 2,
            "email": "hijacked@acme.example",
            "name": "Hijacked",
            "password": "attacker-chosen-password",
            "password1": "attacker-chosen-password",
            "password2": "attacker-chosen-password",
            "is_superuser": "on",
        },
    )
    assert response.status_code == 302
    after = User.objects.get(pk=both.pk)
    assert (after.email, after.name, after.password) == (before.email, before.name, before.password)
    assert not after.is_superuser
    assert after.check_password(PASSWORD)
    assert _membership(acme, both).tier == 2
    assert _membership(globex, both).tier == 1


@pytest.mark.parametrize(
    "path",
    [
        "/t/acme/admin/accounts/user/",
        "/t/acme/admin/accounts/user/add/",
        "/t/acme/admin/accounts/tenant/",
        "/t/acme/admin/auth/group/",
    ],
)
def test_a_tenant_admin_has_no_user_or_tenant_admin(acme_admin, acme, path):
    assert acme_admin.get(path).status_code == 404


def test_a_user_change_url_is_404_even_for_one_of_its_members(acme_admin, acme):
    response = acme_admin.get(f"/t/acme/admin/accounts/user/{acme.agent.pk}/password/")
    assert response.status_code == 404


# --- Who may enter -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["agent", "tier2", "customer"])
def test_agents_and_customers_are_refused(client, acme, globex, who):
    login(client, getattr(acme, who))
    assert client.get("/t/acme/admin/").status_code == 403
    assert client.get(f"{ADMIN}/organization/").status_code == 403


def test_an_outsider_gets_404(client, acme, globex):
    login(client, globex.admin)
    response = client.get(f"{ADMIN}/organization/")
    assert response.status_code == 404
    assert acme.org.name.encode() not in response.content


def test_anonymous_visitors_are_sent_to_login(client, acme):
    response = client.get(f"{ADMIN}/organization/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/t/acme/admin/")


def test_a_tenant_admin_is_an_outsider_in_another_tenants_admin(client, acme, globex):
    login(client, acme.admin)
    assert client.get("/t/globex/admin/").status_code == 404


# --- The platform admin --------------------------------------------------------------------


@pytest.fixture
def root(db):
    return UserFactory(email="root@platform.example", is_staff=True, is_superuser=True)


def test_the_platform_admin_lists_every_tenants_rows(client, acme, globex, root):
    login(client, root)
    assert client.get("/admin/").status_code == 200
    memberships = client.get("/admin/accounts/membership/")
    assert memberships.status_code == 200
    assert acme.agent.email.encode() in memberships.content
    assert globex.agent.email.encode() in memberships.content
    tenants = client.get("/admin/accounts/tenant/")
    assert b"Acme" in tenants.content and b"Globex" in tenants.content
    membership = _membership(globex, globex.customer)
    change = client.get(f"/admin/accounts/membership/{membership.pk}/change/")
    assert change.status_code == 200


def test_the_platform_admin_keeps_a_membership_inside_its_tenant(client, acme, globex, root):
    login(client, root)
    membership = _membership(acme, acme.customer)
    response = client.post(
        f"/admin/accounts/membership/{membership.pk}/change/",
        {
            "user": acme.customer.pk,
            "tenant": acme.tenant.pk,
            "role": Role.CUSTOMER,
            "tier": 1,
            "organization": globex.org.pk,
        },
    )
    assert response.status_code == 200
    assert b"belongs to another tenant" in response.content
    membership.refresh_from_db()
    assert membership.organization_id == acme.org.pk


def test_the_platform_admin_lists_every_tenants_organizations(client, acme, globex, root):
    login(client, root)
    response = client.get("/admin/accounts/organization/")
    assert response.status_code == 200
    assert acme.org.name.encode() in response.content
    assert globex.org.name.encode() in response.content


def test_the_platform_admin_logs_in_with_its_own_form(client, acme, root):
    # The password is the first step; the platform asks superusers for a TOTP code (issue 15).
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": root.email, "password": PASSWORD, "next": "/admin/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/accounts/2fa/?next=/admin/"
    device = TOTPDevice.objects.get(user=root)
    code = f"{totp(device.bin_key):06d}"
    response = client.post("/accounts/2fa/", {"code": code, "next": "/admin/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/admin/"
    assert b"Help desk platform" in response.content


def test_a_tenant_admin_is_refused_by_the_platform_admin(client, acme, globex):
    login(client, acme.admin)
    for path in ("/admin/", "/admin/accounts/membership/", "/admin/accounts/user/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    refused = client.get("/admin/accounts/membership/", follow=True)
    assert globex.agent.email.encode() not in refused.content


# --- Through the services: rules and the audit trail ---------------------------------------


def test_an_agent_belongs_to_no_organization(acme_admin, acme):
    membership = _membership(acme, acme.agent)
    response = acme_admin.post(
        f"{ADMIN}/membership/{membership.pk}/change/",
        {"role": Role.AGENT, "tier": 1, "organization": acme.org.pk},
    )
    assert response.status_code == 200
    assert b"Agents and admins belong to no organization." in response.content
    membership.refresh_from_db()
    assert membership.organization_id is None


def test_membership_changes_and_invitations_are_in_the_audit_trail(
    acme_admin, acme, globex, django_capture_on_commit_callbacks
):
    membership = _membership(acme, acme.agent)
    acme_admin.post(f"{ADMIN}/membership/{membership.pk}/change/", {"role": Role.AGENT, "tier": 2})
    with django_capture_on_commit_callbacks(execute=True):
        acme_admin.post(
            f"{ADMIN}/membership/add/",
            {"email": "new@acme.example", "role": Role.AGENT, "tier": 1},
        )
    with tenant_scope(acme.tenant):
        entries = list(
            AuditEntry.objects.order_by("pk").values_list("type", "actor__email", "data")
        )
    assert entries == [
        (AuditType.MEMBER_CHANGED, acme.admin.email, {"tier": [1, 2]}),
        (
            AuditType.MEMBER_INVITED,
            acme.admin.email,
            {
                "email": "new@acme.example",
                "role": "agent",
                "tier": 1,
                "organization": None,
                "organization_admin": False,
            },
        ),
    ]
    with tenant_scope(globex.tenant):
        assert not AuditEntry.objects.exists()
    assert f"{acme.admin.display_name} added you" in mail.outbox[0].body
