"""Shared fixtures of the partner API tests: an organisation with units, its API client, and the
same for a stranger organisation. Dates are relative to today in Seoul (no frozen clock: the
live-server and worker tests run in other threads and processes)."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import create_api_key
from claims import services
from claims.actors import Actor
from tests.factories import (
    ComponentFactory,
    OrganisationFactory,
    ProductModelFactory,
    ShipmentFactory,
    UnitFactory,
)
from warranty.models import ComponentKind, WarrantyPolicy
from warranty.selectors import seoul_today


@pytest.fixture
def policy(db):
    # Transactional tests flush what migrations filled; put the first policy back.
    WarrantyPolicy.objects.get_or_create(
        version="CPRO-LW-1", defaults={"effective_from": datetime.date(2000, 1, 1)}
    )


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


def today() -> datetime.date:
    return seoul_today()


def make_unit(org, serial: str, model=None):
    model = model or ProductModelFactory(code="PTZ-200")
    if not model.components.exists():
        ComponentFactory(product_model=model, name="mainboard", kind=ComponentKind.STANDARD)
    shipment = ShipmentFactory(
        buyer=org,
        shipment_date=today() - datetime.timedelta(days=70),
        delivery_date=today() - datetime.timedelta(days=60),
    )
    return UnitFactory(serial_number=serial, shipment=shipment, product_model=model)


def item_payload(unit, **overrides) -> dict:
    """One item as a partner sends it: every N3 field, a hidden defect found two days ago."""
    item = {
        "serial_number": unit.serial_number,
        "model_code": unit.product_model.code,
        "shipment_date": unit.shipment.shipment_date.isoformat(),
        "po_number": unit.shipment.po_number,
        "pi_number": unit.shipment.pi_number,
        "defect_kind": "hidden",
        "defect_date": (today() - datetime.timedelta(days=2)).isoformat(),
        "defect_details": "No image after power-on.",
        "component": "mainboard",
    }
    item.update(overrides)
    return item


def client_for(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


@pytest.fixture
def org(policy):
    return OrganisationFactory(code="acme", name="ACME Security", is_partner=True)


@pytest.fixture
def unit(org):
    return make_unit(org, "SN-ACME-1")


@pytest.fixture
def second_unit(org, unit):
    return make_unit(org, "SN-ACME-2", model=unit.product_model)


@pytest.fixture
def api_key(org):
    return create_api_key(organisation=org, label="tests")


@pytest.fixture
def api(api_key):
    return client_for(api_key[1])


@pytest.fixture
def stranger(policy):
    """Another organisation, with its own unit, key and claim."""
    other = OrganisationFactory(code="other", name="Other Ltd")
    other_unit = make_unit(other, "SN-OTHER-1", model=ProductModelFactory(code="DOME-9"))
    _key, raw = create_api_key(organisation=other)
    claim = services.create_draft(
        actor=Actor.partner(_key), items=[item_payload(other_unit, component=None)]
    )
    return {"org": other, "unit": other_unit, "api": client_for(raw), "claim": claim}


@pytest.fixture
def staff(db):
    group, _created = Group.objects.get_or_create(name="Sales staff")
    clerk = User.objects.create(
        username="clerk", email="clerk@cpro.example", is_staff=True, language="en"
    )
    clerk.groups.add(group)
    return clerk


def create_draft(api, *units, **fields):
    body = {"items": [item_payload(u) for u in units], **fields}
    response = api.post("/api/v1/claims/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def submitted(api, *units) -> dict:
    draft = create_draft(api, *units)
    response = api.post(f"/api/v1/claims/{draft['id']}/submit/")
    assert response.status_code == 200, response.content
    return response.json()
