from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.admin_site import platform_admin_site
from core import views as core_views

api_v1 = [
    path("", include("accounts.api_urls")),
    path("t/<slug:tenant>/", include("tickets.api_urls")),
    path("t/<slug:tenant>/", include("sla.api_urls")),
    path("t/<slug:tenant>/", include("tickets.report_urls")),
    path("t/<slug:tenant>/", include("chat.api_urls")),
]

urlpatterns = [
    path("admin/", platform_admin_site.urls),
    path("healthz", core_views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on every page (the admin's too): our own icon, no CDN.
    path("favicon.ico", core_views.favicon, name="favicon"),
    # Django's set_language: a visitor's explicit choice of language (a cookie), issue 14.
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("accounts.urls")),
    path("", include("tickets.urls")),
    path("", include("chat.urls")),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
