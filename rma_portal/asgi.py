import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rma_portal.settings")
application = get_asgi_application()

from rma_portal.serving import refuse_embedded_secret_in_production  # noqa: E402

refuse_embedded_secret_in_production()
