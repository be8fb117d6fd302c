"""The claim queue: columns, filters, search, and a cost that does not grow with the rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Organisation, User
from claims.admin_lists import CappedCountPaginator
from claims.models import Claim, ClaimItem, ClaimStatus
from tests.factories import (
    ClaimItemFactory,
    OrganisationFactory,
    ProductModelFactory,
    ShipmentFactory,
)
from warranty.models import Unit
from warranty.rules import SEOUL
from warranty.selectors import seoul_today

from .conftest import submitted_claim

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:claims_claim_changelist")
NOTICE = datetime.datetime(2025, 12, 3, 10, 0, tzinfo=SEOUL)


def bulk_claims(count: int, organisation: Organisation, items_per_claim: int = 2) -> None:
    """``count`` submitted claims with their items, in a few queries."""
    author = User.objects.create(username=f"buyer-{organisation.code}", organisation=organisation)
    shipment = ShipmentFactory(buyer=organisation)
    model = ProductModelFactory(code="CAM-100")
    start = Claim.objects.count()
    claims = Claim.objects.bulk_create(
        Claim(
            organisation=organisation,
            author=author,
            status=ClaimStatus.SUBMITTED,
            rma_number=f"RMA-2025-{start + n + 1:06d}",
            notice_at=NOTICE,
            hold_until=datetime.date(2026, 1, 2),
        )
        for n in range(count)
    )
    units = Unit.objects.bulk_create(
        Unit(
            serial_number=f"BULK-{organisation.code}-{n:06d}",
            shipment=shipment,
            product_model=model,
            unit_price="100.00",
        )
        for n in range(count * items_per_claim)
    )
    ClaimItem.objects.bulk_create(
        ClaimItem(
            claim=claims[n // items_per_claim],
            unit=unit,
            serial_number=unit.serial_number,
            model_code=model.code,
            defect_kind="hidden",
            defect_date=datetime.date(2025, 12, 1),
            notice_late=n % 7 == 0,
            mismatches=[{"field": "po_number", "given": "X", "recorded": "Y"}]
            if n % 5 == 0
            else [],
        )
        for n, unit in enumerate(units)
    )


def queries_for(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(queries)


def listed(response):
    return sorted(str(claim) for claim in response.context["cl"].result_list)


@pytest.mark.parametrize(
    "query", ["", "?status=open", "?late_notice=yes&mismatch=yes", "?q=RMA-2025-000003"]
)
def test_the_list_costs_the_same_queries_for_5_and_500_claims(clerk_client, query):
    bulk_claims(5, OrganisationFactory(code="small"))
    _page, few = queries_for(clerk_client, CHANGELIST + query)

    bulk_claims(495, OrganisationFactory(code="large"))
    page, many = queries_for(clerk_client, CHANGELIST + query)

    assert many == few
    assert len(page.context["cl"].result_list) <= 50  # one page


def test_the_list_shows_the_item_count_and_flags_without_a_query_per_row(clerk_client):
    bulk_claims(3, OrganisationFactory(code="acme"), items_per_claim=3)

    page = clerk_client.get(CHANGELIST)

    claims = {str(c): c for c in page.context["cl"].result_list}
    assert {c.item_count for c in claims.values()} == {3}
    assert claims["RMA-2025-000001"].late_notice and claims["RMA-2025-000001"].mismatch
    assert 'class="flag-late-notice"' in page.text
    assert 'class="flag-mismatch"' in page.text


def test_the_hold_is_coloured_when_it_ends_within_a_week_or_has_ended(clerk_client):
    today = seoul_today()
    submitted_claim(rma="RMA-2026-000001", hold_until=today + datetime.timedelta(days=3))
    submitted_claim(rma="RMA-2026-000002", hold_until=today - datetime.timedelta(days=1))
    submitted_claim(rma="RMA-2026-000003", hold_until=today + datetime.timedelta(days=20))
    submitted_claim(
        rma="RMA-2026-000004",
        hold_until=today - datetime.timedelta(days=1),
        status=ClaimStatus.CLOSED,
    )

    page = clerk_client.get(CHANGELIST)

    assert page.text.count('class="hold-near"') == 1
    assert page.text.count('class="hold-past"') == 1  # the closed claim's hold no longer counts


@pytest.fixture
def queue(db):
    today = seoul_today()
    acme = OrganisationFactory(code="acme", name="ACME Security GmbH")
    globex = OrganisationFactory(code="globex", name="Globex Korea")
    week = submitted_claim(
        rma="RMA-2026-000001", organisation=acme, hold_until=today + datetime.timedelta(days=2)
    )
    past = submitted_claim(
        rma="RMA-2026-000002",
        organisation=globex,
        status=ClaimStatus.RETURN_AUTHORIZED,
        hold_until=today - datetime.timedelta(days=3),
    )
    later = submitted_claim(
        rma="RMA-2026-000003",
        organisation=acme,
        status=ClaimStatus.INSPECTED,
        hold_until=today + datetime.timedelta(days=25),
    )
    draft = submitted_claim(
        rma=None, organisation=globex, status=ClaimStatus.DRAFT, notice_at=None, hold_until=None
    )
    closed = submitted_claim(
        rma="RMA-2026-000004",
        organisation=globex,
        status=ClaimStatus.CLOSED,
        hold_until=today - datetime.timedelta(days=40),
    )
    ClaimItemFactory(claim=week, notice_late=True, po_number="PO-GIVEN-77")
    ClaimItemFactory(claim=past, mismatches=[{"field": "pi_number", "given": "a", "recorded": "b"}])
    ClaimItemFactory(claim=later, unit__serial_number="CAM-SN-0042")
    return {"week": week, "past": past, "later": later, "draft": draft, "closed": closed}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=submitted", ["RMA-2026-000001"]),
        ("status=open", ["RMA-2026-000001", "RMA-2026-000002", "RMA-2026-000003"]),
        ("status=draft", ["Draft"]),
        ("hold=week", ["RMA-2026-000001"]),
        ("hold=past", ["RMA-2026-000002"]),
        ("hold=none", ["Draft"]),
        ("late_notice=yes", ["RMA-2026-000001"]),
        ("mismatch=yes", ["RMA-2026-000002"]),
        ("mismatch=no&status=open", ["RMA-2026-000001", "RMA-2026-000003"]),
    ],
)
def test_the_filters_narrow_the_queue(clerk_client, queue, query, expected):
    page = clerk_client.get(f"{CHANGELIST}?{query}")

    assert [name.split(" #")[0] for name in listed(page)] == expected


def test_the_organisation_filter(clerk_client, queue):
    acme = Organisation.objects.get(code="acme")

    page = clerk_client.get(f"{CHANGELIST}?organisation={acme.pk}")

    assert listed(page) == ["RMA-2026-000001", "RMA-2026-000003"]


@pytest.mark.parametrize(
    "term, expected",
    [
        ("RMA-2026-000002", ["RMA-2026-000002"]),
        ("rma-2026-000002", ["RMA-2026-000002"]),
        ("000003", ["RMA-2026-000003"]),
        ("CAM-SN-0042", ["RMA-2026-000003"]),
        ("cam-sn-0042", ["RMA-2026-000003"]),
        ("PO-GIVEN-77", ["RMA-2026-000001"]),  # the PO as the buyer gave it
        ("acme", ["RMA-2026-000001", "RMA-2026-000003"]),
        ("Globex", ["Draft", "RMA-2026-000002", "RMA-2026-000004"]),
        ("nothing-like-it", []),
    ],
)
def test_search_by_rma_serial_po_pi_and_organisation(clerk_client, queue, term, expected):
    page = clerk_client.get(CHANGELIST, {"q": term})

    assert [name.split(" #")[0] for name in listed(page)] == expected


def test_search_by_the_recorded_pi_number(clerk_client, queue):
    item = queue["past"].items.first()

    page = clerk_client.get(CHANGELIST, {"q": item.unit.shipment.pi_number})

    assert listed(page) == ["RMA-2026-000002"]


def test_beyond_the_cap_a_filtered_list_says_more_than(clerk_client, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    bulk_claims(5, OrganisationFactory(code="acme"), items_per_claim=1)

    page = clerk_client.get(CHANGELIST, {"status": "submitted"})

    assert page.context["cl"].paginator.capped
    assert "more than 3 claims" in page.text


def test_beyond_the_cap_the_whole_list_shows_the_planner_estimate(clerk_client, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    bulk_claims(8, OrganisationFactory(code="acme"), items_per_claim=1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'claims_claim'")
        estimate = cursor.fetchone()[0]

    page = clerk_client.get(CHANGELIST)

    cl = page.context["cl"]
    assert estimate == 8  # ANALYZE counts this transaction's rows too
    assert cl.paginator.estimated and cl.result_count == estimate
    assert "about 8 claims" in page.text


def test_the_list_never_counts_the_whole_table(clerk_client):
    bulk_claims(5, OrganisationFactory(code="acme"), items_per_claim=1)

    with CaptureQueriesContext(connection) as queries:
        clerk_client.get(CHANGELIST, {"status": "open", "q": "acme"})

    counts = [q["sql"] for q in queries if "COUNT(*)" in q["sql"]]
    assert counts and all("LIMIT 10001" in sql for sql in counts)
