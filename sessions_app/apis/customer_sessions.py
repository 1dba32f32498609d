"""Customer-session routes, at the exact paths the channel frontends call:
``/session/start``, ``/session/restore``, ``/session/update``, ``/session/end``.

Views only parse, call a service and render; the rules live in
``sessions_app.services.customer_sessions``. Callers: channel clients
(``X-API-Key``) start sessions and may restore one by phone; customers
(``X-Session-Token``) restore, update and end their own.
"""

from typing import Any, NoReturn

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.authentication import (
    SESSION_TOKEN_HEADER,
    ApiKeyAuthentication,
    SessionTokenAuthentication,
    caller_kind,
)
from common.fields import PhoneNumberField, TextIdField
from common.openapi import error_response
from common.permissions import IsApiClient, IsCustomer, has_api_key
from common.serializers import FieldsBoundOncePerThread, representer
from sessions_app import services
from sessions_app.authentication import VERIFY_BEARER
from sessions_app.models import CustomerSession

PHONE_HEADER = OpenApiParameter(
    "X-Phone",
    str,
    OpenApiParameter.HEADER,
    description="the customer's phone, any notation; needs X-API-Key",
)


class CustomerSessionSerializer(serializers.ModelSerializer):
    """``session``: ``{session_id, customer_id, phone, channel, status, created_at,
    last_activity, expires_at, metadata}``; times are ISO 8601 with offset."""

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


class SessionStartInputSerializer(FieldsBoundOncePerThread, serializers.Serializer):
    """Body of ``POST /session/start`` (fields built once per thread: a hot route)."""

    phone = PhoneNumberField(max_length=64)
    channel = serializers.ChoiceField(choices=CustomerSession.Channel.choices)
    customer_id = TextIdField(max_length=255)
    metadata = serializers.DictField(required=False)


class SessionUpdateInputSerializer(FieldsBoundOncePerThread, serializers.Serializer):
    """Body of ``POST /session/update``: a JSON Merge Patch for ``metadata`` (fields
    built once per thread: a hot route)."""

    metadata = serializers.DictField()


_SessionEnvelope = inline_serializer("SessionEnvelope", {"session": CustomerSessionSerializer()})
_TokenSessionEnvelope = inline_serializer(
    "TokenSessionEnvelope",
    {"session_token": serializers.CharField(), "session": CustomerSessionSerializer()},
)


# Built once: these routes answer every kiosk tap and chat message.
_session_data = representer(CustomerSessionSerializer)


def _with_token(session: CustomerSession) -> dict[str, Any]:
    return {"session_token": session.session_token, "session": _session_data(session)}


class CustomerApi(APIView):
    """Base of the routes only a customer (``X-Session-Token``) may call.

    Without the header the answer is 400 naming ``X-Session-Token`` (the routes'
    contract), not 403: the header is part of the request's shape.
    """

    authentication_classes = [SessionTokenAuthentication, *VERIFY_BEARER]
    permission_classes = [IsCustomer]

    def permission_denied(
        self, request: Request, message: str | None = None, code: str | None = None
    ) -> NoReturn:
        raise ValidationError({SESSION_TOKEN_HEADER: ["This header is required."]}, code="required")

    @staticmethod
    def session_token(request: Request) -> str:
        """The caller's token (set by SessionTokenAuthentication)."""
        return str(request.auth)


class SessionStartApi(APIView):
    """``POST /session/start`` — channel clients (``X-API-Key``).

    Body: ``{phone, channel, customer_id, metadata?}``.
    201 ``{session_token, session}`` for a new session; 200 with the same shape
    and the *existing* token when the phone already has an active session on
    any channel (omni-channel continuity; its window slides, its metadata and
    channel stay). 400 names the bad field; 403 without a valid key.
    """

    authentication_classes = [ApiKeyAuthentication, *VERIFY_BEARER]
    permission_classes = [IsApiClient]

    InputSerializer = SessionStartInputSerializer

    @extend_schema(
        request=SessionStartInputSerializer,
        responses={201: _TokenSessionEnvelope, 200: _TokenSessionEnvelope},
        tags=["customer sessions"],
    )
    def post(self, request: Request) -> Response:
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

    authentication_classes = [SessionTokenAuthentication, ApiKeyAuthentication, *VERIFY_BEARER]
    permission_classes = [IsCustomer | IsApiClient]

    @staticmethod
    def _neither_header() -> ValidationError:
        return ValidationError(
            {SESSION_TOKEN_HEADER: ["Send X-Session-Token, or X-Phone with an X-API-Key."]},
            code="required",
        )

    def permission_denied(
        self, request: Request, message: str | None = None, code: str | None = None
    ) -> NoReturn:
        if not request.headers.get("X-Phone", "").strip():
            raise self._neither_header()
        raise PermissionDenied("Restoring by X-Phone needs a valid X-API-Key.")

    @extend_schema(
        parameters=[PHONE_HEADER],
        responses={200: _TokenSessionEnvelope},
        tags=["customer sessions"],
    )
    def get(self, request: Request) -> Response:
        token = str(request.auth) if caller_kind(request) == "customer" else None
        phone = request.headers.get("X-Phone", "").strip() or None
        if phone and not has_api_key(request):
            phone = None  # the token alone decides
        if not token and not phone:
            raise self._neither_header()
        session = services.customer_session_restore(session_token=token, phone=phone)
        return Response(_with_token(session))


class SessionUpdateApi(CustomerApi):
    """``POST /session/update`` — a customer (``X-Session-Token``).

    Body: ``{"metadata": {...}}``, applied as a JSON Merge Patch (RFC 7396:
    ``null`` deletes a key); the window slides. 200 ``{session}``; 400 when
    ``metadata`` is missing or not an object; 404 for an unknown, logged-out or
    expired session.
    """

    InputSerializer = SessionUpdateInputSerializer

    @extend_schema(
        request=SessionUpdateInputSerializer,
        responses={200: _SessionEnvelope},
        tags=["customer sessions"],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.customer_session_update(
            session_token=self.session_token(request),
            metadata_patch=data.validated_data["metadata"],
        )
        return Response({"session": _session_data(session)})


class SessionEndApi(CustomerApi):
    """``POST /session/end`` — a customer (``X-Session-Token``).

    Sets status ``logged_out``; ending again answers 200 too. 200 ``{session}``;
    404 for a token that matches no session.
    """

    @extend_schema(
        request=None,
        responses={200: _SessionEnvelope, 404: error_response(404, "unknown token")},
        tags=["customer sessions"],
    )
    def post(self, request: Request) -> Response:
        session = services.customer_session_end(session_token=self.session_token(request))
        return Response({"session": _session_data(session)})
