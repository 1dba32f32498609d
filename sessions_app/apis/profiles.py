"""``GET /api/v1/me/``: the signed-in user's own profile."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.openapi import error_response
from common.permissions import IsSignedInUser
from sessions_app.authentication import SupabaseJWTAuthentication
from sessions_app.models import UserProfile

ERROR_RESPONSES = {
    401: error_response(401, "no or an invalid Bearer token"),
}


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


class MeApi(APIView):
    """``GET /api/v1/me/`` — a signed-in user (Bearer token).

    200: the caller's profile ``{id, email, phone, role, is_admin,
    registration_source, created_at, last_seen_at}``; it was created on the
    caller's first authenticated request. 401 without a valid token.
    """

    authentication_classes = [SupabaseJWTAuthentication]
    permission_classes = [IsSignedInUser]

    @extend_schema(responses={200: UserProfileSerializer, **ERROR_RESPONSES}, tags=["users"])
    def get(self, request: Request) -> Response:
        return Response(UserProfileSerializer(request.user).data)
