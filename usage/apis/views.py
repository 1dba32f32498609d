"""Usage, analytics, budgets and quotas over HTTP. Views parse with a serializer,
call a service or selector and render; the rules live in ``usage.services`` and
``usage.selectors``.

Who may call (``common.authentication``, ``common.permissions``):
- ``POST /api/v1/usage/events/``: API key (the AI backend);
- ``GET /api/v1/usage/summary/``, ``GET /api/v1/usage/quota/``: a signed-in user
  (their own figures; an admin may pass ``user_id``) or an API key (``user_id``
  required); a request carrying both is the signed-in user;
- analytics, the CSV report, budgets and alerts: admin users (``role = admin``)
  or staff signed in to the Django admin.
"""

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from common.authentication import ApiKeyAuthentication, StaffSessionAuthentication
from common.pagination import cursor_pagination
from common.permissions import IsAdminRole, IsApiClient, IsSignedInUser, IsStaff, signed_in_user_id
from sessions_app.authentication import VERIFY_BEARER, SupabaseJWTAuthentication
from usage import selectors, services
from usage.apis import serializers as s
from usage.models import Budget, UsageAlert

TAGS = ["usage"]


def _target_user(request, requested: str | None) -> str:
    """The user whose figures are asked for: a signed-in user's own (an admin may name
    another with ``user_id``); an API key must name one."""
    own = signed_in_user_id(request)
    if own is not None:
        if requested and requested != own:
            if not getattr(request.user, "is_admin", False):
                raise PermissionDenied("Only admins may read another user's usage.")
            return requested
        return own
    if not requested:
        raise serializers.ValidationError({"user_id": "Required with an API key."})
    return requested


class UsageEventsApi(APIView):
    """``POST /api/v1/usage/events/`` — the AI backend (API key).

    Body ``{"events": [...]}``, 1 to 1,000 events (see EventsInputSerializer).
    Validated whole: any bad event is 400 listing each bad item as
    ``events.<index>.<field>``, and nothing is written. Otherwise one bulk insert:
    201 ``{"created": N, "duplicates": M, "budget_exceeded": [user_id, …]}``;
    events whose ``request_id`` is recorded already, or repeated in the batch, are
    skipped (``duplicates``). Costs are priced with genai-prices (cached input
    tokens at the cached rate, once; a model without a price: ``cost_usd`` null,
    counted as unpriced). The daily rollup and budget alerts are updated in the
    same transaction. Usage of a user over budget is still recorded.
    """

    authentication_classes = [ApiKeyAuthentication, *VERIFY_BEARER]
    permission_classes = [IsApiClient]

    @extend_schema(
        request=s.EventsInputSerializer,
        responses={201: s.EventsIngestedSerializer},
        tags=TAGS,
    )
    def post(self, request):
        data = s.EventsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.usage_events_ingest(events=data.validated_data["events"])
        return Response(
            {
                "created": result.created,
                "duplicates": result.duplicates,
                "budget_exceeded": result.budget_exceeded_user_ids,
            },
            status=status.HTTP_201_CREATED,
        )


class UsageSummaryApi(APIView):
    """``GET /api/v1/usage/summary/?from=&to=&user_id=`` — a signed-in user (own
    usage; an admin may pass ``user_id``) or an API key (``user_id`` required).

    ``from``/``to``: inclusive UTC dates (default: the last 30 days; at most 366).
    200 ``{from, to, totals, by_day, by_model, by_service}``; every day of the
    period is in ``by_day`` (zeros when there were no calls). Read from the daily
    rollup (one query). 400 names a bad parameter; 403 for another user's figures
    without the admin role.
    """

    authentication_classes = [SupabaseJWTAuthentication, ApiKeyAuthentication]
    permission_classes = [IsApiClient | IsSignedInUser]

    @extend_schema(
        parameters=[s.SummaryQuerySerializer], responses={200: s.SummarySerializer}, tags=TAGS
    )
    def get(self, request):
        query = s.SummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        user_id = _target_user(request, params.get("user_id"))
        summary = selectors.usage_summary(user_id=user_id, start=params["start"], end=params["end"])
        return Response(s.SummarySerializer(summary).data)


class UsageAnalyticsApi(APIView):
    """``GET /api/v1/usage/analytics/?from=&to=&limit=`` — admins.

    All users: ``{from, to, totals, by_day, top_users, top_models}``; ``top_*`` by
    cost, highest first, ``limit`` each (default 10, at most 100). Three queries on
    the rollups (``usage.selectors.usage_analytics``).
    """

    authentication_classes = [SupabaseJWTAuthentication, StaffSessionAuthentication]
    permission_classes = [IsAdminRole | IsStaff]

    @extend_schema(
        parameters=[s.AnalyticsQuerySerializer], responses={200: s.AnalyticsSerializer}, tags=TAGS
    )
    def get(self, request):
        query = s.AnalyticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        analytics = selectors.usage_analytics(
            start=params["start"], end=params["end"], limit=params["limit"]
        )
        return Response(s.AnalyticsSerializer(analytics).data)


class CSVRenderer(BaseRenderer):
    """``text/csv`` for the report; error bodies (dicts) stay JSON text."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


class UsageReportCsvApi(APIView):
    """``GET /api/v1/usage/report.csv?from=&to=`` — admins.

    A streamed CSV, header ``user_id,model,calls,input_tokens,cached_input_tokens,
    output_tokens,reasoning_output_tokens,cost_usd,unpriced_calls``; one row per user
    and model with calls in the period, ordered by user then model. ``cost_usd`` is
    USD (12 decimal places) and sums to ``/analytics/``' total for the same period.
    An empty ``user_id`` / ``model`` is a call without one; lines end with LF. On
    PostgreSQL the database writes the CSV (``COPY … TO STDOUT``).
    """

    authentication_classes = [SupabaseJWTAuthentication, StaffSessionAuthentication]
    permission_classes = [IsAdminRole | IsStaff]
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        parameters=[s.PeriodQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="the CSV report")
        },
        tags=TAGS,
    )
    def get(self, request):
        query = s.PeriodQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        lines = selectors.usage_report_csv(start=start, end=end)
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="usage-report-{start:%Y-%m-%d}-{end:%Y-%m-%d}.csv"'
        )
        return response


class BudgetListCreateApi(generics.ListCreateAPIView):
    """``GET``, ``POST /api/v1/usage/budgets/`` — admins.

    GET: every budget (ordered by id, cursor-paginated). POST: create one (see
    BudgetSerializer); 201 with it; 400 naming the field when the scope is not
    exactly one of ``user_id``/``role``, no limit is given, or ``window_days`` does
    not match the window.
    """

    authentication_classes = [SupabaseJWTAuthentication, StaffSessionAuthentication]
    permission_classes = [IsAdminRole | IsStaff]
    serializer_class = s.BudgetSerializer
    queryset = Budget.objects.all()
    filter_backends: list = []

    pagination_class = cursor_pagination("id")

    @extend_schema(tags=TAGS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=TAGS)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.budget_create(**serializer.validated_data)


class BudgetDetailApi(generics.RetrieveUpdateDestroyAPIView):
    """``GET``, ``PATCH``, ``DELETE /api/v1/usage/budgets/{id}/`` — admins.

    PATCH changes the given fields (the same rules as creation apply to the
    result); DELETE removes the budget and its alerts (204). 404 for an unknown id.
    """

    authentication_classes = [SupabaseJWTAuthentication, StaffSessionAuthentication]
    permission_classes = [IsAdminRole | IsStaff]
    serializer_class = s.BudgetSerializer
    queryset = Budget.objects.all()
    http_method_names = ["get", "patch", "delete", "options"]

    @extend_schema(tags=TAGS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=TAGS)
    def patch(self, request, *args, **kwargs):
        return super().patch(request, *args, **kwargs)

    @extend_schema(tags=TAGS)
    def delete(self, request, *args, **kwargs):
        return super().delete(request, *args, **kwargs)

    def perform_update(self, serializer):
        serializer.instance = services.budget_update(
            budget=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.budget_delete(budget=instance)


class UsageQuotaApi(APIView):
    """``GET /api/v1/usage/quota/`` — a signed-in user (own quota; an admin may pass
    ``user_id``) or an API key (``?user_id=`` required).

    200 ``{"allowed", "budgets": [{id, scope, window, window_start, window_end,
    limit_usd, used_usd, remaining_usd, limit_tokens, used_tokens,
    remaining_tokens}]}``. ``allowed`` is false when any applicable budget is used
    up (used ≥ limit); the AI backend asks before calling OpenAI. Windows come from
    the clock (UTC day, week from Monday, calendar month, or the last N x 24 hours).
    The ``RateLimit-Policy`` / ``RateLimit`` headers describe the same budgets.
    """

    authentication_classes = [SupabaseJWTAuthentication, ApiKeyAuthentication]
    permission_classes = [IsApiClient | IsSignedInUser]

    @extend_schema(
        parameters=[
            s.UserQuerySerializer,
            OpenApiParameter(
                "RateLimit-Policy",
                str,
                OpenApiParameter.HEADER,
                response=[200],
                description='one item per budget and limit: "budget-<id>-usd";q=<US cents>;'
                'w=<window seconds>, "budget-<id>-tokens";q=<tokens>;w=…',
            ),
            OpenApiParameter(
                "RateLimit",
                str,
                OpenApiParameter.HEADER,
                response=[200],
                description='"budget-<id>-usd";r=<remaining cents>;t=<seconds to reset>, …',
            ),
        ],
        responses={200: s.QuotaSerializer},
        tags=TAGS,
    )
    def get(self, request):
        query = s.UserQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user_id = _target_user(request, query.validated_data.get("user_id"))
        quota = selectors.usage_quota_get(user_id=user_id)
        return Response(s.QuotaSerializer(quota).data, headers=selectors.ratelimit_headers(quota))


class UsageAlertListApi(generics.ListAPIView):
    """``GET /api/v1/usage/alerts/`` — admins.

    Threshold alerts, newest first, cursor-paginated: ``{next, previous, results:
    [{id, budget_id, user_id, threshold, window_start, used_usd, used_tokens,
    created_at}]}``; ``?user_id=`` and ``?budget_id=`` filter. One query per page.
    """

    authentication_classes = [SupabaseJWTAuthentication, StaffSessionAuthentication]
    permission_classes = [IsAdminRole | IsStaff]
    serializer_class = s.AlertSerializer
    pagination_class = cursor_pagination("-created_at", "-id")
    filter_backends: list = []

    def get_queryset(self):
        queryset = UsageAlert.objects.all()
        query = s.AlertQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        for key, value in query.validated_data.items():
            queryset = queryset.filter(**{key: value})
        return queryset

    @extend_schema(parameters=[s.AlertQuerySerializer], tags=TAGS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
