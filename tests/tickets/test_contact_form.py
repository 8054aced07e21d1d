"""The anonymous contact form (CONTRACT section 8): `/t/<tenant>/contact/` and
`POST /api/v1/t/<tenant>/contact/` open a ticket (channel `web`) for the sender matched by email
like the email channel, origin-checked and throttled like the widget, with an acknowledgement
carrying the reference and secrets masked; a per-tenant switch; another tenant sees nothing."""

from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from accounts.tenancy import tenant_scope
from chat.models import ChatSettings
from core.outbox import relay_pending
from tests.conftest import api_client
from tickets.models import Channel, Ticket, TicketSettings

URL = "/api/v1/t/acme/contact/"
PAGE = "/t/acme/contact/"
SHOP = "http://shop.test:8765"
EVIL = "http://evil.example"
FORM = {
    "name": "Vera Visitor",
    "email": "Vera@Example.net",
    "subject": "Pricing question",
    "message": "Do you have a plan for 5 seats?",
}


def tickets_of(desk) -> list[Ticket]:
    with tenant_scope(desk.tenant):
        return list(Ticket.objects.select_related("requester", "category").order_by("number"))


def allow_shop(desk) -> None:
    with tenant_scope(desk.tenant):
        ChatSettings.objects.update_or_create(tenant=desk.tenant,
                                              defaults={"allowed_origins": SHOP})  # fmt: skip


def test_anyone_opens_a_web_ticket_and_gets_the_reference_by_email(desks):
    acme, globex = desks
    response = APIClient().post(URL, {**FORM, "category": "billing"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    [ticket] = tickets_of(acme)
    assert body == {"reference": ticket.reference, "detail": body["detail"], "masked_secrets": {}}
    assert ticket.channel == Channel.WEB and ticket.requester_id is None
    assert (ticket.contact_name, ticket.contact_email) == ("Vera Visitor", "vera@example.net")
    assert ticket.category.slug == "billing" and ticket.subject == "Pricing question"
    relay_pending()
    [ack] = [m for m in mail.outbox if m.to == ["vera@example.net"]]
    assert ticket.reference in ack.subject and "We received your request" in ack.subject
    assert tickets_of(globex) == []


def test_a_members_address_is_matched_like_an_email_but_never_a_staff_one(desks):
    acme, _ = desks
    customer = APIClient().post(URL, {**FORM, "email": acme.customer.email.upper()},
                                format="json")  # fmt: skip
    assert customer.status_code == 201
    # The answer says nothing of the member (their organization, their plan).
    assert set(customer.json()) == {"reference", "detail", "masked_secrets"}
    staff = APIClient().post(URL, {**FORM, "email": acme.agent.email}, format="json")
    assert staff.status_code == 201
    first, second = tickets_of(acme)
    assert first.requester == acme.customer and first.organization_id == acme.org.pk
    assert second.requester_id is None and second.contact_email == acme.agent.email
    portal = api_client(acme.customer).get("/api/v1/t/acme/tickets/").json()["results"]
    assert [t["channel"] for t in portal] == ["web"]


def test_bad_input_is_a_clear_400(desks):
    for body, field in [
        ({**FORM, "email": "not-an-email"}, "email"),
        ({k: v for k, v in FORM.items() if k != "subject"}, "subject"),
        ({**FORM, "category": "no-such"}, "category"),
        ({**FORM, "message": ""}, "message"),
    ]:
        response = APIClient().post(URL, body, format="json")
        assert response.status_code == 400 and field in response.json(), response.json()
    assert APIClient().post(URL, "nope", content_type="application/json").status_code == 400


def test_secrets_are_masked_and_the_visitor_is_told(desks):
    acme, _ = desks
    key = "AKIAZ7QW3ERTY5UIOP2L"
    response = APIClient().post(URL, {**FORM, "message": f"My key is {key}"}, format="json")
    assert response.status_code == 201
    assert response.json()["masked_secrets"] == {"aws_access_key": 1}
    [ticket] = tickets_of(acme)
    assert key not in ticket.description


def test_origins_are_checked_and_preflights_answered_like_the_widgets(desks):
    acme, globex = desks
    allow_shop(acme)
    assert APIClient(HTTP_ORIGIN=EVIL).post(URL, FORM, format="json").status_code == 403
    allowed = APIClient(HTTP_ORIGIN=SHOP).post(URL, FORM, format="json")
    assert allowed.status_code == 201 and allowed["Access-Control-Allow-Origin"] == SHOP
    preflight = APIClient().options(URL, HTTP_ORIGIN=SHOP,
                                    HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")  # fmt: skip
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Origin"] == SHOP
    assert APIClient().options(URL, HTTP_ORIGIN=EVIL).status_code == 403
    # globex allows no foreign origin: acme's shop is a stranger there
    outsider = APIClient(HTTP_ORIGIN=SHOP).post("/api/v1/t/globex/contact/", FORM, format="json")
    assert outsider.status_code == 403
    assert tickets_of(globex) == []


def test_it_is_throttled_per_address_with_the_widget(desks, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "chat_start": "2/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    api_settings.reload()
    saved = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        codes = [APIClient().post(URL, FORM, format="json").status_code for _ in range(3)]
        page = Client().post(PAGE, FORM)  # the page shares the address's bucket
    finally:
        SimpleRateThrottle.THROTTLE_RATES = saved
    assert codes == [201, 201, 429]
    assert page.status_code == 429 and page["Retry-After"]


def test_acknowledgements_to_one_address_are_limited(desks, settings):
    acme, _ = desks
    settings.EMAIL_ACKS_PER_HOUR = 2
    for _ in range(3):
        assert APIClient().post(URL, FORM, format="json").status_code == 201
    relay_pending()
    acks = [m for m in mail.outbox if m.to == ["vera@example.net"]]
    assert len(acks) == 2 and len(tickets_of(acme)) == 3


def test_the_page_opens_a_ticket_and_shows_the_reference(desks):
    acme, _ = desks
    client = Client(enforce_csrf_checks=True)
    form = client.get(PAGE)
    assert form.status_code == 200 and b'name="category"' in form.content
    token = client.cookies["csrftoken"].value
    done = client.post(PAGE, {**FORM, "csrfmiddlewaretoken": token}, follow=True)
    [ticket] = tickets_of(acme)
    assert ticket.channel == Channel.WEB
    assert ticket.reference.encode() in done.content
    refused = client.post(PAGE, {**FORM, "email": "nope", "csrfmiddlewaretoken": token})
    assert refused.status_code == 400 and b"Enter a valid email address." in refused.content


def test_the_page_offers_no_category_when_the_tenant_has_none(desks):
    acme, _ = desks
    with tenant_scope(acme.tenant):
        from tickets.models import Category

        Category.objects.update(is_active=False)
    assert b'name="category"' not in Client().get(PAGE).content


def test_a_tenant_can_switch_it_off_and_an_unknown_tenant_is_a_404(desks):
    acme, _ = desks
    with tenant_scope(acme.tenant):
        TicketSettings.objects.update_or_create(
            tenant=acme.tenant, defaults={"contact_form_enabled": False}
        )
    assert Client().get(PAGE).status_code == 404
    assert Client().post(PAGE, FORM).status_code == 404
    assert APIClient().post(URL, FORM, format="json").status_code == 404
    assert tickets_of(acme) == []
    assert Client().get("/t/nowhere/contact/").status_code == 404
    missing = APIClient().post("/api/v1/t/nowhere/contact/", FORM, format="json")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    assert Client().get("/t/globex/contact/").status_code == 200  # globex's own stays on


def test_it_is_throttled_per_tenant_with_the_widget_whatever_the_address(desks, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "chat_tenant": "2/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    api_settings.reload()
    saved = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        codes = [
            APIClient(REMOTE_ADDR=f"198.51.100.{i}").post(URL, FORM, format="json").status_code
            for i in range(1, 3)
        ]
        page = Client(REMOTE_ADDR="198.51.100.9").post(PAGE, FORM)  # the tenant's bucket is full
        other = APIClient(REMOTE_ADDR="198.51.100.10").post(
            "/api/v1/t/globex/contact/", FORM, format="json"
        )
    finally:
        SimpleRateThrottle.THROTTLE_RATES = saved
    assert codes == [201, 201]
    assert page.status_code == 429 and page["Retry-After"]
    assert other.status_code == 201  # another tenant's bucket
