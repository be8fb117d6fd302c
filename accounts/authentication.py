"""API-key authentication: `Authorization: Api-Key <key>` (SPEC "Partner API")."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

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
        keyword, _sep, raw_key = header.partition(" ")
        if keyword != self.keyword:
            return None
        api_key = authenticate_api_key(raw_key.strip())
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        return PartnerPrincipal(organisation=api_key.organisation, api_key=api_key), api_key

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
