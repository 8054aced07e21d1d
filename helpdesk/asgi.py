"""HTTP and WebSocket entry point: `uvicorn helpdesk.asgi:application`.

HTTP goes to Django's WSGI handler on a pool of threads (a2wsgi), WebSockets to Channels.
Every view and middleware here is synchronous; Django's ASGI handler would hop between the
event loop and threads several times per request (a fresh thread each time, the middleware
chain bridged twice), which cost more CPU than a simple API request itself: measured with
uvicorn, 4 workers, 2 cores, GET of the categories list 197 -> 283 requests/s, ticket creates
about +15%. The request body still streams (an oversized upload is refused at once).

The lifespan wrapper (core/live_relay.py) hands the server's event loop to core/live.py: live
events a request raises are sent after its commit from a2wsgi's thread by hopping onto that
loop, which owns the sockets and, without Redis, the in-memory channel layer.
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django_wsgi = get_wsgi_application()  # sets Django up before anything imports models

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from core.live_relay import with_lifespan  # noqa: E402
from helpdesk.routing import websocket_urlpatterns  # noqa: E402

application = with_lifespan(
    ProtocolTypeRouter(
        {
            "http": WSGIMiddleware(django_wsgi, workers=settings.WEB_THREADS),
            # Origins are checked per route by the sockets themselves: agent sockets accept only
            # the help desk's own origin, the chat widget's accept the tenant's allowed origins.
            "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
        }
    )
)
