"""URLs for bench/lookup.py only: the production URLs plus two anchor views.

The anchors answer on the same server, through the same middleware, as the API.
"""

from django.http import Http404, JsonResponse
from django.urls import include, path


def one_query_unit(request, serial):
    """The anchor: the unit of the bench organisation, one ORM query, a small JSON answer."""
    from warranty.models import Unit

    row = (
        Unit.objects.filter(serial_number=serial, shipment__buyer__code="bench-lookup")
        .values("serial_number", "product_model__code", "shipment__delivery_date")
        .first()
    )
    if row is None:
        raise Http404
    return JsonResponse(
        {
            "serial": row["serial_number"],
            "model": row["product_model__code"],
            "delivery_date": str(row["shipment__delivery_date"]),
        }
    )


def constant(request, serial):
    return JsonResponse({"serial": serial, "status": "covered"})


urlpatterns = [
    path("bench/one-query/<str:serial>/", one_query_unit),
    path("bench/constant/<str:serial>/", constant),
    path("", include("rma_portal.urls")),
]
