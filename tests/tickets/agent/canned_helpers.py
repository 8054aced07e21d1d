from accounts.tenancy import tenant_scope
from tickets.models import CannedResponse


def canned(desk, *, owner=None, title="Ask for details", body="Hi {{ requester.first_name }}",
           **fields) -> CannedResponse:  # fmt: skip
    with tenant_scope(desk.tenant):
        return CannedResponse.objects.create(
            tenant=desk.tenant, owner=owner, title=title, body=body, **fields
        )


def usage(desk, item: CannedResponse) -> int:
    with tenant_scope(desk.tenant):
        return CannedResponse.objects.get(pk=item.pk).usage_count
