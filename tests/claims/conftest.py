"""Fixtures the claim tests share. The clock, the policy row and the media root are opt-in
(``pytest.mark.usefixtures``): most modules build claims directly and need none of them."""

import datetime

import pytest
from django.utils import timezone

from claims.actors import Actor
from tests.factories import (
    NOW,
    ClaimFactory,
    ClaimItemFactory,
    ComponentFactory,
    OrganisationFactory,
    ProductModelFactory,
    UserFactory,
)
from warranty.models import ComponentKind, WarrantyPolicy


@pytest.fixture
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def policy():
    # Transactional tests elsewhere flush the tables migrations filled; put the policy back.
    WarrantyPolicy.objects.get_or_create(
        version="CPRO-LW-1", defaults={"effective_from": datetime.date(2000, 1, 1)}
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def org():
    return OrganisationFactory(code="acme")


@pytest.fixture
def buyer(org):
    return Actor.buyer(UserFactory(organisation=org))


@pytest.fixture
def staff():
    return Actor.staff(UserFactory(username="clerk", is_staff=True, organisation=None))


@pytest.fixture
def model():
    model = ProductModelFactory(code="PTZ-200")
    ComponentFactory(product_model=model, name="mainboard", kind=ComponentKind.STANDARD)
    return model


@pytest.fixture
def claim(org):
    """A submitted claim of ``org`` with one item, under review (modules may define their own)."""
    claim = ClaimFactory(
        organisation=org,
        status="submitted",
        rma_number="RMA-2026-000042",
        notice_at=datetime.datetime(2026, 11, 25, 3, tzinfo=datetime.UTC),
    )
    ClaimItemFactory(claim=claim)
    return claim
