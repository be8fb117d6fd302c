"""Fixtures of the hostile-client tests: throttle counts in the real Redis (as in production with
``CACHE_URL``), each test under a key prefix of its own so nothing is flushed."""

import uuid

import pytest
from django.conf import settings as django_settings


@pytest.fixture(autouse=True)
def redis_cache(settings):
    """The cache on the test Redis (the broker's server), as CACHE_URL=redis://… sets it."""
    if not django_settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.fail("The security tests need Redis: set CELERY_BROKER_URL (./dev test does).")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": django_settings.CELERY_BROKER_URL,
            "KEY_PREFIX": f"test-security-{uuid.uuid4().hex}",
            "TIMEOUT": 600,
        }
    }


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
