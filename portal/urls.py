from django.urls import path

from . import account_views, claim_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("units/", views.units, name="units"),
    path("units/components/", views.component_options, name="component_options"),
    path("units/<str:serial>/", views.unit_detail, name="unit"),
    path("warranty/", views.warranty_check, name="warranty_check"),
    path("claims/", claim_views.claim_list, name="claims"),
    path("claims/new/", claim_views.claim_new, name="claim_new"),
    path("claims/preview/", claim_views.claim_preview, name="claim_preview"),
    path("claims/<int:pk>/", claim_views.claim_detail, name="claim"),
    path("claims/<int:pk>/edit/", claim_views.claim_edit, name="claim_edit"),
    path("claims/<int:pk>/submit/", claim_views.claim_submit, name="claim_submit"),
    path("claims/<int:pk>/message/", claim_views.claim_message, name="claim_message"),
    path("claims/<int:pk>/evidence/", claim_views.claim_evidence, name="claim_evidence"),
    path("claims/<int:pk>/shipment/", claim_views.claim_shipment, name="claim_shipment"),
    path("claims/<int:pk>/cancel/", claim_views.claim_cancel, name="claim_cancel"),
    path("attachments/<int:pk>/", claim_views.attachment_download, name="attachment"),
    path("invitation/<uidb64>/<token>/", account_views.accept_invitation, name="accept_invitation"),
    path("language/", account_views.set_language, name="set_language"),
]
