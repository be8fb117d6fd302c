"""API-key authentication: `Authorization: Api-Key <key>` (SPEC "Partner API")."""

import math
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from rma_portal import throttles
from rma_portal.client_ip import client_ip

from .models import ApiKey, Organisation
from .services import authenticate_api_key


@dataclass(frozen=True)
class PartnerPrincipal:
    """Who calls with an API key: the key's organisation, with its buyers' claim rights."""

    organisation: Organisation
    api_key: ApiKey
    is_authenticated: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    is_active: bool = True
    pk = None

    @property
    def organisation_id(self) -> int:
        return self.organisation.pk

    def __str__(self) -> str:
        return f"api-key {self.api_key.prefix} ({self.organisation.code})"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _sep, raw_key = header.strip().partition(" ")
        if keyword.lower() != self.keyword.lower():  # RFC 9110: schemes are case-insensitive
            return None
        # Guessing keys: after RMA_API_KEY_FAILURE_RATE wrong keys from one client address, every
        # key from there (right or wrong) gets 429 with Retry-After until the window ends.
        ident, rate = client_ip(request), settings.RMA_API_KEY_FAILURE_RATE
        verdict = throttles.blocked("api-key-failures", ident, rate)
        if not verdict.allowed:
            raise self._throttled(verdict.retry_after)
        api_key = authenticate_api_key(raw_key.strip())
        if api_key is None:
            verdict = throttles.hit("api-key-failures", ident, rate)
            if not verdict.allowed:
                raise self._throttled(verdict.retry_after)
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        return PartnerPrincipal(organisation=api_key.organisation, api_key=api_key), api_key

    @staticmethod
    def _throttled(wait: int) -> exceptions.Throttled:
        return exceptions.Throttled(
            wait=math.ceil(wait),
            detail=str(_("Too many failed API-key attempts from your network address.")),
        )

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents the scheme in the OpenAPI schema: `Authorization: Api-Key <key>`."""

    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: a key of your organisation, created by CPRO staff.",
        }
