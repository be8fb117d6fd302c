"""D2 fee schedule per currency (effective-dated) and the one money format."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from claims import services
from claims.models import Charge, FeeSchedule
from rma_portal.exceptions import ValidationFailed
from rma_portal.money import Money, money
from tests.factories import ClaimItemFactory, UnitFactory, UserFactory, submitted_claim

pytestmark = pytest.mark.django_db

TAMPERED = {"findings": ["tampered"], "outcome": "not_covered", "reason": "W5: seal broken."}


def received(staff, currency):
    claim = submitted_claim(items=0)
    item = ClaimItemFactory(
        claim=claim, unit=UnitFactory(shipment__buyer=claim.organisation, currency=currency)
    )
    services.authorize_return(actor=staff, claim=claim)
    services.receive(
        actor=staff,
        claim=claim,
        original_packaging=True,
        bills_of_purchase=True,
        rma_on_documents=True,
    )
    return claim, item


def test_d2_the_seeded_schedules_are_realistic_per_currency():
    seeded = {s.currency: s.lines() for s in FeeSchedule.objects.all()}
    assert seeded["USD"] == {
        "verification": Decimal("50.00"),
        "transport": Decimal("30.00"),
        "shipment": Decimal("30.00"),
    }
    assert seeded["EUR"]["verification"] == Decimal("45.00")
    # Not 50 won (about 3 US cents): whole won at a realistic level.
    assert seeded["KRW"] == {
        "verification": Decimal("65000"),
        "transport": Decimal("40000"),
        "shipment": Decimal("40000"),
    }


def test_d2_a_krw_item_with_blank_lines_gets_the_krw_schedule(staff):
    claim, item = received(staff, "KRW")

    services.inspect(actor=staff, claim=claim, results={item.pk: TAMPERED})

    charge = Charge.objects.get(item=item)
    assert (charge.total, charge.currency) == (Decimal("145000"), "KRW")


def test_d2_the_schedule_in_force_today_is_used_not_a_future_one(staff):
    FeeSchedule.objects.create(
        currency="KRW",
        effective_from=datetime.date(2999, 1, 1),
        verification=Decimal("1"),
        transport=Decimal("1"),
        shipment=Decimal("1"),
    )
    claim, item = received(staff, "KRW")

    services.inspect(actor=staff, claim=claim, results={item.pk: TAMPERED})

    assert Charge.objects.get(item=item).verification == Decimal("65000")


def test_d2_a_currency_without_a_schedule_needs_every_amount_entered(staff):
    claim, item = received(staff, "JPY")

    with pytest.raises(ValidationFailed) as refused:
        services.inspect(actor=staff, claim=claim, results={item.pk: TAMPERED})

    message = " ".join(refused.value.errors[f"results.{item.pk}.charge"])
    assert "no D2 fee schedule for JPY" in message
    assert not Charge.objects.filter(item=item).exists()

    lines = {"verification": "8000", "transport": "3000", "shipment": "3000"}
    services.inspect(actor=staff, claim=claim, results={item.pk: {**TAMPERED, "charge": lines}})
    assert Charge.objects.get(item=item).total == Decimal("14000")


def test_d2_a_won_amount_with_decimals_is_a_field_error(staff):
    claim, item = received(staff, "KRW")
    lines = {"verification": "65000.50", "transport": "0", "shipment": "0"}

    with pytest.raises(ValidationFailed) as refused:
        services.inspect(actor=staff, claim=claim, results={item.pk: {**TAMPERED, "charge": lines}})

    assert "KRW has no decimals" in " ".join(
        refused.value.errors[f"results.{item.pk}.charge.verification"]
    )


def test_money_is_formatted_per_language_and_currency():
    assert money(Decimal("1234.5"), "usd", "en") == "1,234.50 USD"
    assert money(Decimal("145000.00"), "KRW", "en") == "145,000 KRW"
    assert money(Decimal("145000.00"), "KRW", "ko") == "145,000원"
    assert money(Decimal("14000"), "JPY", "ko") == "14,000 JPY"
    assert Money(Decimal("110"), "EUR").as_dict() == {"amount": "110.00", "currency": "EUR"}


def test_sales_staff_edit_fee_schedules_in_the_admin_and_the_inspect_form_shows_the_currency(
    client, staff
):
    clerk = UserFactory(organisation=None, is_staff=True, language="en")
    clerk.groups.add(Group.objects.get(name="Sales staff"))
    client.force_login(clerk)
    schedule = FeeSchedule.objects.get(currency="KRW")
    url = reverse("admin:claims_feeschedule_change", args=[schedule.pk])
    assert client.get(url).status_code == 200
    added = client.post(
        reverse("admin:claims_feeschedule_add"),
        {
            "currency": "jpy",
            "effective_from": "2026-01-01",
            "verification": "8000",
            "transport": "3000",
            "shipment": "3000",
        },
    )
    assert added.status_code == 302, added.text[:2000]
    assert FeeSchedule.objects.filter(currency="JPY").exists()
    refused = client.post(
        reverse("admin:claims_feeschedule_add"),
        {
            "currency": "KRW",
            "effective_from": "2026-02-01",
            "verification": "65000.50",
            "transport": "0",
            "shipment": "0",
        },
    )
    assert refused.status_code == 200 and "KRW has no decimals" in refused.text

    claim, item = received(staff, "KRW")
    page = client.get(reverse("admin:claims_claim_act", args=[claim.pk, "inspect"]))
    assert page.status_code == 200
    assert "Default 65,000 KRW" in page.text
    assert "Default 50.00" not in page.text
