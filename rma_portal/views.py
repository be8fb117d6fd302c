from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.cache import cache_control, never_cache

from . import health
from .api_errors import server_error_response


@never_cache
def healthz(request):
    """Liveness: the process answers. Cheap (no database, no broker), so a slow dependency never
    gets a healthy web process restarted; readiness is /readyz."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Readiness for compose and load balancers: database, broker, storage, and a worker that
    answered just now. 503 with the failing check named when any fails."""
    ready, checks = health.readiness()
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to the static file."""
    return HttpResponsePermanentRedirect(static("favicon.ico"))


def server_error(request):
    """``handler500``: the API's documented JSON body on /api/ paths, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return server_error_response()
    return defaults.server_error(request)
