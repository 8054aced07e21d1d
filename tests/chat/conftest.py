import pytest

from accounts.tenancy import tenant_scope
from chat.models import ChatSettings
from sla import demo as sla_demo
from sla.models import SupportPlan


def open_chat_settings(desk, **values) -> ChatSettings:
    """The desk offers chat around the clock and queues without agents (unless `values` say
    otherwise), and its plans include chat."""
    values = {"always_open": True, "queue_when_no_agent": True, **values}
    with tenant_scope(desk.tenant):
        SupportPlan.objects.update(includes_chat=True)
        row, _ = ChatSettings.objects.update_or_create(tenant=desk.tenant, defaults=values)
        return row


@pytest.fixture
def desks(acme, globex):
    sla_demo.seed_tenant(acme.tenant)
    sla_demo.seed_tenant(globex.tenant)
    open_chat_settings(acme, allowed_origins="http://shop.test:8765")
    open_chat_settings(globex)
    return acme, globex
