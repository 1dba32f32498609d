"""Document routes under /api/v1/documents/."""

from django.urls import path

from documents import apis
from interactions.citations import apis as citation_apis

urlpatterns = [
    path("api/v1/documents/", apis.DocumentListCreateApi.as_view(), name="document-list"),
    path(
        "api/v1/documents/search-scope/",
        apis.DocumentSearchScopeApi.as_view(),
        name="document-search-scope",
    ),
    path(
        "api/v1/documents/analytics/",
        citation_apis.CitationAnalyticsApi.as_view(),
        name="document-citation-analytics",
    ),
    path(
        "api/v1/documents/<uuid:document_id>/",
        apis.DocumentDetailApi.as_view(),
        name="document-detail",
    ),
    path(
        "api/v1/documents/<uuid:document_id>/access/",
        apis.DocumentAccessListApi.as_view(),
        name="document-access-list",
    ),
    path(
        "api/v1/documents/<uuid:document_id>/access/<uuid:user_id>/",
        apis.DocumentAccessDetailApi.as_view(),
        name="document-access-detail",
    ),
    path(
        "api/v1/documents/<uuid:document_id>/citations/",
        citation_apis.DocumentCitationListApi.as_view(),
        name="document-citation-list",
    ),
]
