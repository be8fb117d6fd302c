"""Fixed-window counters in the Django cache, for the throttles that are not per API key.

In the cache API on purpose: with ``CACHE_URL`` set (Redis) every web process shares the counts;
the default per-process memory cache keeps development free of servers. A rate is
``"count/period"`` with period ``s``, ``min``, ``hour`` or ``day`` (``"20/min"``).
"""

import hashlib
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _

from rma_portal.client_ip import client_ip

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    count, _sep, period = rate.partition("/")
    return int(count), PERIODS[period.strip().lower()]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends (0 when allowed)


def _key(scope: str, ident: str, window_start: int) -> str:
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]  # e-mail addresses stay out of keys
    return f"rma-throttle:{scope}:{digest}:{window_start}"


def _window(period: int) -> tuple[int, int]:
    now = int(time.time())
    start = now - now % period
    return start, start + period - now


def blocked(scope: str, ident: str, rate: str) -> Verdict:
    """Whether ``ident`` has used up ``rate`` in this window, without counting a hit."""
    limit, period = parse_rate(rate)
    start, remaining = _window(period)
    used = cache.get(_key(scope, ident, start), 0)
    return Verdict(allowed=used < limit, retry_after=0 if used < limit else remaining)


def hit(scope: str, ident: str, rate: str) -> Verdict:
    """Count one hit for ``ident``; refused when it goes over ``rate``."""
    limit, period = parse_rate(rate)
    start, remaining = _window(period)
    key = _key(scope, ident, start)
    cache.add(key, 0, timeout=period + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=period + 5)
        used = 1
    return Verdict(allowed=used <= limit, retry_after=0 if used <= limit else remaining)


def too_many_requests(request, retry_after: int, message: str):
    """The 429 page: what happened and when to try again, in the reader's language."""
    response = render(
        request,
        "throttled.html",
        {"message": message, "minutes": max(1, -(-retry_after // 60))},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited_by_client(scope: str, setting: str):
    """View decorator: at most ``settings.<setting>`` requests per client address."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            verdict = hit(scope, client_ip(request), getattr(settings, setting))
            if not verdict.allowed:
                return too_many_requests(
                    request,
                    verdict.retry_after,
                    _("Too many requests from your network address."),
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
