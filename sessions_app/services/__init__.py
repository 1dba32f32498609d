"""Writes of sessions_app, one module per sub-domain (re-exported here):

- ``customer_sessions``: customer sessions across channels;
- ``profiles``: signed-in users' profiles;
- ``user_sessions``: signed-in users' platform sessions and their maintenance.
"""

from sessions_app.services.customer_sessions import (
    customer_session_end,
    customer_session_restore,
    customer_session_start,
    customer_session_update,
    customer_sessions_expire,
    customer_sessions_set_status,
)
from sessions_app.services.profiles import (
    registration_source_clean,
    user_profile_for_claims,
    user_profiles_set_role,
)
from sessions_app.services.user_sessions import (
    HEARTBEAT_MAX_DELTA,
    LIVE_STATUSES,
    LOOKBACK_MAX_DAYS,
    LOOKBACK_MAX_MINUTES,
    USER_AGENT_MAX_LENGTH,
    device_info_from_user_agent,
    user_session_end,
    user_session_heartbeat,
    user_session_start,
    user_sessions_delete_old,
    user_sessions_end_inactive,
    user_sessions_end_selected,
    user_sessions_mark_idle,
)

__all__ = [
    "HEARTBEAT_MAX_DELTA",
    "LIVE_STATUSES",
    "LOOKBACK_MAX_DAYS",
    "LOOKBACK_MAX_MINUTES",
    "USER_AGENT_MAX_LENGTH",
    "customer_session_end",
    "customer_session_restore",
    "customer_session_start",
    "customer_session_update",
    "customer_sessions_expire",
    "customer_sessions_set_status",
    "device_info_from_user_agent",
    "registration_source_clean",
    "user_profile_for_claims",
    "user_profiles_set_role",
    "user_session_end",
    "user_session_heartbeat",
    "user_session_start",
    "user_sessions_delete_old",
    "user_sessions_end_inactive",
    "user_sessions_end_selected",
    "user_sessions_mark_idle",
]
