"""Threat: control characters in single-line fields (a CR/LF in a reference cut an N1
reminder's subject and put a forged "Bcc:" line at the top of its body). Every channel stores
them on one line (rma_portal/cleaning.py, SingleLineCharField); e-mails are built from that."""

import datetime

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.services import create_api_key
from claims.models import Claim
from notifications.emails import build_reminder_emails
from notifications.models import Reminder, ReminderKind
from rma_portal.cleaning import single_line
from tests.factories import (
    ClaimFactory,
    ComponentFactory,
    OrganisationFactory,
    ProductModelFactory,
    UserFactory,
)
from tests.portal.helpers import days_ago, make_unit
from warranty.models import ComponentKind

HOSTILE = "PO-77\r\nBcc: attacker@evil.example\x1b[2J\u2028\u202eend"
CLEAN = "PO-77 Bcc: attacker@evil.example [2J end"


@pytest.fixture
def org(db):
    return OrganisationFactory(code="acme", language="en", is_partner=True)


@pytest.fixture
def unit(org):
    model = ProductModelFactory(code="DC-200")
    ComponentFactory(product_model=model, name="Main board", kind=ComponentKind.STANDARD)
    return make_unit(org, model, "SN-A-0001")


@pytest.fixture
def buyer(org):
    return UserFactory(username="ann", organisation=org)


@pytest.fixture
def portal(buyer):
    client = Client()
    client.force_login(buyer)
    return client


@pytest.fixture
def api(org):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {create_api_key(organisation=org)[1]}")
    return client


def api_item(unit, **values) -> dict:
    item = {
        "serial_number": unit.serial_number,
        "defect_kind": "hidden",
        "defect_date": days_ago(2).isoformat(),
    }
    item.update(values)
    return item


def authorized_claim(org, buyer):
    return ClaimFactory(
        organisation=org, author=buyer, status="return_authorized", rma_number="RMA-2026-00001"
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("A\r\nB", "A B"),
        ("A\nB\tC", "A B C"),
        ("\x00\x07A\x7f\x85B\u2029", "A B"),
        ("abc\u202edef", "abcdef"),  # a right-to-left override reads "abcfed"
        ("  한빛 전자  ", "한빛 전자"),
    ],
)
def test_single_line_removes_every_control_character(raw, clean):
    assert single_line(raw) == clean


def test_the_api_stores_a_reference_and_item_fields_on_one_line(api, unit):
    body = {
        "buyer_reference": HOSTILE,
        "items": [
            {
                "serial_number": unit.serial_number + "\r\n",
                "model_code": "DC-200\n",
                "po_number": unit.shipment.po_number + "\r\nX",
                "pi_number": unit.shipment.pi_number,
                "shipment_date": unit.shipment.shipment_date.isoformat(),
                "defect_kind": "hidden",
                "defect_date": days_ago(2).isoformat(),
                "defect_details": "No image.\nTwo lines here are fine.",
            }
        ],
    }

    response = api.post("/api/v1/claims/", body, format="json")

    assert response.status_code == 201, response.content
    claim = Claim.objects.get()
    item = claim.items.get()
    assert claim.buyer_reference == CLEAN
    assert response.json()["buyer_reference"] == CLEAN
    assert (item.serial_number, item.model_code) == ("SN-A-0001", "DC-200")
    assert item.po_number == unit.shipment.po_number + " X"
    assert item.defect_details == "No image.\nTwo lines here are fine."  # prose keeps its lines


def test_a_null_character_is_refused_outright(api, unit):
    response = api.post(
        "/api/v1/claims/",
        {"buyer_reference": "A\x00B", "items": [api_item(unit)]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"errors": {"buyer_reference": ["Null characters are not allowed."]}}


def test_the_api_stores_carrier_and_tracking_on_one_line(api, org, buyer):
    claim = authorized_claim(org, buyer)

    response = api.post(
        f"/api/v1/claims/{claim.pk}/shipment/",
        {"carrier": "DHL\r\nBcc: x@evil.example", "tracking_number": "JD01\n46"},
        format="json",
    )

    assert response.status_code == 200, response.content
    claim.refresh_from_db()
    assert (claim.carrier, claim.tracking_number) == ("DHL Bcc: x@evil.example", "JD01 46")


def test_the_portal_stores_a_reference_on_one_line(portal, unit):
    shipment = unit.shipment
    prefix = "items-0-"
    data = {
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "1",
        "items-MAX_NUM_FORMS": "50",
        "buyer_reference": HOSTILE,
        "action": "draft",
        prefix + "serial_number": unit.serial_number,
        prefix + "model_code": "DC-200",
        prefix + "shipment_date": shipment.shipment_date.isoformat(),
        prefix + "po_number": shipment.po_number + "\r\nBcc: x",
        prefix + "pi_number": shipment.pi_number,
        prefix + "defect_kind": "hidden",
        prefix + "defect_date": days_ago(2).isoformat(),
        prefix + "defect_details": "No image after power-on.",
        prefix + "reason": "no_image",
        prefix + "component": "Main board",
    }

    response = portal.post("/claims/new/", data)

    assert response.status_code == 302, response.content
    claim = Claim.objects.get()
    assert claim.buyer_reference == CLEAN
    assert claim.items.get().po_number == shipment.po_number + " Bcc: x"


def test_the_portal_stores_carrier_and_tracking_on_one_line(portal, org, buyer):
    claim = authorized_claim(org, buyer)

    portal.post(
        f"/claims/{claim.pk}/shipment/",
        {"carrier": "DHL\r\nBcc: x@evil.example", "tracking_number": "JD01\r\n46"},
    )

    claim.refresh_from_db()
    assert (claim.status, claim.carrier, claim.tracking_number) == (
        "shipped",
        "DHL Bcc: x@evil.example",
        "JD01 46",
    )


def test_the_n1_reminder_subject_stays_one_line_and_the_body_has_no_forged_header(api, unit, org):
    api.post(
        "/api/v1/claims/",
        {"buyer_reference": HOSTILE, "items": [api_item(unit)]},
        format="json",
    )
    claim = Claim.objects.get()
    today = datetime.date.today()
    reminder = Reminder.objects.create(
        claim=claim, kind=ReminderKind.NOTICE_1D, deadline=today, recorded_on=today
    )

    (email,) = build_reminder_emails(reminder)

    assert CLEAN in email.subject
    assert "\n" not in email.subject and "\r" not in email.subject
    assert not any(line.startswith("Bcc:") for line in email.body.splitlines())
