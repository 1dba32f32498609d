"""Health endpoints for load balancers and orchestrators; who may read the API docs."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import error_body
from common.selectors import readiness_check

_status_serializer = inline_serializer("HealthStatus", {"status": serializers.CharField()})


class HealthzApi(APIView):
    """``GET /healthz`` (anyone): 200 ``{"status": "ok"}`` while the process serves
    requests. Touches nothing else, so a slow database does not restart the pod."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []  # a probe must never get 429

    @extend_schema(responses={200: _status_serializer}, tags=["health"])
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


class ReadyzApi(APIView):
    """``GET /readyz`` (anyone): 200 ``{"status": "ready"}`` when the database answers
    and every migration is applied; otherwise 503 with the error body whose code is
    ``database_unavailable`` or ``migrations_pending``."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []  # a probe must never get 429

    @extend_schema(responses={200: _status_serializer}, tags=["health"])
    def get(self, request: Request) -> Response:
        result = readiness_check()
        if result.ready:
            return Response({"status": "ready"})
        return Response(error_body("server_error", result.reason, result.detail), status=503)


def staff_unless_docs_public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap the OpenAPI schema and Swagger UI views: anyone may read them while
    ``API_DOCS_PUBLIC`` is on; otherwise only staff signed in to the admin (others
    are sent to the admin's login page). The setting is read per request."""
    staff_view = staff_member_required(view)

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.API_DOCS_PUBLIC:
            return view(request, *args, **kwargs)
        return staff_view(request, *args, **kwargs)

    return wrapped
