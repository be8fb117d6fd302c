"""The admin's shipment CSV import pages (SPEC "Operations interface").

They only parse the upload, check permission and call ``warranty.importing``: small files are
imported at once, larger ones (over ``RMA_IMPORT_SYNC_MAX_ROWS`` rows) by a Celery worker, with a
status page that follows its progress.
"""

import csv

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from .importing import (
    MAX_LISTED_ERRORS,
    SHIPMENT_COLUMNS,
    ImportRejected,
    count_data_rows,
    import_error_total,
    import_errors,
    import_outcome,
    import_shipments,
)
from .models import ShipmentImport
from .tasks import queue_shipment_import

ERRORS_SHOWN = 500  # on the page; the CSV error report has all that are listed (MAX_LISTED_ERRORS)


class ShipmentImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), help_text=_("UTF-8 text; the first line names the columns.")
    )
    create_buyers = forms.BooleanField(
        label=_("Create unknown buyer organisations"),
        required=False,
        help_text=_("Named after their code; complete them afterwards."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        largest = settings.RMA_IMPORT_MAX_UPLOAD_BYTES  # enforced while it streams in, too
        if upload.size > largest:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": largest // 2**20}
            )
        return upload


def _spreadsheet_safe(value) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = str(value)
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


class ShipmentImportViews:
    """Mixed into ``ShipmentAdmin``: the "Import CSV" page, its status page and error report."""

    change_list_template = "admin/warranty/shipment/change_list.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("import/", wrap(self.import_view), name=f"{name}_import"),
            path(
                "import/<int:import_id>/",
                wrap(self.import_status_view),
                name=f"{name}_import_status",
            ),
            path(
                "import/<int:import_id>/errors.csv",
                wrap(self.import_errors_view),
                name=f"{name}_import_errors",
            ),
            *super().get_urls(),
        ]

    def _check_import_permission(self, request) -> None:
        if not self.has_add_permission(request):  # warranty.add_shipment
            raise PermissionDenied

    def import_view(self, request):
        self._check_import_permission(request)
        form = ShipmentImportForm(request.POST or None, request.FILES or None)
        rejected = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            create_buyers = form.cleaned_data["create_buyers"]
            rows = count_data_rows(source=upload)
            upload.seek(0)
            if rows > settings.RMA_IMPORT_SYNC_MAX_ROWS:
                job = queue_shipment_import(
                    upload=upload,
                    uploaded_by=request.user,
                    create_buyers=create_buyers,
                    rows_total=rows,
                )
                return redirect(self._url("import_status", job.pk))
            try:
                result = import_shipments(source=upload, create_buyers=create_buyers)
            except ImportRejected as exc:
                rejected = exc
            else:
                self.message_user(request, result.summary(), messages.SUCCESS)
                return redirect(self._url("changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import shipments from CSV"),
            "form": form,
            "columns": SHIPMENT_COLUMNS,
            "sync_max_rows": settings.RMA_IMPORT_SYNC_MAX_ROWS,
            "max_listed": f"{MAX_LISTED_ERRORS:,}",
            "rejected": rejected,
            "errors": rejected.errors[:ERRORS_SHOWN] if rejected else [],
        }
        return TemplateResponse(request, "admin/warranty/shipment/import.html", context)

    def import_status_view(self, request, import_id: int):
        self._check_import_permission(request)
        job = get_object_or_404(ShipmentImport.objects.select_related("uploaded_by"), pk=import_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Shipment import: %(name)s") % {"name": job.file_name},
            "job": job,
            "outcome": import_outcome(job),
            "total_errors": import_error_total(job),
            "errors": import_errors(job, ERRORS_SHOWN),
            "errors_url": self._url("import_errors", job.pk),
            "import_url": self._url("import"),
        }
        return TemplateResponse(request, "admin/warranty/shipment/import_status.html", context)

    def import_errors_view(self, request, import_id: int):
        self._check_import_permission(request)
        job = get_object_or_404(ShipmentImport, pk=import_id)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="shipment-import-{job.pk}-errors.csv"'
        )
        writer = csv.writer(response)
        writer.writerow(["line", "column", "message"])
        for error in import_errors(job):
            writer.writerow([error.line, error.column, _spreadsheet_safe(error.message)])
        return response

    def _url(self, view: str, *args) -> str:
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{view}",
            args=args,
        )
