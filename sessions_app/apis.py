"""Customer-session compatibility routes (DESIGN.md "Customer sessions").

Paths keep the seeds' exact form: ``/session/start``, ``/session/restore``,
``/session/update``, ``/session/end``. Views only parse, call a service and
render; the rules live in ``sessions_app.services``.
"""

import json
import re

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_api_key.permissions import HasAPIKey

from common.client_ip import client_ip
from common.fields import PhoneNumberField, TextIdField
from common.permissions import IsAdminRole, IsSignedInUser, has_api_key, signed_in_user_id
from sessions_app import selectors, services
from sessions_app.models import CustomerSession, UserProfile, UserSession

TOKEN_HEADER = OpenApiParameter(
    "X-Session-Token", str, OpenApiParameter.HEADER, description="the customer's session token"
)
PHONE_HEADER = OpenApiParameter(
    "X-Phone",
    str,
    OpenApiParameter.HEADER,
    description="the customer's phone, any notation; needs X-API-Key",
)


class CustomerSessionSerializer(serializers.ModelSerializer):
    """``session`` as DESIGN.md defines it; times are ISO 8601 with offset."""

    class Meta:
        model = CustomerSession
        fields = [
            "session_id",
            "customer_id",
            "phone",
            "channel",
            "status",
            "created_at",
            "last_activity",
            "expires_at",
            "metadata",
        ]
        read_only_fields = fields


class SessionStartInputSerializer(serializers.Serializer):
    """Body of ``POST /session/start``."""

    phone = PhoneNumberField(max_length=64)
    channel = serializers.ChoiceField(choices=CustomerSession.Channel.choices)
    customer_id = TextIdField(max_length=255)
    metadata = serializers.DictField(required=False)


class SessionUpdateInputSerializer(serializers.Serializer):
    """Body of ``POST /session/update``: a JSON Merge Patch for ``metadata``."""

    metadata = serializers.DictField()


_SessionEnvelope = inline_serializer("SessionEnvelope", {"session": CustomerSessionSerializer()})
_TokenSessionEnvelope = inline_serializer(
    "TokenSessionEnvelope",
    {"session_token": serializers.CharField(), "session": CustomerSessionSerializer()},
)


def _with_token(session: CustomerSession) -> dict:
    return {
        "session_token": session.session_token,
        "session": CustomerSessionSerializer(session).data,
    }


def _required_token(request) -> str:
    token = request.headers.get("X-Session-Token", "").strip()
    if not token:
        raise ValidationError({"X-Session-Token": ["This header is required."]}, code="required")
    return token


class SessionStartApi(APIView):
    """``POST /session/start`` — channel clients (``X-API-Key``).

    Body: ``{phone, channel, customer_id, metadata?}``.
    201 ``{session_token, session}`` for a new session; 200 with the same shape
    and the *existing* token when the phone already has an active session on
    any channel (omni-channel continuity; its window slides, its metadata and
    channel stay). 400 names the bad field; 403 without a valid key.
    """

    permission_classes = [HasAPIKey]

    InputSerializer = SessionStartInputSerializer

    @extend_schema(
        request=SessionStartInputSerializer,
        responses={201: _TokenSessionEnvelope, 200: _TokenSessionEnvelope},
        tags=["customer sessions"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session, created = services.customer_session_start(**data.validated_data)
        return Response(
            _with_token(session), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class SessionRestoreApi(APIView):
    """``GET /session/restore`` — a customer (``X-Session-Token``) or a channel
    client (``X-Phone`` with ``X-API-Key``; a phone alone never hands out a session).

    The token is tried first, then the phone. 200 ``{session_token, session}``
    and the window slides to now + ``SESSION_TTL``; 404 for an unknown,
    logged-out or expired session (an expired one is marked ``expired``); 400
    when neither header is given; 403 for a phone without a valid API key.
    """

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[TOKEN_HEADER, PHONE_HEADER],
        responses={200: _TokenSessionEnvelope},
        tags=["customer sessions"],
    )
    def get(self, request):
        token = request.headers.get("X-Session-Token", "").strip() or None
        phone = request.headers.get("X-Phone", "").strip() or None
        if not token and not phone:
            raise ValidationError(
                {"X-Session-Token": ["Send X-Session-Token, or X-Phone with an X-API-Key."]},
                code="required",
            )
        if phone and not has_api_key(request, self):
            if not token:
                raise PermissionDenied("Restoring by X-Phone needs a valid X-API-Key.")
            phone = None  # the token alone decides
        session = services.customer_session_restore(session_token=token, phone=phone)
        return Response(_with_token(session))


class SessionUpdateApi(APIView):
    """``POST /session/update`` — a customer (``X-Session-Token``).

    Body: ``{"metadata": {...}}``, applied as a JSON Merge Patch (RFC 7396:
    ``null`` deletes a key); the window slides. 200 ``{session}``; 400 when
    ``metadata`` is missing or not an object; 404 for an unknown, logged-out or
    expired session.
    """

    permission_classes = [AllowAny]

    InputSerializer = SessionUpdateInputSerializer

    @extend_schema(
        request=SessionUpdateInputSerializer,
        parameters=[TOKEN_HEADER],
        responses={200: _SessionEnvelope},
        tags=["customer sessions"],
    )
    def post(self, request):
        token = _required_token(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.customer_session_update(
            session_token=token, metadata_patch=data.validated_data["metadata"]
        )
        return Response({"session": CustomerSessionSerializer(session).data})


class SessionEndApi(APIView):
    """``POST /session/end`` — a customer (``X-Session-Token``).

    Sets status ``logged_out``; ending again answers 200 too. 200 ``{session}``;
    404 for a token that matches no session.
    """

    permission_classes = [AllowAny]

    @extend_schema(
        request=None,
        parameters=[TOKEN_HEADER],
        responses={200: _SessionEnvelope, 404: OpenApiResponse(description="unknown token")},
        tags=["customer sessions"],
    )
    def post(self, request):
        session = services.customer_session_end(session_token=_required_token(request))
        return Response({"session": CustomerSessionSerializer(session).data})


# =============================================================================
# Signed-in users (issue 4): /api/v1/me/ and /api/v1/user-sessions/
# Callers send Authorization: Bearer <Supabase access token>
# (sessions_app.authentication); request.user is their UserProfile.
# =============================================================================

SESSION_ID_REGEX = r"[A-Za-z0-9._:-]{8,128}"
SESSION_ID_PATTERN = re.compile(rf"^{SESSION_ID_REGEX}$")
JSON_FIELD_MAX_BYTES = 16 * 1024
_ERROR_RESPONSES = {
    401: OpenApiResponse(description="no or an invalid Bearer token"),
}


def _small_json_object(value: dict) -> dict:
    if len(json.dumps(value, separators=(",", ":"))) > JSON_FIELD_MAX_BYTES:
        raise serializers.ValidationError(f"At most {JSON_FIELD_MAX_BYTES} bytes of JSON.")
    return value


class UserProfileSerializer(serializers.ModelSerializer):
    """A signed-in user's profile; times are ISO 8601."""

    is_admin = serializers.BooleanField(read_only=True)

    class Meta:
        model = UserProfile
        fields = [
            "id",
            "email",
            "phone",
            "role",
            "is_admin",
            "registration_source",
            "created_at",
            "last_seen_at",
        ]
        read_only_fields = fields


class UserSessionSerializer(serializers.ModelSerializer):
    """A user session as stored (seed 004 columns); ``ip_address`` is masked,
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
    """One platform's row of the seed's ``active_sessions_summary``."""

    platform = serializers.CharField()
    active_count = serializers.IntegerField()
    avg_session_minutes = serializers.FloatField(help_text="mean of now - started_at, minutes")
    oldest_session = serializers.DateTimeField(help_text="earliest started_at")
    latest_activity = serializers.DateTimeField(help_text="latest last_activity_at")


class UserSessionSummarySerializer(serializers.Serializer):
    """Body of ``GET /api/v1/user-sessions/summary/``."""

    platforms = UserSessionPlatformSummarySerializer(many=True)


class UserSessionCursorPagination(CursorPagination):
    """Newest first; 50 per page (``page_size`` up to 200); follow ``next``."""

    ordering = ("-started_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class MeApi(APIView):
    """``GET /api/v1/me/`` — a signed-in user (Bearer token).

    200: the caller's profile ``{id, email, phone, role, is_admin,
    registration_source, created_at, last_seen_at}``; it was created on the
    caller's first authenticated request. 401 without a valid token.
    """

    permission_classes = [IsSignedInUser]

    @extend_schema(responses={200: UserProfileSerializer, **_ERROR_RESPONSES}, tags=["users"])
    def get(self, request):
        return Response(UserProfileSerializer(request.user).data)


class UserSessionListCreateApi(GenericAPIView):
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

    permission_classes = [IsSignedInUser]
    pagination_class = UserSessionCursorPagination
    serializer_class = UserSessionSerializer
    queryset = UserSession.objects.none()  # for the schema; get() asks the selector

    @extend_schema(
        parameters=[UserSessionListFilterSerializer],
        responses={200: UserSessionSerializer(many=True), **_ERROR_RESPONSES},
        tags=["user sessions"],
    )
    def get(self, request):
        filters = UserSessionListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        sessions = selectors.user_session_list(
            user_id=signed_in_user_id(request), **filters.validated_data
        )
        page = self.paginate_queryset(sessions)
        return self.get_paginated_response(UserSessionSerializer(page, many=True).data)

    @extend_schema(
        request=UserSessionStartInputSerializer,
        responses={
            201: UserSessionSerializer,
            200: UserSessionSerializer,
            409: OpenApiResponse(description="session_id belongs to another user"),
            **_ERROR_RESPONSES,
        },
        tags=["user sessions"],
    )
    def post(self, request):
        data = UserSessionStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session, created = services.user_session_start(
            user=request.user,
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

    permission_classes = [IsSignedInUser]

    @extend_schema(
        request=UserSessionHeartbeatInputSerializer,
        responses={
            200: UserSessionSerializer,
            404: OpenApiResponse(description="no such session of the caller"),
            409: OpenApiResponse(description="the session ended or timed out"),
            **_ERROR_RESPONSES,
        },
        tags=["user sessions"],
    )
    def post(self, request, session_id: str):
        data = UserSessionHeartbeatInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.user_session_heartbeat(
            user_id=signed_in_user_id(request),
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

    permission_classes = [IsSignedInUser]

    @extend_schema(
        request=UserSessionEndInputSerializer,
        responses={
            200: UserSessionSerializer,
            404: OpenApiResponse(description="no such session of the caller"),
            **_ERROR_RESPONSES,
        },
        tags=["user sessions"],
    )
    def post(self, request, session_id: str):
        data = UserSessionEndInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.user_session_end(
            user_id=signed_in_user_id(request),
            session_id=session_id,
            end_reason=data.validated_data["end_reason"],
        )
        return Response(UserSessionSerializer(session).data)


class UserSessionSummaryApi(APIView):
    """``GET /api/v1/user-sessions/summary/`` — admins only (profile role ``admin``
    or ``app_metadata.role = admin`` in the token).

    200 ``{platforms: [{platform, active_count, avg_session_minutes,
    oldest_session, latest_activity}]}``: the seed's ``active_sessions_summary``
    over active sessions, one aggregate query. 401 without a token, 403 for a
    non-admin.
    """

    permission_classes = [IsAdminRole]

    @extend_schema(
        responses={
            200: UserSessionSummarySerializer,
            403: OpenApiResponse(description="not an admin"),
            **_ERROR_RESPONSES,
        },
        tags=["user sessions"],
    )
    def get(self, request):
        rows = selectors.user_sessions_active_summary()
        return Response(UserSessionSummarySerializer({"platforms": rows}).data)
