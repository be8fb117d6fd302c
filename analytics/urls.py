"""The analytics pages, under /admin/quality/, behind the admin's login (staff only)."""

from django.contrib import admin
from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("", admin.site.admin_view(views.rates), name="rates"),
    path("nevada/", admin.site.admin_view(views.nevada), name="nevada"),
    path("breakdowns/", admin.site.admin_view(views.breakdowns), name="breakdowns"),
    path("costs/", admin.site.admin_view(views.costs), name="costs"),
    path("early-warning/", admin.site.admin_view(views.early_warning_page), name="early_warning"),
]
