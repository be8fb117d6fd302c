import datetime
import itertools
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.models import Organisation, User
from warranty.models import Component, ComponentKind, ProductModel, Shipment, Unit
from warranty.rules import SEOUL

# A 1x1 PNG: the smallest upload that is a photo by its content (N5 evidence).
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
# The frozen clock of the draft and submission tests: 12:00 in Seoul.
NOW = datetime.datetime(2026, 11, 25, 3, 0, tzinfo=datetime.UTC)
# The notice time of the claims `submitted_claim` builds.
NOTICE = datetime.datetime(2025, 12, 3, 10, 0, tzinfo=SEOUL)
_rma = itertools.count(1)


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"org{n}")
    name = factory.Sequence(lambda n: f"Buyer Company {n}")
    language = "en"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProductModelFactory(DjangoModelFactory):
    class Meta:
        model = ProductModel
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"MODEL-{n}")
    name = factory.Sequence(lambda n: f"Device {n}")
    is_camera_module = False
    mechanical_wear = False


class ComponentFactory(DjangoModelFactory):
    class Meta:
        model = Component

    product_model = factory.SubFactory(ProductModelFactory)
    name = factory.Sequence(lambda n: f"part-{n}")
    kind = ComponentKind.STANDARD


class ShipmentFactory(DjangoModelFactory):
    class Meta:
        model = Shipment

    pi_number = factory.Sequence(lambda n: f"PI-{n:06d}")
    po_number = factory.Sequence(lambda n: f"PO-{n:06d}")
    buyer = factory.SubFactory(OrganisationFactory)
    shipment_date = datetime.date(2025, 6, 2)
    delivery_date = datetime.date(2025, 6, 10)


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = Unit

    serial_number = factory.Sequence(lambda n: f"SN{n:08d}")
    shipment = factory.SubFactory(ShipmentFactory)
    product_model = factory.SubFactory(ProductModelFactory)
    unit_price = Decimal("120.00")
    currency = "USD"


class ClaimFactory(DjangoModelFactory):
    """A claim row as test data; states other than draft are set directly, bypassing services."""

    class Meta:
        model = "claims.Claim"

    organisation = factory.SubFactory(OrganisationFactory)
    author = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..organisation"))
    status = "draft"


class ClaimItemFactory(DjangoModelFactory):
    class Meta:
        model = "claims.ClaimItem"

    claim = factory.SubFactory(ClaimFactory)
    unit = factory.SubFactory(
        UnitFactory, shipment__buyer=factory.SelfAttribute("...claim.organisation")
    )
    serial_number = factory.SelfAttribute("unit.serial_number")
    model_code = factory.SelfAttribute("unit.product_model.code")
    shipment_date = factory.SelfAttribute("unit.shipment.shipment_date")
    po_number = factory.SelfAttribute("unit.shipment.po_number")
    pi_number = factory.SelfAttribute("unit.shipment.pi_number")
    defect_kind = "hidden"
    defect_date = datetime.date(2025, 12, 1)
    defect_details = "No image after power-on."


def submitted_claim(items=1, status="submitted", **fields):
    """A claim past submission (RMA number, N1 notice, N4 hold) with ``items`` items."""
    claim = ClaimFactory(
        status=status,
        **{
            "rma_number": f"RMA-2025-{next(_rma):06d}",
            "notice_at": NOTICE,
            "hold_until": datetime.date(2026, 1, 2),
            **fields,
        },
    )
    for position in range(items):
        ClaimItemFactory(claim=claim, position=position)
    return claim


def item_for(unit, **overrides):
    """One claim item as the claim services take it, matching CPRO's records of ``unit``."""
    data = {
        "serial_number": unit.serial_number,
        "model_code": unit.product_model.code,
        "shipment_date": unit.shipment.shipment_date.isoformat(),
        "po_number": unit.shipment.po_number,
        "pi_number": unit.shipment.pi_number,
        "defect_kind": "hidden",
        "defect_date": "2026-11-22",
        "defect_details": "No image after power-on.",
    }
    data.update(overrides)
    return data
