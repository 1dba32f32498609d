"""Customer-session compatibility routes (DESIGN.md "Customer sessions").

Paths keep the seeds' exact form: ``/session/start``, ``/session/restore``,
``/session/update``, ``/session/end``. Views only parse, call a service and
render; the rules live in ``sessions_app.services``.
"""

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_api_key.permissions import HasAPIKey

from common.fields import PhoneNumberField
from common.permissions import has_api_key
from sessions_app import services
from sessions_app.models import CustomerSession

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
    customer_id = serializers.CharField(max_length=255)
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
