"""Documents over HTTP: upload, list, read, delete, access grants, search scope.

Who may call (common.permissions): signed-in users (``Authorization: Bearer``)
for everything; admins are users whose role is admin and see every document.
``GET /api/v1/documents/search-scope/`` also takes an API key (the AI backend)
with ``?user_id=``. Views parse with a serializer, call a selector or service
and render; the rules live in ``documents.services`` / ``documents.selectors``.

A caller who may not read a document gets 404 (never 403: that would confirm
it exists); a ``read`` grantee who tries to delete or share gets 403.
"""

from collections.abc import Sequence
from typing import Any, cast

from django.conf import settings
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_serializers import ValidationErrorResponseSerializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from common.authentication import ApiKeyAuthentication
from common.filters import query_params_parse
from common.openapi import error_response
from common.pagination import cursor_pagination
from common.permissions import IsApiClient, IsSignedInUser, signed_in_user_id
from documents import selectors, services
from documents.exceptions import (
    DocumentPermissionDenied,
    DocumentTooLarge,
    DocumentTypeNotAllowed,
    OpenAIUnavailable,
)
from documents.filters import DocumentFilter
from documents.models import Document, DocumentAccess
from documents.openapi import (
    ErrorResponse413Serializer,
    ErrorResponse415Serializer,
    ErrorResponse429Serializer,
    ErrorResponse502Serializer,
)
from interactions.citations.selectors import CitationStats, document_citation_stats
from sessions_app.authentication import SupabaseJWTAuthentication
from sessions_app.models import UserProfile

# Room for the multipart envelope and the other form fields around the file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class FileTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The file is too large."
    default_code = "file_too_large"


class UnsupportedFileType(APIException):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_detail = "This type of file cannot be searched."
    default_code = "unsupported_file_type"


class BadGateway(APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = "OpenAI failed; nothing was changed. Retry later."
    default_code = "openai_unavailable"


class DocumentErrorsMixin:
    """Turns the documents services' errors into HTTP answers (the project's JSON
    error body): too large → 413, type not allowed → 415, not allowed to manage
    → 403, OpenAI failing → 502."""

    def handle_exception(self, exc):
        if isinstance(exc, DocumentTooLarge):
            exc = FileTooLarge(exc.message, code=exc.code)
        elif isinstance(exc, DocumentTypeNotAllowed):
            exc = UnsupportedFileType(exc.message, code=exc.code)
        elif isinstance(exc, DocumentPermissionDenied):
            exc = PermissionDenied(exc.message, code=exc.code)
        elif isinstance(exc, OpenAIUnavailable):
            exc = BadGateway(exc.message, code=exc.code)
        return super().handle_exception(exc)  # type: ignore[misc]


def _caller(request: Any) -> UserProfile:
    """The signed-in caller's profile (``request.user`` under the bearer class)."""
    return cast(UserProfile, request.user)


# --- serializers ------------------------------------------------------------------


class DocumentSerializer(serializers.ModelSerializer):
    """A document. ``size_bytes`` in bytes; ``sha256`` hex (null for a file found on
    OpenAI); ``status`` one of uploaded, processing, ready, failed, deleted,
    missing; ``owner_id`` the uploader's user id (null for a file nobody here
    uploaded)."""

    owner_id = serializers.UUIDField(allow_null=True, read_only=True)
    citation_count = serializers.IntegerField(
        read_only=True, default=0, help_text="answers (interactions) that cited the document"
    )
    last_cited_at = serializers.DateTimeField(
        read_only=True, default=None, allow_null=True, help_text="null: never cited"
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "title",
            "filename",
            "content_type",
            "size_bytes",
            "sha256",
            "status",
            "last_error",
            "openai_file_id",
            "vector_store_id",
            "owner_id",
            "citation_count",
            "last_cited_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def with_citation_stats(documents: list[Document]) -> list[Document]:
    """Set ``citation_count`` and ``last_cited_at`` on ``documents`` for
    DocumentSerializer (one query for the whole list)."""
    stats = document_citation_stats(document_ids=[d.pk for d in documents])
    for document in documents:
        found = stats.get(document.pk, CitationStats())
        document.citation_count = found.citation_count  # type: ignore[attr-defined]
        document.last_cited_at = found.last_cited_at  # type: ignore[attr-defined]
    return documents


class DocumentUploadSerializer(serializers.Serializer):
    """Body of ``POST /api/v1/documents/`` (multipart/form-data)."""

    file = serializers.FileField(
        help_text="pdf, txt, md, docx, pptx, csv, json, html and the other text formats "
        "OpenAI file_search supports; at most DOCUMENT_MAX_BYTES (default 20 MiB)."
    )
    title = serializers.CharField(
        max_length=255, required=False, allow_blank=True, help_text="default: the file name"
    )


class DocumentAccessSerializer(serializers.ModelSerializer):
    """A grant: ``user_id`` may ``read`` or ``manage`` the document."""

    user_id = serializers.UUIDField(read_only=True)
    granted_by = serializers.UUIDField(source="granted_by_id", allow_null=True, read_only=True)

    class Meta:
        model = DocumentAccess
        fields = ["user_id", "permission", "granted_by", "granted_at"]
        read_only_fields = fields


class DocumentAccessInputSerializer(serializers.Serializer):
    """Body of ``POST /api/v1/documents/{id}/access/``."""

    user_id = serializers.UUIDField(help_text="a user who has signed in here before")
    permission = serializers.ChoiceField(choices=DocumentAccess.Permission.choices)


class SearchScopeQuerySerializer(serializers.Serializer):
    """Query of ``GET /api/v1/documents/search-scope/``."""

    user_id = serializers.UUIDField(
        required=False, help_text="required with an API key; a signed-in user gets their own"
    )


class SearchScopeSerializer(serializers.Serializer):
    """The ``file_search`` scope of one user: pass ``vector_store_ids`` and
    ``filters`` as they are to the Responses API's ``file_search`` tool. An empty
    ``vector_store_ids`` means there is nothing to search (the filter then matches
    no document)."""

    vector_store_ids = serializers.ListField(child=serializers.CharField())
    filters = serializers.JSONField(
        help_text="OpenAI ComparisonFilter / CompoundFilter on the document_id attribute"
    )
    document_ids = serializers.ListField(child=serializers.UUIDField())


# --- views ----------------------------------------------------------------------

_502 = OpenApiResponse(ErrorResponse502Serializer, description="OpenAI failed; see the body.")


class DocumentListCreateApi(DocumentErrorsMixin, generics.ListAPIView):
    """``GET`` / ``POST /api/v1/documents/`` — signed-in users."""

    authentication_classes = [SupabaseJWTAuthentication]
    permission_classes = [IsSignedInUser]
    serializer_class = DocumentSerializer
    pagination_class = cursor_pagination("-created_at")
    parser_classes = [MultiPartParser]
    # The FilterSet parses the query (and documents it in the schema); the
    # selector filters, so the backend's own filtering step is skipped.
    filter_backends = [DjangoFilterBackend]
    filterset_class = DocumentFilter

    def get_queryset(self) -> QuerySet[Document]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller
            return Document.objects.none()
        filters = query_params_parse(DocumentFilter, self.request)
        return selectors.user_documents_list(user=_caller(self.request), **filters)

    def filter_queryset(self, queryset: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
        return queryset

    def paginate_queryset(self, queryset: QuerySet[Any, Any] | Sequence[Any]) -> list[Any] | None:
        """The page, its ``processing`` documents refreshed from OpenAI, with their
        citation counts."""
        page = super().paginate_queryset(queryset)
        return (
            None
            if page is None
            else with_citation_stats(services.document_status_refresh(documents=page))
        )

    @extend_schema(tags=["documents"])
    def get(self, request, *args, **kwargs):
        """The caller's own documents and those shared with them (admins: every
        document), newest first, cursor-paginated ``{next, previous, results}``
        (``?cursor=``, ``?page_size=`` ≤ 200). ``?status=`` filters (deleted ones
        only with ``status=deleted``), ``?owner_id=`` narrows to one owner. A
        ``processing`` document on the page is refreshed from OpenAI (at most
        once per ``DOCUMENT_STATUS_REFRESH_SECONDS``; one OpenAI call for the
        whole page). 400 names a bad parameter."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": DocumentUploadSerializer},
        parameters=[
            OpenApiParameter(
                "Retry-After",
                int,
                OpenApiParameter.HEADER,
                response=[429],
                description="seconds until every used-up budget allows calls again",
            ),
            OpenApiParameter(
                "RateLimit-Policy",
                str,
                OpenApiParameter.HEADER,
                response=[429],
                description='one item per budget and limit: "budget-<id>-usd";q=<US cents>;'
                'w=<window seconds>, "budget-<id>-tokens";q=<tokens>;w=…',
            ),
            OpenApiParameter(
                "RateLimit",
                str,
                OpenApiParameter.HEADER,
                response=[429],
                description='"budget-<id>-usd";r=<remaining cents>;t=<seconds to reset>, …',
            ),
        ],
        responses={
            201: DocumentSerializer,
            200: OpenApiResponse(
                DocumentSerializer, description="this user already uploaded the same content"
            ),
            413: ErrorResponse413Serializer,
            415: ErrorResponse415Serializer,
            429: ErrorResponse429Serializer,
            502: _502,
        },
        tags=["documents"],
    )
    def post(self, request):
        """Upload a document (multipart: ``file``, optional ``title``).

        Checked before anything leaves the server: size ≤ ``DOCUMENT_MAX_BYTES``
        (413 ``file_too_large``), an allowed type judged by extension and content
        (415 ``unsupported_file_type``), a non-empty file (400 naming ``file``),
        the uploader's usage budgets (429 ``budget_exceeded`` with ``Retry-After``,
        ``RateLimit-Policy`` and ``RateLimit`` when one is used up).
        Content this user already uploaded (same SHA-256, not deleted or failed):
        200 with that document, no call to OpenAI. Otherwise uploaded to OpenAI and
        attached to the vector store with attributes ``document_id`` and
        ``user_id``: 201 with status ``processing`` (or ``ready``). OpenAI failing:
        502 ``openai_unavailable`` with the reason; the document stays as
        ``failed`` with ``last_error`` and nothing is left on OpenAI.
        """
        limit = settings.DOCUMENT_MAX_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit + MULTIPART_OVERHEAD_BYTES:  # refused before reading the body
            raise FileTooLarge(f"The request is {length} bytes; files may be {limit} bytes.")
        data = DocumentUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        document, created = services.document_create(
            owner=_caller(request),
            file=upload.file,
            filename=upload.name or "",
            size_bytes=upload.size or 0,
            title=data.validated_data.get("title") or None,
        )
        if not created:  # an earlier upload of the same content may have been cited
            with_citation_stats([document])
        return Response(
            DocumentSerializer(document).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class DocumentDetailApi(DocumentErrorsMixin, APIView):
    """``GET`` / ``DELETE /api/v1/documents/{id}/`` — signed-in users."""

    authentication_classes = [SupabaseJWTAuthentication]
    permission_classes = [IsSignedInUser]

    @extend_schema(responses={200: DocumentSerializer}, tags=["documents"])
    def get(self, request, document_id):
        """The document, its status refreshed from OpenAI when ``processing``, with
        ``citation_count`` (answers that cited it) and ``last_cited_at``. 404
        ``document_not_found`` when it does not exist or the caller may not read
        it."""
        document = selectors.document_get(document_id=document_id, user=_caller(request))
        services.document_status_refresh(documents=[document])
        with_citation_stats([document])
        return Response(DocumentSerializer(document).data)

    @extend_schema(responses={204: None, 502: _502}, tags=["documents"])
    def delete(self, request, document_id):
        """Delete the document (owner, ``manage`` grantee or admin): removed from
        OpenAI (a file OpenAI no longer has is fine), status ``deleted``, grants
        kept. 204; deleting again is 204. A ``read`` grantee: 403; anyone else:
        404. OpenAI failing: 502 and the document unchanged (retry)."""
        document = selectors.document_get(document_id=document_id, user=_caller(request))
        services.document_delete(document=document, user=_caller(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentAccessListApi(DocumentErrorsMixin, APIView):
    """``GET`` / ``POST /api/v1/documents/{id}/access/`` — signed-in users."""

    authentication_classes = [SupabaseJWTAuthentication]
    permission_classes = [IsSignedInUser]

    @extend_schema(responses={200: DocumentAccessSerializer(many=True)}, tags=["documents"])
    def get(self, request, document_id):
        """The document's grants, oldest first, for anyone who may read it. 404 when
        the caller may not read it."""
        document = selectors.document_get(document_id=document_id, user=_caller(request))
        grants = selectors.document_access_list(document=document)
        return Response(DocumentAccessSerializer(grants, many=True).data)

    @extend_schema(
        request=DocumentAccessInputSerializer,
        responses={
            201: DocumentAccessSerializer,
            200: DocumentAccessSerializer,
            409: error_response(409, "the document is deleted (document_deleted)"),
        },
        tags=["documents"],
    )
    def post(self, request, document_id):
        """Grant ``user_id`` ``read`` or ``manage`` (owner, ``manage`` grantee or
        admin): 201 for a new grant, 200 when an existing grant was set to
        ``permission``. 400 names ``user_id`` (not a user who has signed in, or
        the owner) or ``permission``; 403 for a ``read`` grantee; 404 when the
        caller may not read the document; 409 ``document_deleted``."""
        data = DocumentAccessInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = selectors.document_get(document_id=document_id, user=_caller(request))
        result = services.document_access_grant(
            document=document,
            user=_caller(request),
            grantee_id=data.validated_data["user_id"],
            permission=data.validated_data["permission"],
        )
        return Response(
            DocumentAccessSerializer(result.grant).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class DocumentAccessDetailApi(DocumentErrorsMixin, APIView):
    """``DELETE /api/v1/documents/{id}/access/{user_id}/`` — signed-in users."""

    authentication_classes = [SupabaseJWTAuthentication]
    permission_classes = [IsSignedInUser]

    @extend_schema(responses={204: None}, tags=["documents"])
    def delete(self, request, document_id, user_id):
        """Revoke ``user_id``'s grant (owner, ``manage`` grantee or admin): 204, also
        when there was none. 403 for a ``read`` grantee; 404 when the caller may
        not read the document."""
        document = selectors.document_get(document_id=document_id, user=_caller(request))
        services.document_access_revoke(
            document=document, user=_caller(request), grantee_id=user_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentSearchScopeApi(APIView):
    """``GET /api/v1/documents/search-scope/`` — a signed-in user (their own scope)
    or an API key (the AI backend) with ``?user_id=``."""

    authentication_classes = [SupabaseJWTAuthentication, ApiKeyAuthentication]
    permission_classes = [IsApiClient | IsSignedInUser]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "user_id",
                str,
                description="the user whose scope is asked for; required with an API key",
            )
        ],
        responses={200: SearchScopeSerializer, 400: ValidationErrorResponseSerializer},
        tags=["documents"],
    )
    def get(self, request):
        """What a ``file_search`` may look at for one user: ``{vector_store_ids,
        filters, document_ids}`` — their ``ready`` documents, own and shared.
        ``filters`` is the tool's ``filters`` object on the ``document_id``
        attribute. New documents are in the scope as soon as they are ready.
        A signed-in user asking for another ``user_id``: 403; an API key without
        ``user_id``: 400."""
        query = SearchScopeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        asked = query.validated_data.get("user_id")
        me = signed_in_user_id(request)
        if me is not None:
            if asked is not None and str(asked) != me:
                raise PermissionDenied("A signed-in user can only ask for their own scope.")
            user_id = me
        elif asked is None:
            raise serializers.ValidationError({"user_id": ["Name the user (required here)."]})
        else:
            user_id = str(asked)
        scope = selectors.document_search_scope(user_id=user_id)
        return Response(
            SearchScopeSerializer(
                {
                    "vector_store_ids": scope.vector_store_ids,
                    "filters": scope.filters,
                    "document_ids": scope.document_ids,
                }
            ).data
        )
