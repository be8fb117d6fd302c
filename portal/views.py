"""Buyer pages: home and dashboard, units, the warranty check.

Views parse, check who is asking (``buyer_required`` and the organisation-scoped selectors),
call the warranty lookup and render (STYLE 1). Another organisation's unit is "not found".
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from rma_portal.exceptions import DomainError, NotFound
from warranty.selectors import PolicyTable, prospective_verdict, seoul_today, unit_of, unit_verdict

from . import selectors
from .decorators import buyer_required, is_buyer
from .forms import UnitSearchForm, WarrantyCheckForm, component_choices, find_unit
from .presenters import next_step

PAGE_SIZE = 25
DASHBOARD_CLAIMS = 20


def home(request):
    """The dashboard for a signed-in buyer; a short introduction for everyone else."""
    if is_buyer(request.user):
        return dashboard(request)
    return render(request, "home.html")


def dashboard(request):
    organisation = request.user.organisation
    today = seoul_today()
    policies = PolicyTable.load()
    claims = selectors.dashboard_claims(organisation)
    open_count = claims.count()
    rows = [
        (claim, next_step(claim, today=today, policies=policies))
        for claim in claims[:DASHBOARD_CLAIMS]
    ]
    return render(
        request,
        "portal/dashboard.html",
        {
            "rows": rows,
            "open_count": open_count,
            "more": open_count > len(rows),
            "unit_count": selectors.units_of(organisation).count(),
            "today": today,
        },
    )


@buyer_required
@require_GET
def units(request):
    form = UnitSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(selectors.unit_list(request.user.organisation, query), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    today = seoul_today()
    policies = PolicyTable.load()  # one table for the whole page
    rows = []
    for unit in page:
        try:
            verdict = unit_verdict(unit, today=today, policies=policies)
        except DomainError:
            verdict = None
        rows.append((unit, verdict))
    return render(
        request,
        "portal/units.html",
        {"form": form, "page": page, "rows": rows, "query": query, "today": today},
    )


@buyer_required
@require_GET
def unit_detail(request, serial: str):
    organisation = request.user.organisation
    try:
        unit = unit_of(organisation, serial)
    except NotFound:
        raise Http404 from None
    today = seoul_today()
    return render(
        request,
        "portal/unit.html",
        {
            "unit": unit,
            "verdict": unit_verdict(unit, today=today),
            "components": unit.product_model.components.all(),
            "claim_items": selectors.unit_claim_items(organisation, unit),
            "today": today,
            "check_form": WarrantyCheckForm(
                initial={"serial": unit.serial_number}, organisation=organisation, today=today
            ),
        },
    )


@buyer_required
@require_GET
def warranty_check(request):
    """SPEC "Operations interface" (the API's warranty answer), in the browser: a unit's verdict
    today, or, with a defect date, a prospective claim's as if notified today."""
    organisation = request.user.organisation
    today = seoul_today()
    asked = "serial" in request.GET
    form = WarrantyCheckForm(request.GET if asked else None, organisation=organisation, today=today)
    verdict = None
    if asked and form.is_valid():
        data = form.cleaned_data
        try:
            verdict = prospective_verdict(
                form.unit,
                today=today,
                defect_kind=data["defect_kind"] or None,
                defect_date=data["defect_date"],
                component_name=data["component"] or None,
            )
        except DomainError as exc:  # shown beside its field, not raised
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return render(
        request,
        "portal/warranty_check.html",
        {"form": form, "verdict": verdict, "unit": form.unit if verdict else None, "today": today},
    )


@buyer_required
@require_GET
def component_options(request):
    """htmx: the failed-component options of the unit a serial names (unknown otherwise).

    The serial comes as ``serial`` (warranty check) or ``items-N-serial_number`` (the wizard).
    """
    serial = request.GET.get("serial") or next(
        (value for key, value in request.GET.items() if key.endswith("-serial_number")), ""
    )
    unit = find_unit(request.user.organisation, serial.strip())
    return render(
        request,
        "portal/partials/component_options.html",
        {"choices": component_choices(unit), "language": get_language()},
    )
