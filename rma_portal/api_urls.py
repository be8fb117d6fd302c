from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from warranty.apis import UnitWarrantyApi

urlpatterns = [
    path("units/<str:serial>/warranty/", UnitWarrantyApi.as_view(), name="unit-warranty"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
