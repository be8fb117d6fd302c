"""The dashboard: aggregated in the database, drawn as SVG on the server (works offline)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.dashboard import months_back
from claims.events import append_event
from claims.models import ClaimStatus, DefectReason, Outcome
from tests.factories import ClaimItemFactory, ProductModelFactory, ShipmentFactory, UnitFactory
from warranty.selectors import seoul_today

from .conftest import submitted_claim

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("admin:claims_claim_dashboard")


def bars(html: str, section: str) -> dict[str, str]:
    """The bars of one section's charts: key → value."""
    part = html[html.index(f'id="{section}"') :]
    part = part[: part.index("</section>")]
    return dict(re.findall(r'<g class="bar" data-key="([^"]+)" data-value="([^"]+)">', part))


@pytest.fixture
def claims(db):
    now = timezone.now()
    today = seoul_today()
    camera = ProductModelFactory(code="CAM-100")
    recorder = ProductModelFactory(code="NVR-16")
    shipment = ShipmentFactory(shipment_date=datetime.date(2025, 1, 6))
    for n in range(44):  # with the claimed units below: 40 cameras and 10 recorders shipped
        UnitFactory(shipment=shipment, product_model=camera if n < 36 else recorder)
    no_image = DefectReason.objects.get(code="no_image")
    power = DefectReason.objects.get(code="power")

    def claim(rma, status, days_ago, hold_in, items):
        made = submitted_claim(
            items=0,
            rma=rma,
            status=status,
            notice_at=now - datetime.timedelta(days=days_ago),
            hold_until=today + datetime.timedelta(days=hold_in),
        )
        for model, reason, outcome in items:
            ClaimItemFactory(
                claim=made,
                unit__product_model=model,
                defect_reason=reason,
                outcome=outcome,
                defect_date=today - datetime.timedelta(days=days_ago + 1),
            )
        return made

    submitted = claim("RMA-2026-000001", ClaimStatus.SUBMITTED, 1, 29, [(camera, no_image, "")])
    claim("RMA-2026-000002", ClaimStatus.SUBMITTED, 25, 5, [(camera, power, "")])
    authorized = claim(
        "RMA-2026-000003", ClaimStatus.RETURN_AUTHORIZED, 35, -5, [(recorder, power, "")]
    )
    inspected = claim(
        "RMA-2026-000004",
        ClaimStatus.INSPECTED,
        4,
        26,
        [(camera, no_image, Outcome.REPAIR), (camera, no_image, Outcome.CREDIT_NOTE)],
    )
    rejected = claim(
        "RMA-2026-000005", ClaimStatus.REJECTED, 6, 24, [(recorder, None, Outcome.NOT_COVERED)]
    )
    for decided in (inspected, rejected):
        append_event(
            decided,
            kind="inspect" if decided is inspected else "reject",
            actor_label="clerk",
            channel="admin",
        )
    return {"submitted": submitted, "authorized": authorized}


def test_the_dashboard_draws_every_chart_from_the_data(clerk_client, claims):
    page = clerk_client.get(DASHBOARD)

    assert page.status_code == 200
    html = page.text
    assert "<svg" in html and "cdn" not in html.lower() and '<script src="http' not in html
    status = bars(html, "by-status")
    assert (status["submitted"], status["return_authorized"], status["inspected"]) == (
        "2",
        "1",
        "1",
    )
    assert status["rejected"] == "1" and status["closed"] == "0"
    assert bars(html, "holds") == {"week": "1", "past": "1"}
    assert "RMA-2026-000002" in html and "RMA-2026-000003" in html  # the holds table
    assert bars(html, "by-reason") == {"no_image": "3", "power": "2", "none": "1"}
    outcomes = bars(html, "by-outcome")
    assert (outcomes["repair"], outcomes["credit_note"], outcomes["not_covered"]) == ("1", "1", "1")
    assert outcomes["replace"] == "0"
    assert re.search(r'id="median-days">5\.0<', html)  # the median of 4 and 6 days


def test_claims_and_defect_rate_per_model_per_month(clerk_client, claims):
    page = clerk_client.get(DASHBOARD)

    html = page.text
    months = months_back(seoul_today())
    per_month = bars(html, "per-month")
    assert list(per_month) == [m.isoformat() for m in months]
    assert sum(int(v) for v in per_month.values()) == 6
    rates = bars(html, "per-model")
    # 4 of 40 cameras (10 %), 2 of 10 recorders (20 %); plus each model's monthly bars.
    assert float(rates["CAM-100"]) == pytest.approx(10.0)
    assert float(rates["NVR-16"]) == pytest.approx(20.0)
    assert 'data-model="CAM-100"' in html and 'data-model="NVR-16"' in html
    assert "10.00%" in html and "20.00%" in html


def test_the_dashboard_aggregates_in_a_fixed_number_of_queries(clerk_client, claims):
    with CaptureQueriesContext(connection) as before:
        clerk_client.get(DASHBOARD)
    for n in range(20):
        submitted_claim(items=2, rma=f"RMA-2026-1{n:05d}")
    with CaptureQueriesContext(connection) as after:
        clerk_client.get(DASHBOARD)

    assert len(after) == len(before)


def test_the_dashboard_renders_with_no_claims_at_all(clerk_client):
    page = clerk_client.get(DASHBOARD)

    assert page.status_code == 200
    assert "No data yet." in page.text


def test_the_claim_list_links_the_dashboard(clerk_client):
    page = clerk_client.get(reverse("admin:claims_claim_changelist"))

    assert f'href="{DASHBOARD}"' in page.text
