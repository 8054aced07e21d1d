"""The real URLs plus two plain Django views under /api/, for answers no API view gives."""

from django.http import HttpResponse
from django.urls import path

from helpdesk.urls import handler400, handler403, handler404, handler500  # noqa: F401
from helpdesk.urls import urlpatterns as real


def boom(request):
    raise RuntimeError("an unexpected bug")


def plain_form(request):
    return HttpResponse("ok")


def unlisted(request, tenant):
    return HttpResponse("a page nobody added to the isolation matrix")


urlpatterns = [
    path("t/<slug:tenant>/test-only/unlisted/", unlisted),
    path("api/test-only/boom/", boom),
    path("api/test-only/form/", plain_form),
    *real,
]
