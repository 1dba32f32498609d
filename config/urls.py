"""Site routes. Compatibility routes (/session/...) keep the existing frontends' exact paths;
everything else lives under /api/v1/."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from common.apis import HealthzApi, ReadyzApi, staff_unless_docs_public

admin.site.site_header = "Retail backend administration"
admin.site.site_title = "Retail backend admin"
admin.site.index_title = "Management and analytics"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", HealthzApi.as_view(), name="healthz"),
    path("readyz", ReadyzApi.as_view(), name="readyz"),
    path("api/schema/", staff_unless_docs_public(SpectacularAPIView.as_view()), name="schema"),
    path(
        "api/docs/",
        # The split view serves its start-up script as a file (?script): no inline code.
        staff_unless_docs_public(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="docs",
    ),
    path("", include("sessions_app.urls")),
    path("", include("interactions.urls")),
    path("", include("documents.urls")),
    path("", include("usage.urls")),
]

handler400 = "common.errors.bad_request"
handler403 = "common.errors.permission_denied"
handler404 = "common.errors.page_not_found"
handler500 = "common.errors.server_error"
