from accounts.doors import STAFF_ROLES
from accounts.sockets import TenantSocket


def queue_group(tenant_id: int) -> str:
    return f"queue.{tenant_id}"


class QueueSocket(TenantSocket):
    """Live events for a tenant's agents (/ws/t/<tenant>/queue/): new tickets, replies, SLA."""

    allowed_roles = STAFF_ROLES

    async def connect(self) -> None:
        self.group = queue_group(self.tenant.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code) -> None:
        if self.tenant is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        pass  # agents only listen here

    async def live_events(self, message) -> None:
        for item in message["events"]:
            await self.send_json({"key": item["key"], **item["event"]})
