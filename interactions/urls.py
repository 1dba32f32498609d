"""AI session routes: the original SQL's ``/session/create`` and the ``/api/v1/`` ones."""

from django.urls import path

from interactions import apis

urlpatterns = [
    path("session/create", apis.AISessionCreateApi.as_view(), name="ai-session-create"),
    path("api/v1/interactions/", apis.InteractionCreateApi.as_view(), name="interaction-create"),
    path("api/v1/ai-sessions/", apis.AISessionListApi.as_view(), name="ai-session-list"),
    path(
        "api/v1/ai-sessions/<uuid:session_id>/interactions/",
        apis.AIInteractionListApi.as_view(),
        name="ai-interaction-list",
    ),
]
