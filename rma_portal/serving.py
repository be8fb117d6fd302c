from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_embedded_secret_in_production() -> None:
    """The web server never signs sessions with the embedded key unless DEBUG is on, and never
    with a key that was published as an example (docker-compose, docs), DEBUG or not."""
    if settings.EMBEDDED_SECRET_KEY and not settings.DEBUG:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for development).")
    key = settings.SECRET_KEY.strip().lower()
    placeholders = getattr(settings, "KNOWN_PLACEHOLDER_SECRET_KEYS", set())
    if not settings.EMBEDDED_SECRET_KEY and (
        key in placeholders or "change-me" in key or "changeme" in key
    ):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is a published placeholder: set a long random value of your own "
            '(python -c "import secrets; print(secrets.token_urlsafe(50))").'
        )
