"""The tenant admin's chat settings, the waiting visitor's status frame, seed_demo."""

from datetime import timedelta

from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import Tenant
from accounts.tenancy import tenant_scope
from chat.models import ChatSettings
from chat.services.common import status_frame
from sla.models import SupportPlan
from tests.chat.helpers import reload, start_chat
from tests.conftest import login


def test_the_tenant_admin_edits_origins_and_sees_the_identity_secret(desks):
    acme, globex = desks
    client = Client()
    login(client, acme.admin)
    with tenant_scope(acme.tenant):
        row = ChatSettings.objects.get()
    url = f"/t/acme/admin/chat/chatsettings/{row.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and row.identity_secret in page.content.decode()
    form = {
        "allowed_origins": "https://Shop.example.com/\nnot an origin",
        "wait_limit_minutes": 10,
        "max_waiting": 50,
        "always_open": "on",
    }
    refused = client.post(url, form)
    assert refused.status_code == 200 and "is not an origin" in refused.content.decode()
    form["allowed_origins"] = "https://Shop.example.com/\nhttp://localhost:8765"
    assert client.post(url, form).status_code == 302
    with tenant_scope(acme.tenant):
        assert ChatSettings.objects.get().origins() == {
            "https://shop.example.com",
            "http://localhost:8765",
        }
    outsider = Client()
    login(outsider, globex.admin)
    assert outsider.get(url).status_code in (302, 404)


def test_a_waiting_visitor_sees_their_place_and_an_offer_after_the_wait_limit(desks):
    acme, _ = desks
    first, _ = start_chat(acme)
    second, _ = start_chat(acme, email="other@example.net")
    with tenant_scope(acme.tenant):
        frame = status_frame(reload(second))
        assert (frame["status"], frame["position"], frame["offer_message"]) == ("waiting", 2, False)
        later = status_frame(reload(first), now=timezone.now() + timedelta(minutes=11))
    assert later["offer_message"] is True and later["offer_reason"] == "wait_limit"


def test_seed_demo_sets_up_chat_once_and_keeps_an_admins_change(db):
    call_command("seed_demo", "--force", verbosity=0)
    acme = Tenant.objects.get(slug="acme")
    with tenant_scope(acme):
        settings = ChatSettings.objects.get()
        assert settings.origins() == {"http://127.0.0.1:8765", "http://localhost:8765"}
        assert settings.always_open and settings.queue_when_no_agent
        assert all(SupportPlan.objects.values_list("includes_chat", flat=True))
        ChatSettings.objects.update(always_open=False)
    call_command("seed_demo", "--force", verbosity=0)
    with tenant_scope(acme):
        assert ChatSettings.objects.count() == 1 and not ChatSettings.objects.get().always_open
