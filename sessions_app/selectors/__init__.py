"""Reads of sessions_app, one module per sub-domain (re-exported here).

Customer sessions and profiles are read by their services, in the same
``UPDATE … RETURNING`` that changes them; only user sessions have pure reads.
"""

from sessions_app.selectors.user_sessions import user_session_list, user_sessions_active_summary

__all__ = ["user_session_list", "user_sessions_active_summary"]
