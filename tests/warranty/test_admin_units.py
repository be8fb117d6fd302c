"""The admin shows each unit's warranty verdict today (W1-W4), from the one lookup."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from tests.factories import ProductModelFactory, ShipmentFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_client(client):
    clerk = User.objects.create_user(
        "clerk-units", password="pw-for-tests-1", is_staff=True, language="en"
    )
    clerk.groups.add(Group.objects.get(name="Sales staff"))
    client.force_login(clerk)
    return client


def make_units(count, *, delivered):
    shipment = ShipmentFactory(shipment_date=delivered, delivery_date=delivered)
    model = ProductModelFactory(code="DOME-1")
    return [UnitFactory(shipment=shipment, product_model=model) for _ in range(count)]


def test_the_unit_list_shows_covered_and_expired_units(clerk_client):
    today = datetime.date.today()
    fresh = make_units(1, delivered=today - datetime.timedelta(days=30))[0]
    old = UnitFactory(
        serial_number="SN-OLD",
        shipment=ShipmentFactory(
            shipment_date=datetime.date(2020, 1, 6), delivery_date=datetime.date(2020, 1, 10)
        ),
    )

    page = clerk_client.get("/admin/warranty/unit/").content.decode()

    assert fresh.serial_number in page and old.serial_number in page
    assert "covered</span> until" in page
    assert "not covered</span> until 2022-01-10" in page


def test_the_unit_list_reads_the_policies_once_per_page(clerk_client):
    make_units(3, delivered=datetime.date(2025, 5, 1))
    with CaptureQueriesContext(connection) as few:
        clerk_client.get("/admin/warranty/unit/")
    make_units(30, delivered=datetime.date(2025, 6, 1))
    with CaptureQueriesContext(connection) as many:
        clerk_client.get("/admin/warranty/unit/")

    assert len(many) == len(few)


def test_the_unit_page_explains_the_verdict_with_its_clauses(clerk_client):
    unit = make_units(1, delivered=datetime.date(2025, 5, 1))[0]

    page = clerk_client.get(f"/admin/warranty/unit/{unit.pk}/change/").content.decode()

    assert "<strong>W1</strong>" in page
    assert "2027-05-01" in page
