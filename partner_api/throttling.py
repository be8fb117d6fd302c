"""Throttling per API key (SPEC "Partner API"): ``RMA_API_RATE`` requests, e.g. "600/min".

Counted in the Django cache (Redis when ``CACHE_URL`` is set, so every web process shares the
count). A request over the rate gets 429 with ``Retry-After`` and the usual error body.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from rma_portal.client_ip import client_ip


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "partner"

    def get_rate(self):
        # Read at each request, not at import, so the rate follows the settings.
        return settings.RMA_API_RATE or None

    def get_ident(self, request):
        # DRF's own reads X-Forwarded-For from anyone; ours only behind DJANGO_TRUST_PROXY.
        return client_ip(request)

    def get_cache_key(self, request, view):
        user = request.user
        api_key = getattr(user, "api_key", None)
        if api_key is not None:
            ident = f"key:{api_key.prefix}"
        elif user is not None and user.is_authenticated:
            ident = f"user:{user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
