"""Citations seen from the documents: who cited a document, and which documents
carry the assistant.

Who may call (signed-in users: ``sessions_app.authentication.SupabaseJWTAuthentication``;
``common.permissions``):
- ``GET /api/v1/documents/{id}/citations/``: a signed-in user who may manage the
  document (owner, ``manage`` grantee) or an admin; a ``read`` grantee gets 403,
  anyone else 404 (the document's existence stays hidden).
- ``GET /api/v1/documents/analytics/``: admin users (profile role ``admin``) and
  staff signed in to the Django admin (as the usage analytics).
"""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from common.authentication import StaffSessionAuthentication
from common.pagination import cursor_pagination
from common.permissions import IsAdminRole, IsSignedInUser, IsStaff, signed_in_user_id
from documents import selectors as document_selectors
from documents.apis import DocumentErrorsMixin
from documents.exceptions import DocumentPermissionDenied
from documents.models import Document
from interactions.citations import selectors
from sessions_app.authentication import SupabaseJWTAuthentication

# The analytics period when none is asked for: the last 30 UTC dates, today included.
DEFAULT_PERIOD_DAYS = 30
DEFAULT_RANKING_LENGTH = 10
MAX_RANKING_LENGTH = 100


class DocumentCitationSerializer(serializers.Serializer):
    """An answer that cited the document. ``annotations``: how many of its
    ``file_citation`` annotations point at the document; ``score``: the
    document's best ``file_search`` score in that call (null when the results were
    not sent). ``session_id``, ``prompt`` and ``response`` are null unless the
    caller owns that AI session or is an admin: the conversation is its user's,
    the document is only what it drew on."""

    interaction_id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    model_used = serializers.CharField(allow_null=True)
    annotations = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True)
    session_id = serializers.UUIDField(allow_null=True)
    prompt = serializers.CharField(allow_null=True)
    response = serializers.CharField(allow_null=True)


class DocumentCitationListApi(DocumentErrorsMixin, generics.GenericAPIView):
    """``GET /api/v1/documents/{id}/citations/`` — the owner, a ``manage`` grantee
    or an admin (signed-in users)."""

    authentication_classes = [SupabaseJWTAuthentication]
    permission_classes = [IsSignedInUser]
    pagination_class = cursor_pagination("-created_at", "-interaction_id")
    serializer_class = DocumentCitationSerializer
    filter_backends: list = []

    @extend_schema(responses={200: DocumentCitationSerializer(many=True)}, tags=["documents"])
    def get(self, request, document_id):
        """The answers (interactions) that cited the document, newest first,
        cursor-paginated ``{next, previous, results}`` (``?cursor=``,
        ``?page_size=`` ≤ 200). A conversation's ``session_id``, ``prompt`` and
        ``response`` are shown only to the user who owns that AI session and to
        admins. 403 for a ``read`` grantee; 404 ``document_not_found`` when the
        caller may not read the document. Queries per page, whatever its size:
        the document, the caller's grant (owners and admins skip it), the page,
        the page's interactions."""
        document = document_selectors.document_get(document_id=document_id, user=request.user)
        if not document_selectors.document_may_manage(document=document, user=request.user):
            raise DocumentPermissionDenied(
                "Only the owner or a manager may see which answers cited this document."
            )
        page = (
            self.paginate_queryset(selectors.document_citing_interactions(document=document)) or []
        )
        interactions = selectors.interactions_by_id(ids=[row["interaction_id"] for row in page])
        me = signed_in_user_id(request)
        admin = getattr(request.user, "is_admin", False)
        items = []
        for row in page:
            interaction = interactions[row["interaction_id"]]
            shown = admin or (me is not None and interaction.session.user_id == me)
            items.append(
                {
                    **row,
                    "model_used": interaction.model_used,
                    "session_id": interaction.session_id if shown else None,
                    "prompt": interaction.prompt if shown else None,
                    "response": interaction.response if shown else None,
                }
            )
        return self.get_paginated_response(DocumentCitationSerializer(items, many=True).data)


class CitationAnalyticsQuerySerializer(serializers.Serializer):
    """Query of ``GET /api/v1/documents/analytics/``."""

    # "from" is a Python keyword: that field is added in get_fields.
    to = serializers.DateField(
        required=False, help_text="last UTC date of the period, inclusive (default: today)"
    )
    limit = serializers.IntegerField(
        min_value=1,
        max_value=MAX_RANKING_LENGTH,
        default=DEFAULT_RANKING_LENGTH,
        help_text="rows in each list (default 10, at most 100)",
    )

    def get_fields(self):
        return {
            "from": serializers.DateField(
                required=False,
                help_text="first UTC date of the period, inclusive (default: 29 days before 'to')",
            ),
            **super().get_fields(),
        }

    def validate(self, attrs):
        end = attrs.get("to") or timezone.now().date()
        start = attrs.get("from") or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        if start > end:
            raise serializers.ValidationError({"from": ["Must not be after 'to'."]})
        attrs["from"], attrs["to"] = start, end
        return attrs


class MostCitedDocumentSerializer(serializers.Serializer):
    """A document and the number of answers that cited it in the period."""

    document_id = serializers.UUIDField()
    title = serializers.CharField()
    filename = serializers.CharField()
    owner_id = serializers.UUIDField(allow_null=True)
    status = serializers.ChoiceField(choices=Document.Status.choices)
    citation_count = serializers.IntegerField(help_text="answers (interactions) that cited it")
    last_cited_at = serializers.DateTimeField()


class NeverCitedDocumentSerializer(serializers.ModelSerializer):
    """A document no answer has cited since its upload."""

    document_id = serializers.UUIDField(source="id")
    owner_id = serializers.UUIDField(allow_null=True)

    class Meta:
        model = Document
        fields = ["document_id", "title", "filename", "owner_id", "status", "created_at"]
        read_only_fields = fields


class NeverCitedSerializer(serializers.Serializer):
    """How many documents (not deleted) were never cited, and the oldest of them."""

    count = serializers.IntegerField()
    documents = NeverCitedDocumentSerializer(many=True)


class CitationAnalyticsSerializer(serializers.Serializer):
    """``most_cited``: the documents cited by the most answers in the period (UTC
    dates ``from`` … ``to``, inclusive), most first. ``never_cited``: documents
    (not deleted) no answer has cited since their upload, whatever the period,
    oldest first."""

    to = serializers.DateField()  # "from" is added in get_fields (a Python keyword)
    most_cited = MostCitedDocumentSerializer(many=True)
    never_cited = NeverCitedSerializer()

    def get_fields(self):
        return {"from": serializers.DateField(), **super().get_fields()}


@extend_validation_errors(["invalid"], field_name="from", methods=["get"])
@extend_validation_errors(["invalid"], field_name="to", methods=["get"])
@extend_validation_errors(
    ["invalid", "min_value", "max_value"], field_name="limit", methods=["get"]
)
class CitationAnalyticsApi(APIView):
    """``GET /api/v1/documents/analytics/`` — admin users, or staff with their admin
    session."""

    authentication_classes = [SupabaseJWTAuthentication, StaffSessionAuthentication]
    permission_classes = [IsAdminRole | IsStaff]

    @extend_schema(
        parameters=[CitationAnalyticsQuerySerializer],
        responses={200: CitationAnalyticsSerializer},
        tags=["documents"],
    )
    def get(self, request):
        """Which documents carry the assistant: the most cited documents between the
        UTC dates ``from`` and ``to`` (inclusive; default the last 30 days, today
        included) and the documents never cited since their upload. ``?limit=``
        (1-100, default 10) bounds both lists. 400 names a bad parameter
        (``from`` after ``to``, not a date); 403 for anyone but an admin user or
        staff. Three
        queries: the ranking, the never-cited count and their oldest."""
        query = CitationAnalyticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["from"], query.validated_data["to"]
        limit = query.validated_data["limit"]
        never = selectors.documents_never_cited()
        body = {
            "from": start,
            "to": end,
            "most_cited": selectors.most_cited_documents(start=start, end=end, limit=limit),
            "never_cited": {"count": never.count(), "documents": list(never[:limit])},
        }
        return Response(CitationAnalyticsSerializer(body).data)
