"""Who is asking, by network address: the one answer every throttle uses.

``X-Forwarded-For`` is believed only when ``DJANGO_TRUST_PROXY`` (``settings.TRUST_PROXY``) says
how many proxies of ours sit in front: then the address that the outermost of them saw is taken,
counting from the right (entries further left were written by the client and prove nothing).
Without it the header is ignored and the socket's address (``REMOTE_ADDR``) is the client.
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    meta = getattr(request, "META", None) or {}
    remote = meta.get("REMOTE_ADDR") or "unknown"
    proxies = getattr(settings, "TRUST_PROXY", 0)
    if proxies <= 0:
        return remote
    chain = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [part for part in chain if part]
    if len(chain) < proxies:
        return chain[0] if chain else remote
    return chain[-proxies]


def axes_client_ip(request: HttpRequest) -> str | None:
    """``client_ip`` for django-axes, which stores it as an address: None when there is none
    (a sign-in made in code, not over the network)."""
    ip = client_ip(request)
    return None if ip == "unknown" else ip
