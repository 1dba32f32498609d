"""DRF views of sessions_app, one module per sub-domain (re-exported here for
the URL configuration)."""

from sessions_app.apis.customer_sessions import (
    SessionEndApi,
    SessionRestoreApi,
    SessionStartApi,
    SessionUpdateApi,
)
from sessions_app.apis.profiles import MeApi
from sessions_app.apis.user_sessions import (
    SESSION_ID_REGEX,
    UserSessionEndApi,
    UserSessionHeartbeatApi,
    UserSessionListCreateApi,
    UserSessionSummaryApi,
)

__all__ = [
    "SESSION_ID_REGEX",
    "MeApi",
    "SessionEndApi",
    "SessionRestoreApi",
    "SessionStartApi",
    "SessionUpdateApi",
    "UserSessionEndApi",
    "UserSessionHeartbeatApi",
    "UserSessionListCreateApi",
    "UserSessionSummaryApi",
]
