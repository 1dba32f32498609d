"""Customer-session compatibility routes, at the exact paths the existing frontends call,
and the signed-in user routes under /api/v1/."""

from django.urls import path, register_converter

from sessions_app import apis


class UserSessionIdConverter:
    """A client-made session id (``apis.SESSION_ID_REGEX``); any other path
    segment, a NUL byte included, is a 404 before it reaches a query."""

    regex = apis.SESSION_ID_REGEX

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UserSessionIdConverter, "user_session_id")

urlpatterns = [
    path("session/start", apis.SessionStartApi.as_view(), name="session-start"),
    path("session/restore", apis.SessionRestoreApi.as_view(), name="session-restore"),
    path("session/update", apis.SessionUpdateApi.as_view(), name="session-update"),
    path("session/end", apis.SessionEndApi.as_view(), name="session-end"),
    # Signed-in users
    path("api/v1/me/", apis.MeApi.as_view(), name="me"),
    path("api/v1/user-sessions/", apis.UserSessionListCreateApi.as_view(), name="user-sessions"),
    path(
        "api/v1/user-sessions/summary/",
        apis.UserSessionSummaryApi.as_view(),
        name="user-sessions-summary",
    ),
    path(
        "api/v1/user-sessions/<user_session_id:session_id>/heartbeat/",
        apis.UserSessionHeartbeatApi.as_view(),
        name="user-session-heartbeat",
    ),
    path(
        "api/v1/user-sessions/<user_session_id:session_id>/end/",
        apis.UserSessionEndApi.as_view(),
        name="user-session-end",
    ),
]
