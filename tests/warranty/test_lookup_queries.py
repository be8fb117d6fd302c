"""The warranty API's hot path: two queries a lookup, the policy table read once per process."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import create_api_key, revoke_api_key
from tests.factories import OrganisationFactory, ProductModelFactory, ShipmentFactory, UnitFactory
from warranty.models import WarrantyPolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganisationFactory(code="acme")


@pytest.fixture
def units(org):
    shipment = ShipmentFactory(
        buyer=org, shipment_date=datetime.date(2026, 3, 3), delivery_date=datetime.date(2026, 3, 10)
    )
    model = ProductModelFactory(code="DVR-8")
    return [
        UnitFactory(serial_number=f"SN-{n}", shipment=shipment, product_model=model)
        for n in range(3)
    ]


@pytest.fixture
def key(org):
    return create_api_key(organisation=org, label="tests")


def lookup(raw_key, serial):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client.get(f"/api/v1/units/{serial}/warranty/")


def policy_queries(captured):
    return [q["sql"] for q in captured.captured_queries if "warranty_warrantypolicy" in q["sql"]]


def test_a_lookup_after_warm_up_makes_two_queries_and_none_on_the_policy_table(key, units):
    _api_key, raw = key
    assert lookup(raw, "SN-0").status_code == 200  # warm-up: reads the policy table

    with CaptureQueriesContext(connection) as captured:
        response = lookup(raw, "SN-1")

    assert response.status_code == 200
    assert response.json()["serial"] == "SN-1"
    assert len(captured) <= 2, [q["sql"] for q in captured.captured_queries]
    assert policy_queries(captured) == []


def test_a_new_policy_version_is_used_by_the_next_lookup(key, units):
    _api_key, raw = key
    assert lookup(raw, "SN-0").json()["policy_version"] == "CPRO-LW-1"

    WarrantyPolicy.objects.create(
        version="CPRO-LW-2", effective_from=datetime.date(2026, 1, 1), standard_months=36
    )

    answer = lookup(raw, "SN-0").json()
    assert (answer["policy_version"], answer["period_months"]) == ("CPRO-LW-2", 36)


def test_a_changed_policy_version_is_used_by_the_next_lookup(key, units):
    _api_key, raw = key
    assert lookup(raw, "SN-0").json()["period_months"] == 24

    policy = WarrantyPolicy.objects.get(version="CPRO-LW-1")
    policy.standard_months = 30
    policy.save()

    assert lookup(raw, "SN-0").json()["period_months"] == 30


def test_a_key_revoked_after_a_lookup_fails_on_the_next_one(key, units):
    api_key, raw = key
    assert lookup(raw, "SN-0").status_code == 200

    revoke_api_key(api_key=api_key)

    assert lookup(raw, "SN-0").status_code == 401


def test_the_answer_is_the_same_through_the_hot_path_as_through_the_orm(key, units, org):
    from warranty import selectors

    _api_key, raw = key
    unit = selectors.units_of(org).get(serial_number="SN-2")
    expected = selectors.warranty_answer(unit, selectors.unit_verdict(unit))

    assert lookup(raw, "SN-2").json() == expected
