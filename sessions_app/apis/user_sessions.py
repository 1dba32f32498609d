"""Signed-in users' platform sessions under ``/api/v1/user-sessions/``.

Callers send ``Authorization: Bearer <Supabase access token>``
(``sessions_app.authentication``); ``request.user`` is their ``UserProfile``.
Views only parse, call a service or selector and render; the rules live in
``sessions_app.services.user_sessions``.
"""

import json
import re
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.authentication import StaffSessionAuthentication
from common.client_ip import client_ip
from common.openapi import error_response
from common.pagination import cursor_pagination
from common.permissions import IsAdminRole, IsSignedInUser, IsStaff
from sessions_app import selectors, services
from sessions_app.apis.profiles import ERROR_RESPONSES as _ERROR_RESPONSES
from sessions_app.authentication import SupabaseJWTAuthentication
from sessions_app.models import UserSession

SESSION_ID_REGEX = r"[A-Za-z0-9._:-]{8,128}"
SESSION_ID_PATTERN = re.compile(rf"^{SESSION_ID_REGEX}$")
JSON_FIELD_MAX_BYTES = 16 * 1024


def _small_json_object(value: dict[str, Any]) -> None:
    if len(json.dumps(value, separators=(",", ":"))) > JSON_FIELD_MAX_BYTES:
        raise serializers.ValidationError(f"At most {JSON_FIELD_MAX_BYTES} bytes of JSON.")


SESSION_ID_PATH_PARAMETER = OpenApiParameter(
    "session_id",
    str,
    OpenApiParameter.PATH,
    pattern=rf"^{SESSION_ID_REGEX}$",
    description="the client-generated id the session was started with",
)


class UserSessionSerializer(serializers.ModelSerializer):
    """A user session as stored (the ``user_sessions`` columns); ``ip_address`` is masked,
    ``total_duration_seconds`` in seconds, times ISO 8601."""

    user_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = UserSession
        fields = [
            "id",
            "session_id",
            "user_id",
            "platform",
            "status",
            "started_at",
            "last_activity_at",
            "last_heartbeat_at",
            "ended_at",
            "end_reason",
            "total_duration_seconds",
            "activity_count",
            "device_info",
            "location_info",
            "user_agent",
            "ip_address",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class UserSessionStartInputSerializer(serializers.Serializer):
    """Body of ``POST /api/v1/user-sessions/``."""

    session_id = serializers.RegexField(
        SESSION_ID_PATTERN,
        max_length=128,
        help_text="client-generated, 8-128 characters of A-Z a-z 0-9 . _ : - (a UUID is ideal)",
        error_messages={"invalid": "Use 8-128 characters of A-Z, a-z, 0-9, '.', '_', ':', '-'."},
    )
    platform = serializers.ChoiceField(choices=UserSession.Platform.choices)
    device_info = serializers.DictField(
        required=False,
        validators=[_small_json_object],
        help_text="platform, app version, model… (parsed from User-Agent when absent)",
    )
    location_info = serializers.DictField(
        required=False, validators=[_small_json_object], help_text="country, timezone…"
    )


class UserSessionListFilterSerializer(serializers.Serializer):
    """Query parameters of ``GET /api/v1/user-sessions/``."""

    platform = serializers.ChoiceField(choices=UserSession.Platform.choices, required=False)
    status = serializers.ChoiceField(choices=UserSession.Status.choices, required=False)


class UserSessionHeartbeatInputSerializer(serializers.Serializer):
    """Body of ``POST /api/v1/user-sessions/{session_id}/heartbeat/`` (may be empty)."""

    activity_count = serializers.IntegerField(
        required=False,
        default=1,
        min_value=0,
        max_value=services.HEARTBEAT_MAX_DELTA,
        help_text="activities since the last heartbeat, added to the count (default 1)",
    )


class UserSessionEndInputSerializer(serializers.Serializer):
    """Body of ``POST /api/v1/user-sessions/{session_id}/end/``."""

    end_reason = serializers.ChoiceField(
        choices=[r for r in UserSession.EndReason.choices if r[0] != "timeout"]
    )


class UserSessionPlatformSummarySerializer(serializers.Serializer):
    """One platform's row of the original SQL's ``active_sessions_summary``."""

    platform = serializers.CharField()
    active_count = serializers.IntegerField()
    avg_session_minutes = serializers.FloatField(help_text="mean of now - started_at, minutes")
    oldest_session = serializers.DateTimeField(help_text="earliest started_at")
    latest_activity = serializers.DateTimeField(help_text="latest last_activity_at")


class UserSessionSummarySerializer(serializers.Serializer):
    """Body of ``GET /api/v1/user-sessions/summary/``."""

    platforms = UserSessionPlatformSummarySerializer(many=True)


class UserSessionListCreateApi(generics.ListAPIView):
    """``/api/v1/user-sessions/`` — a signed-in user (Bearer token), own sessions only.

    ``POST`` ``{session_id, platform, device_info?, location_info?}``: 201 with the
    new session; 200 with the existing row when the caller already started this
    ``session_id``; 409 ``session_id_taken`` when it is another user's; 400 names
    the bad field. The User-Agent header is stored and, when ``device_info`` is
    absent, parsed into it; the client IP (``REMOTE_ADDR``, or ``X-Forwarded-For``
    behind ``TRUSTED_PROXY_COUNT`` proxies) is stored masked (IPv4 /24, IPv6 /48).

    ``GET`` ``?platform=&status=&page_size=&cursor=``: the caller's sessions,
    newest first, cursor-paginated ``{next, previous, results}``.
    """

    authentication_classes = [SupabaseJWTAuthentication]
    permission_classes = [IsSignedInUser]
    pagination_class = cursor_pagination("-started_at", "-id")
    serializer_class = UserSessionSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[UserSession]:
        filters = UserSessionListFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.user_session_list(
            user_id=str(self.request.user.pk), **filters.validated_data
        )

    @extend_schema(
        parameters=[UserSessionListFilterSerializer],
        responses={200: UserSessionSerializer(many=True), **_ERROR_RESPONSES},
        tags=["user sessions"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=UserSessionStartInputSerializer,
        responses={
            201: UserSessionSerializer,
            200: UserSessionSerializer,
            409: error_response(409, "session_id belongs to another user"),
            **_ERROR_RESPONSES,
        },
        tags=["user sessions"],
    )
    def post(self, request: Request) -> Response:
        data = UserSessionStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session, created = services.user_session_start(
            user=request.user,  # type: ignore[arg-type]  # a UserProfile (bearer class)
            user_agent=request.headers.get("User-Agent"),
            ip_address=client_ip(request),
            **data.validated_data,
        )
        return Response(
            UserSessionSerializer(session).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class UserSessionHeartbeatApi(APIView):
    """``POST /api/v1/user-sessions/{session_id}/heartbeat/`` — the session's owner
    (Bearer token).

    Body ``{activity_count?}`` (0-10000, default 1) is added to the session's
    count. 200: the session with ``last_heartbeat_at`` and ``last_activity_at`` =
    now; an ``idle`` session is ``active`` again. 404 when the caller has no such
    session; 409 ``session_ended`` when it ended or timed out.
    """

    authentication_classes = [SupabaseJWTAuthentication]
    permission_classes = [IsSignedInUser]

    @extend_schema(
        parameters=[SESSION_ID_PATH_PARAMETER],
        request=UserSessionHeartbeatInputSerializer,
        responses={
            200: UserSessionSerializer,
            404: error_response(404, "no such session of the caller"),
            409: error_response(409, "the session ended or timed out"),
            **_ERROR_RESPONSES,
        },
        tags=["user sessions"],
    )
    def post(self, request: Request, session_id: str) -> Response:
        data = UserSessionHeartbeatInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.user_session_heartbeat(
            user_id=str(request.user.pk),
            session_id=session_id,
            activity_delta=data.validated_data["activity_count"],
        )
        return Response(UserSessionSerializer(session).data)


class UserSessionEndApi(APIView):
    """``POST /api/v1/user-sessions/{session_id}/end/`` — the session's owner (Bearer
    token).

    Body ``{end_reason}``: ``logout`` | ``manual`` | ``app_close`` | ``crash``. 200:
    the session with ``status = ended``, ``ended_at`` and ``total_duration_seconds``
    (seconds from ``started_at``). Ending again answers 200 with the session as
    it is. 404 when the caller has no such session.
    """

    authentication_classes = [SupabaseJWTAuthentication]
    permission_classes = [IsSignedInUser]

    @extend_schema(
        parameters=[SESSION_ID_PATH_PARAMETER],
        request=UserSessionEndInputSerializer,
        responses={
            200: UserSessionSerializer,
            404: error_response(404, "no such session of the caller"),
            **_ERROR_RESPONSES,
        },
        tags=["user sessions"],
    )
    def post(self, request: Request, session_id: str) -> Response:
        data = UserSessionEndInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.user_session_end(
            user_id=str(request.user.pk),
            session_id=session_id,
            end_reason=data.validated_data["end_reason"],
        )
        return Response(UserSessionSerializer(session).data)


class UserSessionSummaryApi(APIView):
    """``GET /api/v1/user-sessions/summary/`` — admins only: a signed-in user whose
    role is ``admin`` (profile role or ``app_metadata.role`` in the token), or
    staff signed in to the Django admin.

    200 ``{platforms: [{platform, active_count, avg_session_minutes,
    oldest_session, latest_activity}]}``: the original SQL's ``active_sessions_summary``
    over active sessions, one aggregate query. 401 without a token, 403 for a
    non-admin.
    """

    authentication_classes = [SupabaseJWTAuthentication, StaffSessionAuthentication]
    permission_classes = [IsAdminRole | IsStaff]

    @extend_schema(
        responses={
            200: UserSessionSummarySerializer,
            403: error_response(403, "not an admin"),
            **_ERROR_RESPONSES,
        },
        tags=["user sessions"],
    )
    def get(self, request: Request) -> Response:
        rows = selectors.user_sessions_active_summary()
        return Response(UserSessionSummarySerializer({"platforms": rows}).data)
