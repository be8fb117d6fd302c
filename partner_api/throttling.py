"""Throttling per API key (SPEC "Partner API"): ``RMA_API_RATE`` requests, e.g. "600/min".

Counted atomically in the Django cache by ``rma_portal.throttles.hit`` (one ``INCR`` a request on
a fixed window), never read-modify-written: parallel requests, from any number of threads or
processes, never pass the rate. With ``CACHE_URL`` set (Redis) every web process shares the
count; the embedded default (per-process memory) counts per process, so N processes would allow
N times the rate: set ``CACHE_URL`` in production. A request over the rate gets 429 with
``Retry-After`` (seconds until the window ends) and the usual error body.
"""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from rma_portal import throttles
from rma_portal.client_ip import client_ip


class ApiKeyRateThrottle(BaseThrottle):
    scope = "partner"

    def allow_request(self, request, view):
        # Read at each request, not at import, so the rate follows the settings.
        rate = settings.RMA_API_RATE
        if not rate:
            return True
        verdict = throttles.hit(self.scope, self._ident(request), rate)
        self._wait = verdict.retry_after
        return verdict.allowed

    def wait(self):
        return self._wait

    @staticmethod
    def _ident(request) -> str:
        user = request.user
        api_key = getattr(user, "api_key", None)
        if api_key is not None:
            return f"key:{api_key.prefix}"
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        # DRF's own get_ident reads X-Forwarded-For from anyone; ours only behind a trusted proxy.
        return f"ip:{client_ip(request)}"
