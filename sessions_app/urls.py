"""Customer-session compatibility routes, at the exact paths the seeds' frontends call."""

from django.urls import path

from sessions_app import apis

urlpatterns = [
    path("session/start", apis.SessionStartApi.as_view(), name="session-start"),
    path("session/restore", apis.SessionRestoreApi.as_view(), name="session-restore"),
    path("session/update", apis.SessionUpdateApi.as_view(), name="session-update"),
    path("session/end", apis.SessionEndApi.as_view(), name="session-end"),
]
