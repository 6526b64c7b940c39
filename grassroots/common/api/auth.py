"""API token login: DRF tokens, throttled so that passwords cannot be guessed by brute force."""

from __future__ import annotations

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from .schema import error_responses

LOGIN_THROTTLE_SCOPE = "auth-token"


class TokenObtainThrottle(ScopedRateThrottle):
    """Per client address; ``DEFAULT_THROTTLE_RATES["auth-token"]`` overrides the default rate."""

    default_rate = "10/min"

    def get_rate(self) -> str:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope, self.default_rate)


class TokenObtainView(ObtainAuthToken):
    # No session authentication here: logging in must not depend on (or be blocked by) a session's CSRF token.
    authentication_classes = ()
    permission_classes = ()
    throttle_classes = (TokenObtainThrottle,)
    throttle_scope = LOGIN_THROTTLE_SCOPE

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        summary="Obtain an API token",
        description="Exchange a username and password for a token; send it as `Authorization: Token <key>`.",
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            **error_responses(400, 429),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        # The shared sign-in guard of the login page: failures per account and per address, across processes.
        from grassroots.web import login_guard

        data = request.data if isinstance(request.data, Mapping) else {}
        username = str(data.get("username", ""))
        wait = login_guard.seconds_locked(request, username)
        if wait:
            raise Throttled(wait=wait)
        serializer = self.get_serializer(data=data)
        if not serializer.is_valid():
            login_guard.record_failure(request, username)
            raise ValidationError(serializer.errors)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
