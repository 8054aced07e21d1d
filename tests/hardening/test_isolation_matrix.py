"""Tenant isolation, tried on every tenant-scoped route the URL configuration has (issue 15).

The routes are read from the resolver (pages, API, the tenant admin, WebSockets), never listed
by hand, and each is tried by someone who must not get in:
- anonymously: 401 (API), a redirect to the login page (pages, admin), close 4401 (sockets);
- by a member of another tenant (globex's admin): 404 (API, pages, admin), close 4404 (sockets);
- by a customer of the tenant, on another customer's object: 404; on a staff route: 403 (close
  4403);
- in the admin, by another tenant's admin, on an object of this tenant through their own admin
  site: never the object (a redirect to their index, or 404), and a delete does nothing.
(CONTRACT section 4.) A route the matrix does not know fails the suite: add one line to ROUTES.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django_scopes import scopes_disabled

from accounts.admin_site import tenant_admin_site
from accounts.models import AuditEntry, AuditType, Membership, Role, SecretPattern
from accounts.tenancy import tenant_scope
from chat import demo as chat_demo
from chat.models import ChatSettings
from helpdesk.routing import websocket_urlpatterns
from sla import demo as sla_demo
from sla.models import Calendar, SupportPlan
from tests.chat.helpers import accepted_chat, start_chat
from tests.conftest import api_client, login
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.tickets.helpers import member, open_ticket
from tickets.models import Attachment, CannedResponse, Category, TicketSettings


@dataclass(frozen=True)
class Route:
    kind: str  # "page", "api", "admin" or "socket"
    staff_only: bool = False  # a customer of the tenant gets 403 (sockets: 4403)
    # Open to anyone (the chat widget's routes): no 401, and another tenant's member is anyone;
    # an object they name (a chat) is still a 404 without its token.
    anonymous: bool = False


PAGE, API, SOCKET = Route("page"), Route("api"), Route("socket")
STAFF_API, STAFF_SOCKET = Route("api", staff_only=True), Route("socket", staff_only=True)
ADMIN = Route("admin", staff_only=True)
WIDGET_API = Route("api", anonymous=True)

# Every tenant-scoped route, as the resolver spells it. URL arguments are filled by name
# (`number`: another customer's ticket; `attachment_id`: a file on it; OBJECT_IDS below).
# Add a route here in one line; the tenant admin's standard ModelAdmin pages are derived.
ROUTES: dict[str, Route] = {
    "t/<slug:tenant>/": PAGE,
    "t/<slug:tenant>/portal/": PAGE,
    "t/<slug:tenant>/security/": Route("page", staff_only=True),  # its admins only
    "t/<slug:tenant>/languages/": Route("page", staff_only=True),  # its admins only
    "t/<slug:tenant>/portal/new/": PAGE,
    "t/<slug:tenant>/tickets/<int:number>/": PAGE,
    "t/<slug:tenant>/tickets/<int:number>/close/": PAGE,
    "t/<slug:tenant>/tickets/<int:number>/rate/": PAGE,
    "api/v1/t/<slug:tenant>/tickets/": API,
    "api/v1/t/<slug:tenant>/tickets/<int:number>/": API,
    "api/v1/t/<slug:tenant>/tickets/<int:number>/messages/": API,
    "api/v1/t/<slug:tenant>/tickets/<int:number>/events/": STAFF_API,
    "api/v1/t/<slug:tenant>/tickets/<int:number>/feedback/": API,
    "api/v1/t/<slug:tenant>/attachments/<str:attachment_id>/": API,
    "api/v1/t/<slug:tenant>/categories/": API,
    "api/v1/t/<slug:tenant>/priorities/": API,  # the tenant's priority scheme (issue 12)
    "api/v1/t/<slug:tenant>/request-types/": API,
    "api/v1/t/<slug:tenant>/plans/": STAFF_API,
    "api/v1/t/<slug:tenant>/plans/<int:plan_id>/": STAFF_API,
    "api/v1/t/<slug:tenant>/calendars/": STAFF_API,
    "api/v1/t/<slug:tenant>/calendars/<int:calendar_id>/": STAFF_API,
    "api/v1/t/<slug:tenant>/reports/sla/": STAFF_API,
    "ws/t/<slug:tenant>/queue/": STAFF_SOCKET,
    "t/<slug:tenant>/agent/": Route("page", staff_only=True),
    "t/<slug:tenant>/agent/tickets/<int:number>/": Route("page", staff_only=True),
    "t/<slug:tenant>/agent/reports/": Route("page", staff_only=True),
    "t/<slug:tenant>/agent/reports/<slug:table>.csv": Route("page", staff_only=True),
    "t/<slug:tenant>/agent/chats/": Route("page", staff_only=True),
    "t/<slug:tenant>/admin/sla/supportplan/<path:object_id>/preview/": ADMIN,
    "t/<slug:tenant>/admin/sla/supportplan/apply-policy/": ADMIN,  # apply a support policy
    "t/<slug:tenant>/agent/canned/": Route("page", staff_only=True),
    "t/<slug:tenant>/agent/canned/<int:canned_id>/": Route("page", staff_only=True),
    "api/v1/t/<slug:tenant>/canned-responses/": STAFF_API,
    "api/v1/t/<slug:tenant>/canned-responses/<int:canned_id>/use/": STAFF_API,
    "ws/t/<slug:tenant>/tickets/<int:number>/": STAFF_SOCKET,
    # Live chat (issue 11): the widget's routes are anonymous; a chat's routes take its token
    # or an agent (anyone else: 401, another tenant's member and another customer: 404).
    "api/v1/t/<slug:tenant>/chat/availability/": WIDGET_API,
    "api/v1/t/<slug:tenant>/chat/strings/": WIDGET_API,  # the widget's words (issue 14)
    "api/v1/t/<slug:tenant>/chat/offline-message/": WIDGET_API,
    "api/v1/t/<slug:tenant>/chat/presence/": STAFF_API,
    "api/v1/t/<slug:tenant>/chats/": WIDGET_API,  # POST starts a chat; GET is agents' (403)
    "api/v1/t/<slug:tenant>/chats/<str:chat_id>/": API,
    "api/v1/t/<slug:tenant>/chats/<str:chat_id>/messages/": API,
    "api/v1/t/<slug:tenant>/chats/<str:chat_id>/accept/": API,
    "api/v1/t/<slug:tenant>/chats/<str:chat_id>/close/": API,
    "api/v1/t/<slug:tenant>/chats/<str:chat_id>/ticket/": API,
    "api/v1/t/<slug:tenant>/chats/<str:chat_id>/transfer/": API,
    "api/v1/t/<slug:tenant>/chats/<str:chat_id>/rating/": API,
    "api/v1/t/<slug:tenant>/chats/<str:chat_id>/transcript/": API,
    "ws/t/<slug:tenant>/chats/<str:chat_id>/": STAFF_SOCKET,  # visitors: ?token= (tests/chat)
    # Issue 12 item 3: the anonymous contact form (page and JSON, tests/tickets/
    # test_contact_form.py); an organization admin's report page (other customers: 403, as
    # for reports/sla/ above; tests/tickets/test_org_reports.py); the agents' "Record a call".
    "t/<slug:tenant>/contact/": Route("page", anonymous=True),
    "api/v1/t/<slug:tenant>/contact/": WIDGET_API,
    "t/<slug:tenant>/portal/report/": Route("page", staff_only=True),
    "t/<slug:tenant>/agent/calls/new/": Route("page", staff_only=True),
}

TENANT_ADMIN = "t/<slug:tenant>/admin/"
# The admin site's own pages and every ModelAdmin's standard ones: known without an entry.
ADMIN_SITE_PAGES = {
    "",
    "login/",
    "logout/",
    "password_change/",
    "password_change/done/",
    "autocomplete/",
    "jsi18n/",
    "r/<path:content_type_id>/<path:object_id>/",
    "(?P<url>.*)$",  # the catch-all (final_catch_all_view)
}
MODEL_ADMIN_PAGES = {
    "",
    "add/",
    "<path:object_id>/history/",
    "<path:object_id>/delete/",
    "<path:object_id>/change/",
    "<path:object_id>/",
}
# URL arguments that name one of acme's rows by id: which row of the world fills them. Another
# tenant's admin tries them through their own tenant's URL too.
OBJECT_IDS = {"plan_id": "plan", "calendar_id": "calendar", "canned_id": "canned"}

# One object of acme per model of the tenant admin, for its change/delete/history pages.
ADMIN_OBJECTS = {
    "accounts.auditentry": lambda w: w["audit"],
    "accounts.membership": lambda w: w["membership"],
    "accounts.organization": lambda w: w["org"],
    "accounts.secretpattern": lambda w: w["secret_pattern"],
    "tickets.cannedresponse": lambda w: w["canned"],
    "chat.chatsettings": lambda w: w["chat_settings"],
    "sla.calendar": lambda w: w["calendar"],
    "sla.supportplan": lambda w: w["plan"],
    "tickets.category": lambda w: w["category"],
    "sla.prioritylevel": lambda w: w["priority_level"],  # the priority scheme (issue 12)
    "tickets.requesttype": lambda w: w["request_type"],
    "tickets.inboundemail": lambda w: w["inbound_email"],  # email channel (issue 13)
    "tickets.mailbox": lambda w: w["mailbox"],
    "tickets.ticket": lambda w: w["ticket"],
    "tickets.ticketsettings": lambda w: w["settings"],
}


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _admin_routes():
    """The tenant admin's routes, each with the model it serves (None: the site's own)."""
    for route, pattern in _walk(tenant_admin_site.get_urls(), TENANT_ADMIN):
        tail = route.removeprefix(TENANT_ADMIN)
        match = re.match(r"^(\w+)/(\w+)/(.*)$", tail)
        model = None
        if match and apps.is_installed(match[1]):
            try:
                model = apps.get_model(match[1], match[2])
            except LookupError:
                model = None
        yield route, tail, model, pattern


def tenant_routes(*, strict: bool = True) -> dict[str, tuple[Route, object]]:
    """Every tenant-scoped route: HTTP (root URLconf), the tenant admin and WebSockets."""
    found: dict[str, tuple[Route, object]] = {}
    unknown: list[str] = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if "<slug:tenant>" in route:
            if route not in ROUTES:
                unknown.append(route)
            else:
                found[route] = (ROUTES[route], pattern)
    for route, pattern in _walk(websocket_urlpatterns):
        if route not in ROUTES:
            unknown.append(route)
        else:
            found[route] = (ROUTES[route], pattern)
    for route, tail, model, _pattern in _admin_routes():
        if route in ROUTES:
            found[route] = (ROUTES[route], model)
        elif (model is None and (tail in ADMIN_SITE_PAGES or tail.startswith("^("))) or (
            model is not None and tail.split("/", 2)[-1] in MODEL_ADMIN_PAGES
        ):
            found[route] = (ADMIN, model)
        else:
            unknown.append(route)
    assert not (strict and unknown), (
        "The isolation matrix does not know these tenant-scoped routes: "
        f"{unknown}. Add each to ROUTES in {__file__} (one line: its kind, and staff_only or "
        "anonymous), so that it is tried by an outsider, another customer and anonymously."
    )
    return found


def test_every_tenant_scoped_route_is_in_the_matrix():
    routes = tenant_routes()
    kinds = {route.kind for route, _ in routes.values()}
    assert kinds == {"page", "api", "admin", "socket"}
    stale = [r for r in ROUTES if r not in routes]
    assert not stale, f"ROUTES lists routes the URL configuration no longer has: {stale}"


def test_a_route_the_matrix_does_not_know_fails_with_how_to_add_it(settings):
    settings.ROOT_URLCONF = "tests.hardening.urls"
    with pytest.raises(AssertionError) as failure:
        tenant_routes()
    assert "t/<slug:tenant>/test-only/unlisted/" in str(failure.value)
    assert "Add each to ROUTES" in str(failure.value)


# -- the world ------------------------------------------------------------------------------


def _email_channel_rows(tenant) -> dict:
    """acme's mailbox and one inbound email (issue 13's admin pages)."""
    from tickets.mail.models import InboundEmail, Mailbox

    mailbox = Mailbox(tenant=tenant, name="Support", address="support@acme.example",
                      host="127.0.0.1", username="support")  # fmt: skip
    mailbox.set_password("imap-secret")
    mailbox.save()
    inbound = InboundEmail.objects.create(
        tenant=tenant, mailbox=mailbox, message_key="<1@x>", status="quarantined", raw=b"x"
    )
    return {"mailbox": mailbox, "inbound_email": inbound}


@pytest.fixture
def world(acme, globex):
    """acme with two customers of different organizations; globex is the outsider tenant."""
    sla_demo.seed_tenant(acme.tenant)
    sla_demo.seed_tenant(globex.tenant)
    other_org = OrganizationFactory(tenant=acme.tenant, name="Big Client Ltd")
    premium = UserFactory(email="premium@acme.example")
    MembershipFactory(tenant=acme.tenant, user=premium, role=Role.CUSTOMER, organization=other_org)
    from django.core.files.uploadedfile import SimpleUploadedFile

    victim = open_ticket(
        acme,
        premium,
        files=[SimpleUploadedFile("trace.log", b"ERROR\n", content_type="text/plain")],
    )
    chat_demo.seed()  # acme's chat settings: chat offered around the clock
    chat, _ = start_chat(acme, name="Pat Premium", email="premium@acme.example")
    with scopes_disabled():
        attachment = Attachment.objects.get(ticket=victim)
        settings_row, _ = TicketSettings.objects.get_or_create(tenant=acme.tenant)
        world = {
            "acme": acme,
            "globex": globex,
            "victim": victim,
            "attachment": attachment,
            "membership": Membership.objects.get(tenant=acme.tenant, user=acme.customer),
            "org": acme.org,
            "calendar": Calendar.objects.filter(tenant=acme.tenant).first(),
            "plan": SupportPlan.objects.filter(tenant=acme.tenant).first(),
            "category": Category.objects.create(tenant=acme.tenant, slug="acme-only", name="X"),
            "ticket": victim,
            "chat": chat,
            "chat_settings": ChatSettings.objects.get(tenant=acme.tenant),
            "settings": settings_row,
            "audit": AuditEntry.objects.create(
                tenant=acme.tenant, type=AuditType.values[0], object_type="test", object_repr="x"
            ),
            "canned": CannedResponse.objects.create(
                tenant=acme.tenant, title="Shared", body="Hi {{ requester.first_name }}"
            ),
            "secret_pattern": SecretPattern.objects.create(
                tenant=acme.tenant, name="acme_key", pattern="AK-[0-9]{8}"
            ),
            **_email_channel_rows(acme.tenant),
            **_policy_rows(acme),
        }
    return world


def _policy_rows(desk) -> dict:
    """acme's own priority scheme and a request type (issue 12's admin pages)."""
    from sla.models import PriorityLevel
    from sla.scheme import LevelSpec, priority_scheme_save
    from tickets.services.request_types import request_type_save

    admin = member(desk, desk.admin)
    with tenant_scope(desk.tenant):
        levels = [LevelSpec(p, p.capitalize()) for p in ("critical", "urgent", "normal", "low")]
        priority_scheme_save(
            actor=admin, tenant=desk.tenant, levels=[*levels, LevelSpec("high", "Sev 1")],
            default="normal",
        )  # fmt: skip
        request_type = request_type_save(
            actor=admin, tenant=desk.tenant, name="Incident", slug="incident",
            default_priority="high",
        )  # fmt: skip
    return {
        "priority_level": PriorityLevel.objects.get(tenant=desk.tenant, priority="high"),
        "request_type": request_type,
    }


def _url(route: str, world, slug: str = "acme", model=None) -> str:
    values = {
        "tenant": slug,
        "number": str(world["victim"].number),
        "attachment_id": world["attachment"].pk,
        "chat_id": world["chat"].public_id,
        "content_type_id": "1",
        "object_id": "1",
        "url": "no-such-page/",
        "table": "by_agent",  # a reports page CSV
        **{name: str(world[key].pk) for name, key in OBJECT_IDS.items()},
    }
    if model is not None:
        label = model._meta.label_lower
        assert label in ADMIN_OBJECTS, (
            f"The isolation matrix has no {label} object for its admin pages: add one line to "
            f"ADMIN_OBJECTS in {__file__}."
        )
        values["object_id"] = str(ADMIN_OBJECTS[label](world).pk)
    # The admin's app index and catch-all are regexes: the first app, and a page that is none.
    path = re.sub(r"\^\(\?P<app_label>(\w+)[^)]*\)/\$", r"\1/", route)
    path = path.replace("(?P<url>.*)$", values["url"])
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m[1]], path)
    return "/" + path


def _methods(pattern) -> list[str]:
    view = getattr(getattr(pattern, "callback", None), "view_class", None)
    if view is None:
        return ["get"]
    return [m for m in ("get", "post", "patch", "put", "delete") if hasattr(view, m)] or ["get"]


HTTP = [
    pytest.param(route, id=route)
    for route, (spec, _) in tenant_routes(strict=False).items()
    if spec.kind != "socket"
]


def _call(client, method: str, url: str):
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, {}, content_type="application/json")


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("route", HTTP)
def test_no_one_gets_in_who_must_not(world, route):
    spec, target = tenant_routes()[route]
    url = _url(route, world, model=target if spec.kind == "admin" else None)
    methods = _methods(target) if spec.kind != "admin" else ["get", "post"]
    names_an_object = any(
        f"<{kind}" in route
        for kind in ("int:number", "str:attachment_id", "path:object_id", "str:chat_id")
    ) or any(f":{name}>" in route for name in OBJECT_IDS)
    outsider = world["globex"].admin
    customer = world["acme"].customer  # the victim ticket is premium@'s, another organization

    def client_for(user):
        if user is None:
            return Client()
        if spec.kind == "api":
            return api_client(user)
        client = Client()
        login(client, user)
        return client

    anonymous, other_tenant, other_customer = (
        client_for(None),
        client_for(outsider),
        client_for(customer),
    )
    for method in methods:
        seen = f"{method.upper()} {url}"
        if not spec.anonymous:
            response = _call(anonymous, method, url)
            if spec.kind == "api":
                assert response.status_code == 401, (seen, "anonymous", response.status_code)
                assert response["Content-Type"].startswith("application/json")
            else:
                assert _is_login_redirect(response), (seen, "anonymous", response.status_code)

        response = _call(other_tenant, method, url)
        if spec.anonymous and not names_an_object:  # open to anyone, so to outsiders too
            assert response.status_code < 500, (seen, "another tenant", response.status_code)
        else:
            assert response.status_code == 404, (seen, "another tenant", response.status_code)

        response = _call(other_customer, method, url)
        if spec.staff_only:
            assert response.status_code == 403, (seen, "customer", response.status_code)
        elif names_an_object:
            assert response.status_code == 404, (seen, "other customer", response.status_code)
        else:
            assert response.status_code < 500, (seen, "customer", response.status_code)


ADMIN_OBJECT_PAGES = [
    pytest.param(route, id=route)
    for route, (spec, target) in tenant_routes(strict=False).items()
    if spec.kind == "admin" and "<path:object_id>" in route and target is not None
]


@pytest.mark.parametrize("route", ADMIN_OBJECT_PAGES)
def test_another_tenants_admin_cannot_reach_an_object_through_their_own_admin(world, route):
    _, model = tenant_routes()[route]
    client = Client()
    login(client, world["globex"].admin)
    obj = ADMIN_OBJECTS[model._meta.label_lower](world)
    url = _url(route, world, slug="globex", model=model)
    missing = url.replace(f"/{obj.pk}/", "/999999999/")
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        # The answer for a missing object (a redirect to the index, a 404, or the 403 of an
        # admin that deletes nothing): the same as for an id that exists nowhere.
        assert response.status_code in (302, 403, 404), (method, url, response.status_code)
        assert response.status_code == getattr(client, method)(missing).status_code
        if response.status_code == 302:
            assert response["Location"].startswith("/t/globex/admin/"), response["Location"]
    with scopes_disabled():
        assert model.objects.filter(pk=obj.pk).exists()


API_OBJECT_ROUTES = [
    pytest.param(route, id=route)
    for route, (spec, _) in tenant_routes(strict=False).items()
    if spec.kind == "api" and any(f":{name}>" in route for name in OBJECT_IDS)
]


@pytest.mark.parametrize("route", API_OBJECT_ROUTES)
def test_another_tenants_admin_cannot_reach_an_object_through_their_own_tenant(world, route):
    _, view = tenant_routes()[route]
    client = api_client(world["globex"].admin)
    url = _url(route, world, slug="globex")
    for method in _methods(view):
        response = _call(client, method, url)
        assert response.status_code == 404, (method, url, response.status_code)


# -- WebSockets -----------------------------------------------------------------------------

SOCKETS = [
    pytest.param(route, id=route)
    for route, (spec, _) in tenant_routes(strict=False).items()
    if spec.kind == "socket"
]
OWN_ORIGIN = "http://127.0.0.1:8000"


async def _close_code(path: str, ticket: str | None) -> int | None:
    from helpdesk.asgi import application

    query = f"?ticket={ticket}" if ticket else ""
    communicator = WebsocketCommunicator(
        application, path + query, headers=[(b"origin", OWN_ORIGIN.encode())]
    )
    connected, _ = await communicator.connect(timeout=5)
    try:
        if not connected:
            return 403
        if await communicator.receive_nothing(timeout=0.3):
            return None
        output = await communicator.receive_output(timeout=1)
        return output.get("code") if output["type"] == "websocket.close" else None
    finally:
        await communicator.disconnect()


@database_sync_to_async
def _ws_ticket(user) -> str:
    return api_client(user).post("/api/v1/auth/ws-ticket/").json()["ticket"]


@database_sync_to_async
def _socket_world(acme, globex) -> dict[str, str]:
    """The URL arguments of the sockets: acme, and a chat of acme that its agent accepted."""
    sla_demo.seed_tenant(acme.tenant)
    chat_demo.seed()
    chat, _ = accepted_chat(acme)
    return {"tenant": "acme", "number": str(open_ticket(acme).number), "chat_id": chat.public_id}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", SOCKETS)
async def test_a_socket_refuses_anonymous_outsiders_and_customers(acme, globex, route):
    spec, _ = tenant_routes()[route]
    values = await _socket_world(acme, globex)
    path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m[1]], route)
    if not spec.anonymous:
        assert await _close_code(path, None) == 4401
    assert await _close_code(path, await _ws_ticket(globex.admin)) == 4404
    if spec.staff_only:
        assert await _close_code(path, await _ws_ticket(acme.customer)) == 4403
    assert await _close_code(path, await _ws_ticket(acme.agent)) is None  # the door opens
