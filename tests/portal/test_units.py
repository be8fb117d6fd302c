"""Units: the searchable, paginated list with each unit's warranty today, the unit's explained
verdict, and the warranty check by serial (today, or a prospective claim)."""

import pytest

from tests.factories import ProductModelFactory

from .helpers import days_ago, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet(org, model):
    camera = ProductModelFactory(code="CM-IMX415", name="4K camera module", is_camera_module=True)
    return {
        "new": make_unit(org, model, "SN-NEW", delivered_days_ago=30, po="PO-A"),
        "camera": make_unit(org, camera, "SN-CAM", delivered_days_ago=400, po="PO-B"),
        "old": make_unit(org, model, "SN-OLD", delivered_days_ago=800, po="PO-C", pi="PI-77"),
    }


def rows(client, **params):
    return client.get("/units/", params).context["rows"]


def test_the_list_shows_each_units_warranty_today(buyer_client, fleet):
    verdicts = {unit.serial_number: verdict for unit, verdict in rows(buyer_client)}
    assert verdicts["SN-NEW"].status == "covered"
    assert verdicts["SN-CAM"].status == "not_covered"  # W3: 12 months for camera modules
    assert verdicts["SN-CAM"].period_clause == "W3"
    assert verdicts["SN-OLD"].status == "not_covered"  # W1: 24 months


@pytest.mark.parametrize(
    ("query", "expected"),
    [("sn-new", ["SN-NEW"]), ("IMX415", ["SN-CAM"]), ("PO-C", ["SN-OLD"]), ("PI-77", ["SN-OLD"])],
)
def test_the_list_searches_serial_model_po_and_pi(buyer_client, fleet, query, expected):
    assert [unit.serial_number for unit, _v in rows(buyer_client, q=query)] == expected


def test_the_list_is_paginated(buyer_client, org, model):
    for n in range(30):
        make_unit(org, model, f"SN-P-{n:02d}")
    response = buyer_client.get("/units/", {"page": 2})
    assert len(response.context["rows"]) == 5
    assert "Page 2 of 2" in response.text


def test_the_unit_page_explains_the_verdict_in_plain_words(buyer_client, fleet):
    unit = fleet["camera"]
    response = buyer_client.get(f"/units/{unit.serial_number}/")
    page = response.text
    assert "Not covered" in page
    assert "This product is a camera module, so its warranty period is 12 months" in page
    assert unit.shipment.delivery_date.isoformat() in page
    assert "W3" in page and "CPRO-LW-1" in page


def test_an_unknown_unit_is_not_found(buyer_client):
    assert buyer_client.get("/units/NOPE/").status_code == 404


def test_the_warranty_check_answers_for_today(buyer_client, fleet):
    response = buyer_client.get("/warranty/", {"serial": "SN-NEW"})
    verdict = response.context["verdict"]
    assert verdict.status == "covered" and verdict.notice_deadline is None
    assert "The warranty is in force today" in response.text


def test_the_warranty_check_judges_a_prospective_claim(buyer_client, fleet):
    response = buyer_client.get(
        "/warranty/",
        {
            "serial": "SN-NEW",
            "defect_kind": "hidden",
            "defect_date": days_ago(10).isoformat(),
            "component": "Main board",
        },
    )
    verdict = response.context["verdict"]
    assert verdict.status == "not_covered" and verdict.notice_late  # N1: 8 days
    assert "If notified today" in response.text and "the claim is late" in response.text


def test_the_warranty_check_offers_the_models_components(buyer_client, fleet):
    response = buyer_client.get("/warranty/", {"serial": "SN-NEW"})
    choices = dict(response.context["form"].fields["component"].choices)
    assert {"", "Main board", "microSD card"} <= set(choices)


def test_the_warranty_check_puts_errors_beside_the_fields(buyer_client, fleet):
    response = buyer_client.get(
        "/warranty/", {"serial": "SN-NEW", "defect_date": days_ago(-2).isoformat()}
    )
    errors = response.context["form"].errors
    assert "defect_kind" in errors
    assert errors["defect_date"] == ["The date of receipt or discovery cannot be in the future."]
    assert response.context["verdict"] is None
    assert 'aria-invalid="true"' in response.text


def test_the_warranty_check_page_starts_empty(buyer_client):
    response = buyer_client.get("/warranty/")
    assert response.context["verdict"] is None and not response.context["form"].errors
