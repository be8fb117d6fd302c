"""Test data for the portal's tests, made through the services where one exists."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from claims import services
from claims.actors import Actor
from tests.factories import PNG, ShipmentFactory, UnitFactory
from warranty.selectors import seoul_today

PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory


def days_ago(n: int) -> datetime.date:
    return seoul_today() - datetime.timedelta(days=n)


def make_unit(org, model, serial, *, delivered_days_ago=60, po="PO-1001", pi=None):
    shipment = ShipmentFactory(
        buyer=org,
        po_number=po,
        pi_number=pi or f"PI-{serial}",
        shipment_date=days_ago(delivered_days_ago + 5),
        delivery_date=days_ago(delivered_days_ago),
    )
    return UnitFactory(serial_number=serial, shipment=shipment, product_model=model)


def item_for(unit, **overrides) -> dict:
    """A complete item (N3 fields from CPRO's records), as the services take it."""
    shipment = unit.shipment
    item = {
        "serial_number": unit.serial_number,
        "model_code": unit.product_model.code,
        "shipment_date": shipment.shipment_date,
        "po_number": shipment.po_number,
        "pi_number": shipment.pi_number,
        "defect_kind": "hidden",
        "defect_date": days_ago(2),
        "defect_details": "No image after power-on.",
        "component": "Main board",
    }
    item.update(overrides)
    return item


def draft_for(user, units, **overrides):
    return services.create_draft(
        actor=Actor.buyer(user), items=[item_for(u, **overrides) for u in units]
    )


def submitted_for(user, units, **overrides):
    claim = draft_for(user, units, **overrides)
    services.submit(actor=Actor.buyer(user), claim=claim)
    claim.refresh_from_db()
    return claim


def png_upload(name="photo.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def disguised_upload(name="photo.jpg"):
    """An executable's bytes under a photo's name and type: refused by content."""
    return SimpleUploadedFile(name, b"MZ\x90\x00 not a photo at all", content_type="image/jpeg")
