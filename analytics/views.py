"""The analytics pages in the admin: parse the filters, check the permission, call the
selectors, render (or send the CSV of one table). Staff only (admin_view + a permission)."""

from __future__ import annotations

import csv
import io

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organisation
from warranty.models import ProductModel
from warranty.selectors import seoul_today

from . import early_warning, selectors, tables

PERMISSION = "analytics.view_quality_analytics"


class FilterForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("From"), required=False)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False)
    model = forms.ModelChoiceField(
        label=gettext_lazy("Model"),
        queryset=ProductModel.objects.only("code", "name"),
        required=False,
        to_field_name="code",
    )
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"),
        queryset=Organisation.objects.only("code", "name").order_by("code"),
        required=False,
        to_field_name="code",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in ("date_from", "date_to"):
            self.fields[field].widget.input_type = "date"
        self.fields["model"].label_from_instance = lambda m: m.code
        self.fields["organisation"].label_from_instance = lambda o: f"{o.code} — {o.name}"

    def filters(self) -> selectors.Filters:
        if not self.is_valid():
            return selectors.Filters()
        data = self.cleaned_data
        return selectors.Filters(
            date_from=data["date_from"],
            date_to=data["date_to"],
            model_id=data["model"].pk if data["model"] else None,
            organisation_id=data["organisation"].pk if data["organisation"] else None,
        )


PAGES = [
    ("rates", gettext_lazy("Failure rates")),
    ("nevada", gettext_lazy("Nevada table")),
    ("breakdowns", gettext_lazy("Breakdowns")),
    ("costs", gettext_lazy("Warranty cost")),
    ("early_warning", gettext_lazy("Early warning")),
]


def _page(request, page: str, title: str, build) -> HttpResponse:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = FilterForm(request.GET or None)
    context = build(form.filters())
    wanted = request.GET.get("csv")
    if wanted:
        return _csv(wanted, context["tables"])
    query = request.GET.copy()
    query.pop("csv", None)
    return TemplateResponse(
        request,
        f"admin/analytics/{page}.html",
        {
            **admin.site.each_context(request),
            "title": title,
            "page": page,
            "pages": PAGES,
            "form": form,
            "query": query.urlencode(),
            **context,
        },
    )


def _csv(key: str, found: list[tables.Table]) -> HttpResponse:
    table = next((t for t in found if t.key == key), None)
    if table is None:
        raise Http404
    # Written to memory first: the response's own write() costs more than a row (10,000 rows).
    text = io.StringIO()
    text.write("\ufeff")  # so spreadsheet programs read the Korean names as UTF-8
    writer = csv.writer(text)
    writer.writerow(table.headers)
    writer.writerows(table.rows)
    response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cpro-{key}.csv"'
    return response


def rates(request):
    def build(filters):
        found = selectors.rate_tables(filters)
        return {
            "model_chart": tables.rate_chart(found["model"]),
            "month_chart": tables.month_chart(found["month"]),
            "tables": [tables.rate_table(by, rows) for by, rows in found.items()],
        }

    return _page(request, "rates", _("Failure rates"), build)


def nevada(request):
    def build(filters):
        data = selectors.nevada(filters)
        return {"heatmap": tables.nevada_chart(data), "tables": [tables.nevada_table(data)]}

    return _page(request, "nevada", _("Nevada table"), build)


def breakdowns(request):
    def build(filters):
        found = selectors.breakdowns(filters)
        return {
            "tables": [
                tables.reason_table(found.reasons),
                tables.component_table(found.components),
                tables.not_covered_table(found.not_covered),
                tables.nff_table("model", found.nff_by_model),
                tables.nff_table("organisation", found.nff_by_organisation),
            ]
        }

    return _page(request, "breakdowns", _("Breakdowns"), build)


def costs(request):
    def build(filters):
        rows = selectors.warranty_costs(filters)
        table = tables.cost_table(rows)
        totals = tables.cost_table(selectors.currency_totals(rows))
        totals.key, totals.title = "cost-totals", _("Totals per currency")
        return {"tables": [totals, table]}

    return _page(request, "costs", _("Warranty cost"), build)


def early_warning_page(request):
    def build(filters):
        # The test runs on the whole population: the filters do not narrow it.
        report = early_warning.evaluate(seoul_today())
        return {"report": report, "tables": [tables.warning_table(report)]}

    return _page(request, "early_warning", _("Early warning"), build)
