"""Settings for bench/lookup.py only: production settings with the bench's URLconf.

Never used by the product: gunicorn loads it with ``DJANGO_SETTINGS_MODULE=lookup_settings``
from ``bench/``.
"""

from rma_portal.settings import *  # noqa: F403

ROOT_URLCONF = "lookup_urls"
