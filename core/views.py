"""Health and error pages. Errors under /api/ are JSON; pages get HTML."""

import asyncio
import logging
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from asgiref.sync import async_to_sync
from celery import current_app
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.template import loader
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views import defaults

from core.middleware import API_PREFIX, json_error

log = logging.getLogger(__name__)


def _check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # this runs in a checker thread: give its connection back


def _check_cache() -> None:
    cache.set("healthz", "ok", 10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return what was stored")


def _check_broker(app) -> None:
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    async def ping() -> None:
        await asyncio.wait_for(
            layer.group_send("healthz", {"type": "healthz.ping"}),
            settings.HEALTHZ_CHECK_TIMEOUT,
        )

    async_to_sync(ping)()


def _checks() -> dict[str, Callable[[], None]]:
    # The project's Celery app (helpdesk.celery, loaded with the settings) is the current one
    # in the request's thread only (Celery keeps it per thread): bind it here, before the
    # checks move to their own threads. core names no app above it.
    app = current_app._get_current_object()
    return {
        "database": _check_database,
        "cache": _check_cache,
        "broker": lambda: _check_broker(app),
        "channel_layer": _check_channel_layer,
    }


# The checks run side by side, each on a daemon thread of its own, and the answer waits at most
# HEALTHZ_CHECK_TIMEOUT for all of them: a hung Redis or broker (a socket that accepts and never
# answers) gives a 503 in time for the orchestrator's probe instead of hanging the probe and a
# web thread with it. A check that outlives the wait ends (or fails) on its own; daemon threads
# never hold up the process's exit, and at most _MAX_RUNNING checks run at once, so a stuck
# dependency cannot pile up threads: past that a check is reported down at once.
_MAX_RUNNING = 16
_running = threading.BoundedSemaphore(_MAX_RUNNING)


def _start(check: Callable[[], None]) -> Future:
    future: Future = Future()
    if not _running.acquire(blocking=False):
        future.set_exception(RuntimeError("too many health checks still running"))
        return future

    def run() -> None:
        try:
            check()
            future.set_result(None)
        except BaseException as exc:
            future.set_exception(exc)
        finally:
            _running.release()

    threading.Thread(target=run, name="healthz", daemon=True).start()
    return future


def healthz(request) -> JsonResponse:
    futures = {name: _start(check) for name, check in _checks().items()}
    deadline = time.monotonic() + settings.HEALTHZ_CHECK_TIMEOUT
    results, down = {}, []
    for name, future in futures.items():
        try:
            future.result(timeout=max(0.0, deadline - time.monotonic()))
            results[name] = "ok"
        except FutureTimeout:
            log.warning(
                "healthz: %s did not answer within %ss", name, settings.HEALTHZ_CHECK_TIMEOUT
            )
            results[name] = "down: timeout"
            down.append(name)
        except Exception as exc:
            log.warning("healthz: %s is down: %s", name, exc)
            results[name] = f"down: {type(exc).__name__}"
            down.append(name)
    body = {"status": "ok" if not down else "degraded", "checks": results, "down": down}
    body["mode"] = "redis" if settings.REDIS_URL else "embedded"
    return JsonResponse(body, status=503 if down else 200)


def favicon(request) -> HttpResponseRedirect:
    # Resolved per request: the hashed name comes from the static manifest, which exists only
    # after collectstatic (the URL configuration is loaded before, by `check --deploy`).
    return HttpResponseRedirect(static("favicon.svg"))


def _wants_json(request) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request, exception=None):
    if _wants_json(request):
        return json_error(400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _wants_json(request):
        return json_error(403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if _wants_json(request):
        return json_error(404)
    return defaults.page_not_found(request, exception)


# The database going away (a restart, a failover, a dropped connection) is not a bug in the
# request: the person is told to try again (503 with Retry-After), not shown an internal error.
# The broken connection is closed at the end of the request, so the next one connects afresh.
DATABASE_GONE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = "5"


def server_error(request):
    # Django calls this inside its `except` block: the exception is the one being handled.
    if isinstance(sys.exc_info()[1], DATABASE_GONE):
        return service_unavailable(request)
    if _wants_json(request):
        return json_error(500)
    return defaults.server_error(request)


def service_unavailable(request):
    if _wants_json(request):
        response = json_error(503, _("The service is briefly unavailable; try again shortly."))
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = RETRY_AFTER_SECONDS
    return response
