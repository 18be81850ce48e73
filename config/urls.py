from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from common.api.root import ApiRoot
from common.web import views as common_views
from tenancy.admin import admin_login

api_patterns = [
    path("", ApiRoot.as_view(), name="root"),
    path("", include("resources.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("audit.api.urls")),
    path("", include("reservations.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("webhooks.api.urls")),
    path("", include("registry.api.urls")),
    path("", include("reports.api.urls")),
    path("", include("machines.api.urls")),
    path("", include("training.api.urls")),
    path("", include("billing.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file: the Content-Security-Policy allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="swagger-ui"),
]

urlpatterns = [
    # Served by common.web.middleware.HealthCheckMiddleware first; named here for reverse().
    path("healthz", common_views.healthz, name="healthz"),
    path("readyz", common_views.readyz, name="readyz"),
    # Namespaced, so that a page and an API route with the same name never resolve to each other.
    # Before the pages: Django tries patterns in order, and an API request matched against every
    # page first spent a tenth of a one-object read on it (issue 39).
    path("api/", include((api_patterns, "api"))),
    path("", include("accounts.urls")),
    path("", include("audit.urls")),
    path("", include("notifications.urls")),
    path("", include("reservations.urls")),
    path("", include("webhooks.urls")),
    path("", include("registry.urls")),
    path("", include("observability.urls")),
    path("", include("reports.urls")),
    path("", include("training.urls")),
    path("", include("billing.urls")),
    # One login page for everything, so that SSO and the password switch apply to the admin too.
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
]

handler500 = "common.web.views.server_error"
