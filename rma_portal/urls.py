from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from portal.account_views import ThrottledPasswordResetView

from . import views

handler500 = "rma_portal.views.server_error"

admin.site.site_header = _("CPRO RMA — sales staff")
admin.site.site_title = _("CPRO RMA admin")
admin.site.index_title = _("Site administration")
# The page's width goes to the claim tables (1280×800 and 1024 px); the app list is on the index.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/password_reset/",
        ThrottledPasswordResetView.as_view(),
        name="password_reset",
    ),
    path("readyz", views.readyz, name="readyz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/quality/", include("analytics.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("rma_portal.api_urls")),
    path("", include("claims.document_urls")),
    path("", include("portal.urls")),
]
