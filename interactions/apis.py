"""AI sessions and interactions over HTTP.

``POST /session/create`` keeps the exact path the existing frontend calls; the
rest lives under ``/api/v1/``. Views parse with a serializer, call a service or
selector and render; the rules live in ``interactions.services``.

Who may call (common.authentication, common.permissions):
- the AI backend and channel clients send ``X-API-Key``: every session;
- a signed-in user (``Authorization: Bearer``) sees and creates only their own
  sessions. A request carrying both is treated as the signed-in user (the
  narrower scope).
"""

import math
from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from common.authentication import ApiKeyAuthentication
from common.db import INTEGER_MAX
from common.filters import query_params_parse
from common.openapi import error_response
from common.pagination import cursor_pagination
from common.permissions import IsApiClient, IsSignedInUser, signed_in_user_id
from common.serializers import FieldsBoundOncePerThread, representer
from interactions import selectors, services
from interactions.citations.services import MAX_CITATIONS
from interactions.filters import AISessionFilter
from interactions.models import AIInteraction, AISession, InteractionCitation
from sessions_app.authentication import VERIFY_BEARER, SupabaseJWTAuthentication
from usage.models import UsageLog


class StrictIntegerField(serializers.IntegerField):
    """An integer that must be a JSON integer: ``"12"``, ``12.0`` and ``true`` are refused."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictUUIDField(serializers.UUIDField):
    """A UUID sent as a JSON string; DRF would also turn the number 12 into a UUID."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


# --- serializers ------------------------------------------------------------


class AISessionCreateInputSerializer(serializers.Serializer):
    """Body of ``POST /session/create``; every field is optional."""

    session_id = StrictUUIDField(required=False, allow_null=True)
    user_id = serializers.CharField(max_length=100, required=False, allow_null=True)
    channel = serializers.SlugField(max_length=32, required=False, allow_null=True)
    title = serializers.CharField(max_length=200, required=False, allow_null=True)
    customer_session_id = StrictUUIDField(required=False, allow_null=True)
    openai_conversation_id = serializers.CharField(
        max_length=128,
        required=False,
        allow_null=True,
        help_text="OpenAI conversation id (conv_…); stored on a new session only.",
    )


class AISessionCreatedSerializer(serializers.ModelSerializer):
    """Answer of ``POST /session/create``."""

    session_id = serializers.UUIDField(source="id")

    class Meta:
        model = AISession
        fields = [
            "session_id",
            "user_id",
            "channel",
            "title",
            "openai_conversation_id",
            "created_at",
        ]
        read_only_fields = fields


class AISessionListItemSerializer(serializers.ModelSerializer):
    """One row of ``GET /api/v1/ai-sessions/``. ``updated_at`` is the last activity;
    ``total_tokens`` and ``total_cost_usd`` (USD, known prices only, null when none)
    are summed over the session's usage rows."""

    session_id = serializers.UUIDField(source="id")
    customer_session_id = serializers.UUIDField(allow_null=True)
    total_tokens = serializers.IntegerField()
    total_cost_usd = serializers.DecimalField(max_digits=20, decimal_places=12, allow_null=True)

    class Meta:
        model = AISession
        fields = [
            "session_id",
            "user_id",
            "title",
            "channel",
            "customer_session_id",
            "openai_conversation_id",
            "created_at",
            "updated_at",
            "last_interaction_at",
            "interaction_count",
            "total_tokens",
            "total_cost_usd",
        ]
        read_only_fields = fields


class StrictFloatField(serializers.FloatField):
    """A finite JSON number: ``"0.5"``, ``true``, NaN and infinities are refused."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float) or not math.isfinite(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class InteractionCitationSerializer(serializers.ModelSerializer):
    """A document behind the answer. ``kind``: ``cited`` (a ``file_citation``
    annotation; ``position`` = its character index in the answer) or
    ``retrieved`` (a file the search returned that the answer did not cite;
    ``position`` = its rank, 0 first). ``score``: the file's best ``file_search``
    score, null when the results were not sent. ``document_id`` and
    ``openai_file_id`` are null when the reader may not read that document (or
    the file is unknown here); ``filename`` is always shown."""

    document_id = serializers.UUIDField(allow_null=True)
    openai_file_id = serializers.CharField(allow_null=True)

    class Meta:
        model = InteractionCitation
        fields = ["document_id", "openai_file_id", "filename", "kind", "position", "score"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not getattr(instance, "document_visible", True):
            data["document_id"] = data["openai_file_id"] = None
        return data


class AIInteractionSerializer(serializers.ModelSerializer):
    """One interaction. Tokens in OpenTelemetry GenAI terms: ``input_tokens``
    includes ``cached_input_tokens``, ``output_tokens`` includes
    ``reasoning_output_tokens``; ``tokens_used`` is the total. ``citations``: the
    documents behind the answer, cited ones first."""

    session_id = serializers.UUIDField()
    citations = InteractionCitationSerializer(many=True, source="citation_list")

    class Meta:
        model = AIInteraction
        fields = [
            "id",
            "session_id",
            "prompt",
            "response",
            "model_used",
            "tokens_used",
            "input_tokens",
            "cached_input_tokens",
            "output_tokens",
            "reasoning_output_tokens",
            "latency_ms",
            "finish_reason",
            "openai_response_id",
            "metadata",
            "citations",
            "created_at",
        ]
        read_only_fields = fields


class InteractionUsageSerializer(serializers.ModelSerializer):
    """The usage row written with an interaction. ``cost_usd`` is USD from
    genai-prices, null with ``price_unknown`` true for a model without a price."""

    class Meta:
        model = UsageLog
        fields = [
            "id",
            "request_id",
            "service",
            "request_model",
            "response_model",
            "input_tokens",
            "cached_input_tokens",
            "output_tokens",
            "reasoning_output_tokens",
            "total_tokens",
            "cost_usd",
            "reported_cost_usd",
            "price_unknown",
            "price_source",
            "price_version",
        ]
        read_only_fields = fields


class AIInteractionLoggedSerializer(AIInteractionSerializer):
    """Answer of ``POST /api/v1/interactions/``: the interaction, its usage row (null
    without usage) and ``duplicate`` (true: an earlier request with the same
    request_id was recorded; these are its rows and nothing new was written)."""

    duplicate = serializers.BooleanField()
    usage = InteractionUsageSerializer(allow_null=True)
    budget_exceeded = serializers.BooleanField(
        help_text="true: the session's owner is now over one of their usage budgets "
        "(the interaction is recorded all the same)"
    )

    class Meta(AIInteractionSerializer.Meta):
        fields = [*AIInteractionSerializer.Meta.fields, "duplicate", "usage", "budget_exceeded"]
        read_only_fields = fields


class FileCitationInputSerializer(serializers.Serializer):
    """A ``file_citation`` annotation of the answer's ``output_text``, as the
    Responses API gives it. Other annotation types (``url_citation``,
    ``container_file_citation``, ``file_path``) are refused: leave them out."""

    type = serializers.ChoiceField(choices=["file_citation"], required=False)
    file_id = serializers.CharField(max_length=128)
    filename = serializers.CharField(
        max_length=255, required=False, allow_blank=True, trim_whitespace=False
    )
    index = StrictIntegerField(
        min_value=0, max_value=INTEGER_MAX, help_text="character index in the answer's text"
    )


class FileSearchResultInputSerializer(serializers.Serializer):
    """A ``file_search_call.results`` entry (``include=["file_search_call.results"]``).
    ``text`` and ``attributes`` are accepted and not stored: the chunk is the
    document's content, readable only through the document's own access rules."""

    file_id = serializers.CharField(max_length=128)
    filename = serializers.CharField(
        max_length=255, required=False, allow_blank=True, allow_null=True, trim_whitespace=False
    )
    score = StrictFloatField(required=False, allow_null=True, help_text="relevance, 0 to 1")
    attributes = serializers.DictField(required=False, allow_null=True)
    text = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, trim_whitespace=False
    )


class InteractionCreateInputSerializer(FieldsBoundOncePerThread, serializers.Serializer):
    """Body of ``POST /api/v1/interactions/``.

    ``usage`` is OpenAI's usage object in either shape (Chat Completions:
    ``prompt_tokens``, ``completion_tokens``, ``prompt_tokens_details.cached_tokens``,
    ``completion_tokens_details.reasoning_tokens``; Responses: ``input_tokens``,
    ``output_tokens``, ``input_tokens_details.cached_tokens``,
    ``output_tokens_details.reasoning_tokens``). ``request_id`` (default:
    ``openai_response_id``) makes a retry safe; it needs ``usage``. ``prompt`` and
    ``response`` are required and may be "" (an OpenAI answer with only tool calls,
    or stopped by the content filter, has empty content).
    """

    session_id = StrictUUIDField()
    prompt = serializers.CharField(trim_whitespace=False, allow_blank=True)
    response = serializers.CharField(trim_whitespace=False, allow_blank=True)
    model_used = serializers.CharField(max_length=50, required=False, allow_null=True)
    usage = serializers.JSONField(required=False, allow_null=True)
    tokens_used = StrictIntegerField(
        min_value=0, max_value=INTEGER_MAX, required=False, allow_null=True
    )
    latency_ms = StrictIntegerField(
        min_value=0, max_value=INTEGER_MAX, required=False, allow_null=True
    )
    openai_response_id = serializers.CharField(
        max_length=128,
        required=False,
        allow_null=True,
        help_text="Stored on the interaction; with usage it is the default request_id.",
    )
    finish_reason = serializers.CharField(max_length=32, required=False, allow_null=True)
    response_model = serializers.CharField(max_length=100, required=False, allow_null=True)
    service = serializers.ChoiceField(
        choices=UsageLog.Service.choices, required=False, allow_null=True
    )
    request_id = serializers.CharField(
        max_length=128,
        required=False,
        allow_null=True,
        help_text=(
            "Idempotency key of the OpenAI call, unique in usage_logs (default: "
            "openai_response_id). Requires usage: duplicates are detected on the usage "
            "row, so a request_id without usage is 400."
        ),
    )
    reported_cost_usd = serializers.DecimalField(
        max_digits=20, decimal_places=12, min_value=0, required=False, allow_null=True
    )
    user_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_null=True,
        help_text=(
            "Owner of a session that has none yet; never replaces an owner. The usage "
            "row is attributed to the session's owner."
        ),
    )
    channel = serializers.SlugField(max_length=32, required=False, allow_null=True)
    openai_conversation_id = serializers.CharField(
        max_length=128,
        required=False,
        allow_null=True,
        help_text="Stored on the session when it has none; never overwritten.",
    )
    metadata = serializers.DictField(required=False)
    citations = serializers.ListField(
        child=FileCitationInputSerializer(),
        required=False,
        max_length=MAX_CITATIONS,
        help_text="the answer's file_citation annotations (at most 100)",
    )
    retrieved = serializers.ListField(
        child=FileSearchResultInputSerializer(),
        required=False,
        max_length=MAX_CITATIONS,
        help_text="the file_search_call.results entries (at most 100)",
    )


# Built once: the interaction route answers on every AI reply.
_interaction_data = representer(AIInteractionSerializer)
_usage_data = representer(InteractionUsageSerializer)


# --- views ------------------------------------------------------------------


class AISessionCreateApi(APIView):
    """``POST /session/create`` — an API key, or a signed-in user.

    Body ``{session_id?, user_id?, channel?, title?, customer_session_id?,
    openai_conversation_id?}``.
    201 ``{session_id, …}`` for a new session (a given id is kept, none → a new
    UUID); 200 with the same shape when it existed (idempotent; an
    existing row is returned unchanged). A signed-in user's session is always
    theirs: a ``user_id`` other than their own is 403, and an existing id owned by
    anyone else is 409 ``session_id_taken``. 400 names a bad field (non-UUID id,
    unknown customer session); 403 without credentials.
    """

    authentication_classes = [SupabaseJWTAuthentication, ApiKeyAuthentication]
    permission_classes = [IsApiClient | IsSignedInUser]

    @extend_schema(
        request=AISessionCreateInputSerializer,
        responses={
            201: AISessionCreatedSerializer,
            200: AISessionCreatedSerializer,
            409: error_response(409, "session_id_taken: the id belongs to another user"),
        },
        tags=["ai sessions"],
    )
    def post(self, request):
        data = AISessionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        user_id = signed_in_user_id(request)
        if user_id is not None:
            if fields.get("user_id") not in (None, user_id):
                raise PermissionDenied("A signed-in user can only create their own sessions.")
            fields["user_id"] = user_id
        session, created = services.ai_session_get_or_create(
            **fields, owner_only=user_id is not None
        )
        return Response(
            AISessionCreatedSerializer(session).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class InteractionCreateApi(APIView):
    """``POST /api/v1/interactions/`` — the AI backend (API key).

    Body: see InteractionCreateInputSerializer. 201 with the interaction, its usage
    row (cost in USD from genai-prices; null cost and ``price_unknown`` for an
    unknown model) and ``duplicate: false``. An unknown ``session_id`` creates the
    session in the same transaction. A ``request_id`` (default:
    ``openai_response_id``) already recorded: 200 with the FIRST interaction and
    usage row and ``duplicate: true``; nothing is written. 409
    ``duplicate_request_id`` when that request_id belongs to a usage row without an
    interaction. 400 names the field (non-UUID session id, missing or null prompt
    or response — "" is accepted —, bad token counts, unknown usage shape, a
    total below input + output, a ``request_id`` without ``usage``), and nothing
    is written. The usage row's ``user_id`` is the session's owner;
    ``budget_exceeded`` is true when that owner is now over one of their budgets.

    ``citations`` (the answer's ``file_citation`` annotations) and ``retrieved``
    (the ``file_search_call.results`` entries), at most 100 each, are stored in
    the same transaction (one more INSERT) and answered as ``citations``, each
    linked to the document holding its file (``document_id`` null while the file
    is unknown here). A bad item is a 400 naming it (``citations.3.file_id``) and
    nothing is written; a duplicate request answers the first request's
    citations.
    """

    authentication_classes = [ApiKeyAuthentication, *VERIFY_BEARER]
    permission_classes = [IsApiClient]

    @extend_schema(
        request=InteractionCreateInputSerializer,
        responses={
            201: AIInteractionLoggedSerializer,
            200: AIInteractionLoggedSerializer,
            409: error_response(
                409, "duplicate_request_id: the request_id's usage row has no interaction"
            ),
        },
        tags=["ai sessions"],
    )
    def post(self, request):
        data = InteractionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        logged = services.ai_interaction_log(**data.validated_data)
        logged.interaction.citation_list = logged.citations  # type: ignore[attr-defined]
        body = _interaction_data(logged.interaction)
        body["duplicate"] = logged.duplicate
        body["usage"] = _usage_data(logged.usage_log) if logged.usage_log else None
        # Set by the usage service when it wrote the row (no extra query).
        body["budget_exceeded"] = bool(logged.usage_log and logged.usage_log.budget_exceeded)
        return Response(
            body, status=status.HTTP_200_OK if logged.duplicate else status.HTTP_201_CREATED
        )


class AISessionListApi(generics.ListAPIView):
    """``GET /api/v1/ai-sessions/`` — an API key (every session) or a signed-in user
    (their own sessions only).

    Newest activity first, cursor-paginated (``?cursor=``, ``?page_size=`` ≤ 200):
    ``{next, previous, results: [session with interaction_count,
    last_interaction_at, total_tokens, total_cost_usd]}``. Filters: ``user_id``,
    ``channel``, ``created_after``/``created_before``, ``active_after``/
    ``active_before`` (ISO 8601); a bad value is 400 naming the parameter. One
    query per page whatever its size (plus the API-key check).
    """

    authentication_classes = [SupabaseJWTAuthentication, ApiKeyAuthentication]
    permission_classes = [IsApiClient | IsSignedInUser]
    serializer_class = AISessionListItemSerializer
    pagination_class = cursor_pagination("-updated_at")
    # The FilterSet parses the query (and documents it in the schema); the
    # selector filters, so the backend's own filtering step is skipped.
    filter_backends = [DjangoFilterBackend]
    filterset_class = AISessionFilter

    def get_queryset(self) -> QuerySet[AISession]:
        filters = query_params_parse(AISessionFilter, self.request)
        return selectors.ai_session_list(owner_id=signed_in_user_id(self.request), **filters)

    def filter_queryset(self, queryset: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
        return queryset

    @extend_schema(tags=["ai sessions"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AIInteractionListApi(generics.ListAPIView):
    """``GET /api/v1/ai-sessions/{session_id}/interactions/`` — the session's owner
    (signed-in user) or an API key.

    The history oldest first, cursor-paginated (``?cursor=``, ``?page_size=`` ≤ 200).
    404 ``ai_session_not_found`` for an unknown session or one owned by someone
    else. Each interaction carries ``citations``: a citation's ``document_id`` and
    ``openai_file_id`` are shown to an API key (the AI backend) and to admins,
    and to a signed-in user only for documents they own or hold a grant on
    (otherwise only the ``filename``). Three queries per page (the session, the
    page, the page's citations with the reader's rights) whatever its size.
    """

    authentication_classes = [SupabaseJWTAuthentication, ApiKeyAuthentication]
    permission_classes = [IsApiClient | IsSignedInUser]
    serializer_class = AIInteractionSerializer
    pagination_class = cursor_pagination("created_at")
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[AIInteraction]:
        reader = signed_in_user_id(self.request)
        return selectors.ai_interaction_list(
            session_id=self.kwargs["session_id"],
            owner_id=reader,
            reader_sees_all=reader is None or getattr(self.request.user, "is_admin", False),
        )

    @extend_schema(tags=["ai sessions"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
