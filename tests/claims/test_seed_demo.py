"""`seed_demo`: the demo data `./dev up` loads covers every warranty outcome, and is idempotent."""

from datetime import date, timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Organisation, User
from claims.events import verify_claim
from claims.management.commands import seed_demo
from claims.models import Claim, ClaimEvent, CreditNote, Document, DocumentKind
from warranty.models import Component, ComponentKind, ProductModel, Shipment, Unit

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Everything the demo writes, as plain values, to compare two runs."""
    return {
        "organisations": list(
            Organisation.objects.order_by("code").values_list(
                "id", "code", "name", "language", "is_partner"
            )
        ),
        "models": list(
            ProductModel.objects.order_by("code").values_list(
                "id", "code", "name", "is_camera_module", "mechanical_wear"
            )
        ),
        "components": list(
            Component.objects.order_by("id").values_list("id", "product_model_id", "name", "kind")
        ),
        "shipments": list(
            Shipment.objects.order_by("pi_number").values_list(
                "id", "pi_number", "po_number", "buyer_id", "shipment_date", "delivery_date"
            )
        ),
        "units": list(
            Unit.objects.order_by("serial_number").values_list(
                "id", "serial_number", "shipment_id", "product_model_id", "unit_price", "currency"
            )
        ),
        "users": list(
            User.objects.order_by("username").values_list(
                "id", "username", "email", "password", "organisation_id", "is_staff", "language"
            )
        ),
    }


@pytest.fixture
def seeded():
    seed()


def test_running_twice_changes_nothing():
    seed()
    first = snapshot()

    output = seed()

    assert snapshot() == first
    assert "0 new" in output


def test_running_again_on_a_later_day_keeps_the_stored_dates(monkeypatch):
    seed()
    first = snapshot()
    later = timezone.localdate() + timedelta(days=45)
    monkeypatch.setattr(seed_demo, "timezone", SimpleNamespace(localdate=lambda: later))

    seed()

    assert snapshot() == first


def test_the_summary_names_the_counts():
    output = seed()

    assert "4 organisations" in output
    assert f"{len(seed_demo.SHIPMENTS)} shipments" in output
    assert "3 users" in output
    assert "6 claims (6 new)" in output


def test_at_least_twenty_product_models(seeded):
    assert ProductModel.objects.count() >= 20


def test_products_cover_every_warranty_rule(seeded):
    assert ProductModel.objects.filter(is_camera_module=True).exists()  # W3 stand-alone
    assert Component.objects.filter(kind=ComponentKind.CAMERA_MODULE).exists()  # W3 integrated
    assert ProductModel.objects.filter(mechanical_wear=True).exists()  # W4 product
    assert Component.objects.filter(kind=ComponentKind.MECHANICAL).exists()  # W4 component
    assert Component.objects.filter(kind=ComponentKind.THIRD_PARTY).exists()  # W2


def test_organisations_include_a_korean_buyer_and_a_partner(seeded):
    assert Organisation.objects.filter(language="ko", is_partner=False).exists()
    assert Organisation.objects.filter(is_partner=True).exists()
    assert Organisation.objects.filter(is_partner=False).count() >= 3


def test_shipments_cover_every_period_outcome(seeded):
    today = timezone.localdate()
    twelve_months_ago = today - relativedelta(months=12)
    twenty_four_months_ago = today - relativedelta(months=24)
    shipments = Shipment.objects.all()

    assert shipments.filter(delivery_date__gt=twelve_months_ago).exists()
    assert shipments.filter(
        delivery_date__lte=twelve_months_ago, delivery_date__gt=twenty_four_months_ago
    ).exists()
    assert shipments.filter(delivery_date__lt=twenty_four_months_ago).exists()
    assert shipments.filter(delivery_date__isnull=True).exists()


def test_shipments_stay_within_the_last_three_years(seeded):
    today = timezone.localdate()
    assert not Shipment.objects.filter(shipment_date__lt=today - relativedelta(years=3)).exists()
    assert not Shipment.objects.filter(shipment_date__gt=today).exists()


def test_a_camera_module_was_delivered_between_twelve_and_twenty_four_months_ago(seeded):
    # W3 has ended for it while W1 still runs for the standard products of the same period.
    today = timezone.localdate()
    assert Unit.objects.filter(
        product_model__is_camera_module=True,
        shipment__delivery_date__lte=today - relativedelta(months=12),
        shipment__delivery_date__gt=today - relativedelta(months=24),
    ).exists()


def test_units_are_a_modest_number_with_deterministic_serials(seeded):
    units = Unit.objects.all()
    assert 100 <= units.count() <= 1000
    assert all(serial.startswith("CP") for serial in units.values_list("serial_number", flat=True))


def test_clerk_is_sales_staff_but_not_superuser(seeded):
    clerk = User.objects.get(username="clerk")

    assert clerk.is_staff
    assert not clerk.is_superuser
    assert clerk.organisation is None
    assert list(clerk.groups.values_list("name", flat=True)) == ["Sales staff"]
    assert clerk.check_password("demo-pass-2026")


def test_buyers_belong_to_their_organisations(seeded):
    buyer = User.objects.get(username="buyer")
    buyer_ko = User.objects.get(username="buyer-ko")

    assert buyer.organisation.language == "en"
    assert buyer_ko.organisation.language == "ko"
    assert buyer_ko.preferred_language == "ko"
    assert not buyer.is_staff and not buyer_ko.is_staff
    assert buyer.check_password("demo-pass-2026")
    assert buyer_ko.check_password("demo-pass-2026")
    assert Shipment.objects.filter(buyer=buyer.organisation).exists()
    assert Shipment.objects.filter(buyer=buyer_ko.organisation).exists()


def statuses(org_code: str) -> list[str]:
    return sorted(
        Claim.objects.filter(organisation__code=org_code).values_list("status", flat=True)
    )


def test_the_english_buyer_has_a_claim_in_every_interesting_status(seeded):
    assert statuses("acme-vision") == sorted(
        ["draft", "submitted", "info_requested", "return_authorized", "closed"]
    )
    authors = set(Claim.objects.values_list("organisation__code", "author__username"))
    assert authors == {("acme-vision", "buyer"), ("hanbit", "buyer-ko")}


def test_the_korean_buyer_has_a_submitted_claim(seeded):
    assert statuses("hanbit") == ["submitted"]


def test_the_demo_claims_went_through_the_services(seeded):
    buyer_claims = Claim.objects.filter(organisation__code="acme-vision")
    draft = buyer_claims.get(status="draft")
    assert draft.rma_number is None
    (item,) = draft.items.all()
    # N1: the draft's notice deadline is still ahead, and close.
    deadline = date.fromisoformat(item.verdict["en"]["notice_deadline"])
    assert timezone.localdate() < deadline <= timezone.localdate() + timedelta(days=3)

    submitted = buyer_claims.get(status="submitted")
    assert submitted.rma_number
    assert sorted(submitted.items.values_list("verdict_status", flat=True)) == [
        "covered",
        "not_covered",
    ]
    assert not submitted.items.filter(notice_late=True).exists()

    info = buyer_claims.get(status="info_requested")
    question = info.messages.get()
    assert question.from_staff and question.author.username == "clerk"

    authorized = buyer_claims.get(status="return_authorized")
    assert authorized.items.filter(return_authorized=True).exists()
    assert Document.objects.filter(
        claim=authorized, kind=DocumentKind.RETURN_AUTHORIZATION, valid=True
    ).exists()

    closed = buyer_claims.get(status="closed")
    assert list(closed.events.order_by("seq").values_list("kind", flat=True)) == [
        "edit_draft",
        "submit",
        "authorize_return",
        "record_shipment",
        "receive",
        "inspect",
        "issue_credit_note",
        "close",
    ]
    (item,) = closed.items.all()
    assert item.outcome == "credit_note"
    assert CreditNote.objects.filter(item=item).exists()


def test_every_demo_defect_date_is_valid(seeded):
    today = timezone.localdate()
    for claim in Claim.objects.prefetch_related("items__unit__shipment"):
        for item in claim.items.all():
            assert item.unit.shipment.warranty_start <= item.defect_date <= today


def test_every_demo_claim_event_log_verifies(seeded):
    assert Claim.objects.count() == 6
    for claim in Claim.objects.all():
        assert verify_claim(claim) is None


def test_running_twice_creates_no_further_claims_or_events(seeded):
    claims = list(Claim.objects.order_by("pk").values_list("pk", "status", "event_count"))
    events = list(ClaimEvent.objects.order_by("pk").values_list("pk", "hash"))

    output = seed()

    assert list(Claim.objects.order_by("pk").values_list("pk", "status", "event_count")) == claims
    assert list(ClaimEvent.objects.order_by("pk").values_list("pk", "hash")) == events
    assert "6 claims (0 new)" in output
