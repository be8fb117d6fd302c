from django.urls import path

from . import document_views

app_name = "documents"

urlpatterns = [
    path("verify/", document_views.verify_form, name="verify_form"),
    path("verify/<str:code>/", document_views.verify, name="verify"),
    path("documents/<int:pk>/download/", document_views.download, name="download"),
]
