"""Fixtures of the buyer portal's tests: an organisation with units, a signed-in buyer, another
organisation; real PostgreSQL. Dates count back from today (Seoul), so the same data serves the
live-server browser test, whose server thread cannot have its clock frozen.
"""

import datetime
import importlib

import pytest

from accounts.models import User
from claims.models import DefectReason
from tests.factories import ComponentFactory, OrganisationFactory, ProductModelFactory, UserFactory
from warranty.models import ComponentKind, WarrantyPolicy

from .helpers import PASSWORD, make_unit

_REASONS = importlib.import_module("claims.migrations.0002_defect_reasons").REASONS


@pytest.fixture(autouse=True)
def terms(db):
    """What migrations put in (transactional tests elsewhere flush it): the policy, reasons."""
    WarrantyPolicy.objects.get_or_create(
        version="CPRO-LW-1", defaults={"effective_from": datetime.date(2000, 1, 1)}
    )
    for position, (code, en, ko, photo) in enumerate(_REASONS):
        DefectReason.objects.get_or_create(
            code=code,
            defaults={"name_en": en, "name_ko": ko, "photo_required": photo, "position": position},
        )


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def org():
    return OrganisationFactory(code="acme", name="Acme Vision", language="en")


@pytest.fixture
def other_org():
    return OrganisationFactory(code="rival", name="Rival Optics", language="en")


@pytest.fixture
def buyer(org) -> User:
    return UserFactory(username="ann", organisation=org)


@pytest.fixture
def buyer_client(client, buyer):
    client.force_login(buyer)
    return client


@pytest.fixture
def other_buyer(other_org) -> User:
    return UserFactory(username="rita", organisation=other_org)


@pytest.fixture
def staff() -> User:
    # English by choice: CPRO staff default to Korean (issue 16).
    return User.objects.create_user(
        username="clerk", password=PASSWORD, is_staff=True, language="en"
    )


@pytest.fixture
def model():
    model = ProductModelFactory(code="DC-200", name="Dash cam DC-200")
    for name, kind in [
        ("Front camera module", ComponentKind.CAMERA_MODULE),
        ("Main board", ComponentKind.STANDARD),
        ("microSD card", ComponentKind.THIRD_PARTY),
    ]:
        ComponentFactory(product_model=model, name=name, kind=kind)
    return model


@pytest.fixture
def unit(org, model):
    return make_unit(org, model, "SN-A-0001")


@pytest.fixture
def other_unit(other_org, model):
    return make_unit(other_org, model, "SN-R-0001", po="PO-R")
