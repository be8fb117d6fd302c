from django.db import connection
from django.http import JsonResponse
from django.views import defaults

from .api_errors import server_error_response


def healthz(request):
    """Liveness for docker-compose and load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def server_error(request):
    """``handler500``: the API's documented JSON body on /api/ paths, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return server_error_response()
    return defaults.server_error(request)
