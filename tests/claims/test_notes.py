"""Credit notes (D1) and debit notes (D2): amounts, numbers (gapless, issued once), waivers."""

import datetime
import itertools
import re
import threading
from decimal import Decimal

import pytest
from django.db import connection

from claims import services
from claims.actors import Actor
from claims.models import Charge, ClaimStatus, CreditNote, DebitNote, Document, NumberSequence
from rma_portal.exceptions import DomainError, Forbidden, InvalidState
from tests.factories import ClaimFactory, ClaimItemFactory, UnitFactory, UserFactory
from warranty.rules import SEOUL
from warranty.selectors import seoul_today

NOTICE = datetime.datetime(2025, 12, 3, 10, 0, tzinfo=SEOUL)
_rma = itertools.count(1)


def inspected_claim(**fields):
    return ClaimFactory(
        status=ClaimStatus.INSPECTED,
        rma_number=f"RMA-2025-{next(_rma):06d}",
        notice_at=NOTICE,
        **fields,
    )


def credit_item(claim=None, price="1234.50", currency="EUR"):
    claim = claim or inspected_claim()
    unit = UnitFactory(
        shipment__buyer=claim.organisation, unit_price=Decimal(price), currency=currency
    )
    return ClaimItemFactory(claim=claim, unit=unit, outcome="credit_note", verdict_final=True)


def charged_item(claim=None, lines=("50.00", "30.00", "20.00"), currency="USD"):
    claim = claim or inspected_claim()
    unit = UnitFactory(shipment__buyer=claim.organisation, currency=currency)
    item = ClaimItemFactory(
        claim=claim, unit=unit, outcome="not_covered", outcome_reason="W5", return_authorized=True
    )
    verification, transport, shipment = (Decimal(x) for x in lines)
    Charge.objects.create(
        item=item,
        verification=verification,
        transport=transport,
        shipment=shipment,
        currency=currency,
    )
    return item


def make_staff(name="clerk"):
    return Actor.staff(UserFactory(username=name, is_staff=True, organisation=None))


@pytest.fixture
def staff(db):
    return make_staff()


# --- D1: credit notes ------------------------------------------------------------------------


@pytest.mark.django_db
def test_d1_a_credit_note_is_for_the_units_invoiced_amount_and_currency(staff):
    item = credit_item(price="1234.50", currency="EUR")

    note = services.issue_credit_note(actor=staff, item=item)

    assert (note.amount, note.currency) == (Decimal("1234.50"), "EUR")
    assert (note.item, note.claim, note.issued_by) == (item, item.claim, staff.user)
    event = item.claim.events.get(kind="issue_credit_note")
    assert event.data == {
        "credit_note_id": note.pk,
        "number": note.number,
        "serial": item.serial_number,
        "amount": "1234.50",
        "currency": "EUR",
    }


@pytest.mark.django_db
def test_d1_issuing_a_credit_note_requests_its_document(staff):
    item = credit_item()

    note = services.issue_credit_note(actor=staff, item=item)

    (document,) = Document.objects.filter(claim=item.claim)
    assert (document.kind, document.credit_note, document.status) == (
        "credit_note",
        note,
        "pending",
    )


@pytest.mark.django_db
def test_d2_issuing_a_debit_note_requests_its_document(staff):
    item = charged_item()

    note = services.issue_debit_note(actor=staff, claim=item.claim)

    (document,) = Document.objects.filter(claim=item.claim)
    assert (document.kind, document.debit_note, document.status) == ("debit_note", note, "pending")


@pytest.mark.django_db
def test_credit_notes_are_numbered_cn_year_and_five_digits_in_sequence(staff):
    year = seoul_today().year

    numbers = [services.issue_credit_note(actor=staff, item=credit_item()).number for _ in range(3)]

    assert numbers == [f"CN-{year}-00001", f"CN-{year}-00002", f"CN-{year}-00003"]
    assert all(re.fullmatch(r"CN-\d{4}-\d{5}", n) for n in numbers)


@pytest.mark.django_db
def test_d1_a_credit_note_is_issued_once_per_item(staff):
    item = credit_item()
    first = services.issue_credit_note(actor=staff, item=item)
    claim = item.claim
    claim.refresh_from_db()
    events = claim.event_count

    with pytest.raises(InvalidState, match=f"{first.number} was already issued"):
        services.issue_credit_note(actor=staff, item=item)

    claim.refresh_from_db()
    assert CreditNote.objects.filter(item=item).count() == 1
    assert claim.event_count == events
    assert NumberSequence.objects.get(kind="CN").last == 1  # the refused act took no number


@pytest.mark.django_db
def test_d1_no_credit_note_for_an_item_decided_otherwise(staff):
    item = charged_item()

    with pytest.raises(InvalidState, match="not decided for a credit note"):
        services.issue_credit_note(actor=staff, item=item)

    assert not CreditNote.objects.exists()
    assert not NumberSequence.objects.filter(kind="CN").exists()


@pytest.mark.django_db
def test_d1_no_credit_note_before_inspection(staff):
    claim = inspected_claim()
    item = credit_item(claim)
    claim.status = ClaimStatus.RECEIVED
    claim.save()

    with pytest.raises(InvalidState):
        services.issue_credit_note(actor=staff, item=item)


@pytest.mark.django_db
def test_a_buyer_cannot_issue_a_credit_note():
    item = credit_item()

    with pytest.raises(Forbidden):
        services.issue_credit_note(actor=Actor.buyer(item.claim.author), item=item)

    assert not CreditNote.objects.exists()


# --- D2: charges, waivers and debit notes ----------------------------------------------------


@pytest.mark.django_db
def test_d2_a_debit_note_bills_every_unwaived_charge_of_the_claim(staff):
    claim = inspected_claim()
    first = charged_item(claim, lines=("50.00", "30.00", "20.00"))
    second = charged_item(claim, lines=("10.00", "0", "5.25"))
    waived = charged_item(claim, lines=("99.00", "0", "0"))
    services.waive_charge(actor=staff, item=waived, reason="Goodwill for a long-standing buyer.")

    note = services.issue_debit_note(actor=staff, claim=claim)

    assert re.fullmatch(rf"DN-{seoul_today().year}-00001", note.number)
    assert (note.total, note.currency, note.issued_by) == (Decimal("115.25"), "USD", staff.user)
    assert set(note.charges.values_list("item", flat=True)) == {first.pk, second.pk}
    assert Charge.objects.get(item=waived).debit_note is None
    event = claim.events.get(kind="issue_debit_note")
    assert event.data == {
        "debit_note_id": note.pk,
        "number": note.number,
        "total": "115.25",
        "currency": "USD",
        "serials": [first.serial_number, second.serial_number],
    }


@pytest.mark.django_db
def test_d2_billed_charges_are_not_billed_twice(staff):
    claim = inspected_claim()
    charged_item(claim)
    services.issue_debit_note(actor=staff, claim=claim)

    with pytest.raises(InvalidState, match="no unbilled D2 charges"):
        services.issue_debit_note(actor=staff, claim=claim)

    assert DebitNote.objects.count() == 1
    assert NumberSequence.objects.get(kind="DN").last == 1


@pytest.mark.django_db
def test_d2_nothing_to_bill_is_refused(staff):
    claim = credit_item().claim

    with pytest.raises(InvalidState, match="no unbilled D2 charges"):
        services.issue_debit_note(actor=staff, claim=claim)


@pytest.mark.django_db
def test_d2_charges_in_different_currencies_are_not_billed_together(staff):
    claim = inspected_claim()
    charged_item(claim, currency="USD")
    charged_item(claim, currency="EUR")
    claim.refresh_from_db()
    events = claim.event_count

    with pytest.raises(DomainError, match="different currencies"):
        services.issue_debit_note(actor=staff, claim=claim)

    claim.refresh_from_db()
    assert claim.event_count == events
    assert not DebitNote.objects.exists()
    assert not Charge.objects.filter(debit_note__isnull=False).exists()


@pytest.mark.django_db
def test_d2_a_waiver_needs_a_reason(staff):
    item = charged_item()

    with pytest.raises(DomainError) as exc:
        services.waive_charge(actor=staff, item=item, reason="  ")

    assert exc.value.field == "reason"
    assert Charge.objects.get(item=item).waived is False


@pytest.mark.django_db
def test_d2_a_waiver_is_recorded_with_its_reason(staff):
    item = charged_item()

    charge = services.waive_charge(actor=staff, item=item, reason=" Our courier damaged it. ")

    assert (charge.waived, charge.waive_reason) == (True, "Our courier damaged it.")
    event = item.claim.events.get(kind="waive_charge")
    assert event.data["reason"] == "Our courier damaged it."
    assert event.data["total"] == "100.00"


@pytest.mark.django_db
def test_d2_a_billed_charge_cannot_be_waived_or_changed(staff):
    item = charged_item()
    note = services.issue_debit_note(actor=staff, claim=item.claim)

    with pytest.raises(InvalidState, match=note.number):
        services.waive_charge(actor=staff, item=item, reason="Too late.")
    with pytest.raises(InvalidState, match="already billed"):
        services.set_charge(actor=staff, item=item, verification=1, transport=1, shipment=1)

    charge = Charge.objects.get(item=item)
    assert (charge.waived, charge.total) == (False, Decimal("100.00"))


@pytest.mark.django_db
def test_d2_staff_adjust_a_charge_before_billing(staff):
    item = charged_item()

    services.set_charge(
        actor=staff, item=item, verification="40.00", transport=Decimal("12.5"), shipment=0
    )
    note = services.issue_debit_note(actor=staff, claim=item.claim)

    assert note.total == Decimal("52.50")
    event = item.claim.events.get(kind="charge")
    assert event.data["before"]["total"] == "100.00"
    assert event.data["charge"]["total"] == "52.50"


@pytest.mark.django_db
def test_d2_an_adjusted_charge_cannot_be_negative_or_zero(staff):
    item = charged_item()

    with pytest.raises(DomainError, match="cannot be negative"):
        services.set_charge(actor=staff, item=item, verification=-5, transport=0, shipment=0)
    with pytest.raises(DomainError, match="waive it with a reason"):
        services.set_charge(actor=staff, item=item, verification=0, transport=0, shipment=0)

    assert Charge.objects.get(item=item).total == Decimal("100.00")


@pytest.mark.django_db
def test_d2_an_item_without_a_charge_cannot_be_charged(staff):
    item = credit_item()

    with pytest.raises(InvalidState, match="no D2 charge"):
        services.set_charge(actor=staff, item=item, verification=1, transport=1, shipment=1)


# --- Numbers under concurrency (SPEC "Numbers": gapless per year, issued once) ---------------


def _run_in_threads(jobs):
    """Run each job in its own thread (own DB connection), all released at once."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [], []

    def worker(job):
        try:
            barrier.wait(timeout=30)
            results.append(job())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_credit_and_debit_notes_get_unique_gapless_numbers():
    NumberSequence.objects.all().delete()
    staff = make_staff()
    credit_items = [credit_item() for _ in range(20)]
    debit_claims = [charged_item().claim for _ in range(20)]
    jobs = [
        (lambda item=item: services.issue_credit_note(actor=staff, item=item).number)
        for item in credit_items
    ] + [
        (lambda claim=claim: services.issue_debit_note(actor=staff, claim=claim).number)
        for claim in debit_claims
    ]

    numbers, errors = _run_in_threads(jobs)

    assert errors == []
    year = seoul_today().year
    cn = sorted(n for n in numbers if n.startswith("CN-"))
    dn = sorted(n for n in numbers if n.startswith("DN-"))
    assert cn == [f"CN-{year}-{n:05d}" for n in range(1, 21)]
    assert dn == [f"DN-{year}-{n:05d}" for n in range(1, 21)]
    assert sorted(CreditNote.objects.values_list("number", flat=True)) == cn
    assert sorted(DebitNote.objects.values_list("number", flat=True)) == dn


@pytest.mark.django_db(transaction=True)
def test_concurrent_attempts_on_one_item_issue_one_credit_note():
    NumberSequence.objects.all().delete()
    staff = make_staff()
    item = credit_item()

    numbers, errors = _run_in_threads(
        [lambda: services.issue_credit_note(actor=staff, item=item).number] * 8
    )

    assert numbers == [f"CN-{seoul_today().year}-00001"]
    assert len(errors) == 7 and all(isinstance(e, InvalidState) for e in errors)
    assert NumberSequence.objects.get(kind="CN").last == 1
