from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_embedded_secret_in_production() -> None:
    """The web server never signs sessions with the embedded key unless DEBUG is on."""
    if settings.EMBEDDED_SECRET_KEY and not settings.DEBUG:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for development).")
