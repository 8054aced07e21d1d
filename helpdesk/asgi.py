"""HTTP and WebSocket entry point: `uvicorn helpdesk.asgi:application`."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django_http = get_asgi_application()  # sets Django up before anything imports models

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from core.live_relay import with_lifespan  # noqa: E402
from helpdesk.routing import websocket_urlpatterns  # noqa: E402

application = with_lifespan(
    ProtocolTypeRouter(
        {
            "http": django_http,
            # Origins are checked per route by the sockets themselves: agent sockets accept only
            # the help desk's own origin, the chat widget's accept the tenant's allowed origins.
            "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
        }
    )
)
