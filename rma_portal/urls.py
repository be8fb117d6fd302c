from django.contrib import admin
from django.urls import include, path

from . import views

handler500 = "rma_portal.views.server_error"

admin.site.site_header = "CPRO RMA — sales staff"
admin.site.site_title = "CPRO RMA admin"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("rma_portal.api_urls")),
    path("", include("claims.document_urls")),
    path("", include("portal.urls")),
]
