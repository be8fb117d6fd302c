"""The partner API, `/api/v1/` (SPEC "Partner API"); schema and docs are served locally."""

from django.http import JsonResponse
from django.urls import path, re_path, register_converter
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from partner_api import apis
from warranty.apis import UnitWarrantyApi


class SegmentConverter:
    """A path segment without control characters (PostgreSQL refuses NUL in text): a serial
    or claim key that has one is simply not found."""

    regex = r"[^/\x00-\x1f\x7f]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SegmentConverter, "segment")

CLAIM = "claims/<segment:rma_or_id>/"


@csrf_exempt  # a POST to a wrong URL is "not found", never a CSRF page
def not_found(request, path=""):
    """Any other URL under /api/v1/: the API's error body, not the site's HTML page."""
    return JsonResponse({"errors": {"detail": ["Not found."]}}, status=404)


urlpatterns = [
    path("units/<segment:serial>/warranty/", UnitWarrantyApi.as_view(), name="unit-warranty"),
    path("claims/", apis.ClaimsApi.as_view(), name="api-claims"),
    path(CLAIM, apis.ClaimDetailApi.as_view(), name="api-claim-detail"),
    path(CLAIM + "submit/", apis.SubmitApi.as_view(), name="api-claim-submit"),
    path(CLAIM + "cancel/", apis.CancelApi.as_view(), name="api-claim-cancel"),
    path(CLAIM + "shipment/", apis.ShipmentApi.as_view(), name="api-claim-shipment"),
    path(CLAIM + "messages/", apis.MessagesApi.as_view(), name="api-claim-messages"),
    path(CLAIM + "attachments/", apis.AttachmentsApi.as_view(), name="api-claim-attachments"),
    path(
        CLAIM + "attachments/<int:attachment_id>/download/",
        apis.AttachmentDownloadApi.as_view(),
        name="api-claim-attachment-download",
    ),
    path(CLAIM + "documents/", apis.DocumentsApi.as_view(), name="api-claim-documents"),
    path(
        CLAIM + "documents/<int:document_id>/download/",
        apis.DocumentDownloadApi.as_view(),
        name="api-claim-document-download",
    ),
    path("webhooks/deliveries/", apis.DeliveriesApi.as_view(), name="api-webhook-deliveries"),
    path(
        "webhooks/deliveries/<segment:delivery_id>/redeliver/",
        apis.RedeliverApi.as_view(),
        name="api-webhook-redeliver",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^(?P<path>[\s\S]*)\Z", not_found),
]
