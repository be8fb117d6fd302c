"""Giving the notice: `services.submit` (N1-N5) and staff's N1 exception."""

import datetime
import io
import re
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone, translation
from pypdf import PdfWriter

from claims import services
from claims.actors import Actor
from claims.models import Claim, ClaimEvent, DefectReason, NumberSequence
from rma_portal.exceptions import Forbidden, InvalidState, NotFound, ValidationFailed
from tests.factories import (
    NOW,
    PNG,
    OrganisationFactory,
    ShipmentFactory,
    UnitFactory,
    UserFactory,
    item_for,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now", "policy", "media")]


def _pdf() -> bytes:
    """A real one-page PDF (uploads are parsed since issue 13)."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = _pdf()


def make_unit(org, model, serial):
    shipment = ShipmentFactory(
        buyer=org,
        pi_number=f"PI-{serial}",
        po_number=f"PO-{serial}",
        shipment_date=datetime.date(2026, 5, 4),
        delivery_date=datetime.date(2026, 5, 11),
    )
    return UnitFactory(serial_number=serial, shipment=shipment, product_model=model)


@pytest.fixture
def unit(org, model):
    return make_unit(org, model, "SN-1")


@pytest.fixture
def draft(buyer, unit):
    return services.create_draft(actor=buyer, items=[item_for(unit)])


def errors_of(call):
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.errors


def test_submission_assigns_an_rma_number_at_once_n2(buyer, draft):
    services.submit(actor=buyer, claim=draft)

    assert draft.status == "submitted"
    assert draft.rma_number == "RMA-2026-000001"


def test_rma_numbers_follow_each_other_and_are_never_reused_n2(buyer, draft, org, model):
    other = services.create_draft(actor=buyer, items=[item_for(make_unit(org, model, "SN-2"))])

    services.submit(actor=buyer, claim=draft)
    services.submit(actor=buyer, claim=other)

    assert (draft.rma_number, other.rma_number) == ("RMA-2026-000001", "RMA-2026-000002")


def test_the_notice_is_the_submission_time_and_the_hold_runs_30_days_n1_n4(buyer, draft):
    services.submit(actor=buyer, claim=draft)

    assert draft.notice_at == NOW
    assert draft.hold_until == datetime.date(2026, 12, 25)


def test_the_rma_year_notice_date_and_hold_follow_seouls_calendar_n1_n2_n4(
    buyer, draft, monkeypatch
):
    # 31 Dec 2026 15:30 UTC is 1 Jan 2027 00:30 in Seoul.
    moment = datetime.datetime(2026, 12, 31, 15, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)

    services.submit(actor=buyer, claim=draft)

    assert re.fullmatch(r"RMA-\d{4}-\d{6}", draft.rma_number)
    assert draft.rma_number == "RMA-2027-000001"
    assert draft.hold_until == datetime.date(2027, 1, 31)
    assert draft.items.get().verdict["en"]["notice_date"] == "2027-01-01"


def test_each_item_gets_its_preliminary_verdict_in_both_languages_n5(buyer, draft):
    services.submit(actor=buyer, claim=draft)

    item = draft.items.get()
    assert item.verdict_status == "covered"
    assert item.verdict_final is False
    assert item.notice_late is False
    for lang in ("en", "ko"):
        answer = item.verdict[lang]
        assert answer["preliminary"] is True
        assert answer["status"] == "covered"
        assert answer["notice_date"] == "2026-11-25"
        assert answer["notice_deadline"] == "2026-11-30"
        assert answer["policy_version"] == "CPRO-LW-1"
    assert "Notice was given on 2026-11-25, in time" in str(item.verdict["en"]["reasons"])


def test_the_submission_event_records_number_hold_verdicts_and_mismatches(buyer, draft):
    services.submit(actor=buyer, claim=draft)

    event = draft.events.order_by("seq").last()
    assert event.kind == "submit"
    assert (event.from_status, event.to_status) == ("draft", "submitted")
    assert event.data["rma_number"] == draft.rma_number
    assert event.data["hold_until"] == "2026-12-25"
    assert event.data["items"] == [
        {
            "item": draft.items.get().pk,
            "serial_number": "SN-1",
            "verdict_status": "covered",
            "notice_late": False,
            "mismatches": [],
        }
    ]


def test_a_late_notice_is_preliminarily_not_covered_n1(buyer, unit):
    # Discovered 10 Nov: the deadline was 18 Nov; notice on 25 Nov is late.
    claim = services.create_draft(actor=buyer, items=[item_for(unit, defect_date="2026-11-10")])

    services.submit(actor=buyer, claim=claim)

    item = claim.items.get()
    assert item.verdict_status == "not_covered"
    assert item.notice_late is True
    assert "N1" in item.verdict["en"]["clauses"]
    assert "after the deadline of 2026-11-18" in str(item.verdict["en"]["reasons"])
    assert claim.rma_number is not None  # late is judged, not refused (N5: preliminary)


def test_notice_on_the_deadline_day_is_in_time_n1(buyer, unit):
    claim = services.create_draft(actor=buyer, items=[item_for(unit, defect_date="2026-11-17")])

    services.submit(actor=buyer, claim=claim)

    assert claim.items.get().verdict_status == "covered"


# --- N3: the five fields ------------------------------------------------------------------------


def test_missing_n3_fields_are_reported_per_item_and_nothing_changes_n3(buyer, unit, org, model):
    unit2 = make_unit(org, model, "SN-2")
    claim = services.create_draft(
        actor=buyer,
        items=[
            {"serial_number": "SN-1", "defect_kind": "manifest", "defect_date": "2026-11-24"},
            item_for(unit2, po_number="", defect_details="  "),
        ],
    )
    events_before = claim.event_count

    errors = errors_of(lambda: services.submit(actor=buyer, claim=claim))

    assert set(errors) == {
        "items.0.model_code",
        "items.0.shipment_date",
        "items.0.po_number",
        "items.0.pi_number",
        "items.0.defect_details",
        "items.1.po_number",
        "items.1.defect_details",
    }
    assert "required to obtain an RMA number (N3)" in errors["items.0.pi_number"][0]
    claim.refresh_from_db()
    assert claim.status == "draft"
    assert claim.rma_number is None
    assert claim.notice_at is None
    assert claim.event_count == events_before
    assert not NumberSequence.objects.filter(kind="RMA", last__gt=0).exists()
    assert all(item.mismatches == [] for item in claim.items.all())


def test_each_missing_n3_field_is_asked_for_in_a_whole_sentence_in_en_and_ko_n3(
    buyer, unit, org, model
):
    """Issue 14: "The details of the defect are required", not "… is required"; and each
    field its own sentence in Korean, not a label spliced into one template."""
    claim = services.create_draft(
        actor=buyer,
        items=[{"serial_number": "SN-1", "defect_kind": "manifest", "defect_date": "2026-11-24"}],
    )

    errors = errors_of(lambda: services.submit(actor=buyer, claim=claim))
    with translation.override("ko"):
        errors_ko = errors_of(lambda: services.submit(actor=buyer, claim=claim))

    assert errors["items.0.defect_details"] == [
        "The details of the defect are required to obtain an RMA number (N3)."
    ]
    assert errors["items.0.shipment_date"] == [
        "The date of shipment is required to obtain an RMA number (N3)."
    ]
    assert errors_ko["items.0.defect_details"] == [
        "RMA 번호를 받으려면 하자 상세 내용을 입력해야 합니다(N3)."
    ]
    assert errors_ko["items.0.pi_number"] == [
        "RMA 번호를 받으려면 CPRO PI 번호를 입력해야 합니다(N3)."
    ]


def test_mismatches_with_cpros_records_are_flagged_not_refused_n3(buyer, unit):
    claim = services.create_draft(
        actor=buyer,
        items=[
            item_for(
                unit,
                model_code="PTZ-300",
                shipment_date="2026-05-05",
                po_number="PO-WRONG",
                pi_number="PI-WRONG",
            )
        ],
    )

    services.submit(actor=buyer, claim=claim)

    assert claim.status == "submitted"
    assert claim.items.get().mismatches == [
        {"field": "model_code", "given": "PTZ-300", "recorded": "PTZ-200"},
        {"field": "shipment_date", "given": "2026-05-05", "recorded": "2026-05-04"},
        {"field": "po_number", "given": "PO-WRONG", "recorded": "PO-SN-1"},
        {"field": "pi_number", "given": "PI-WRONG", "recorded": "PI-SN-1"},
    ]
    assert claim.events.order_by("seq").last().data["items"][0]["mismatches"][0]["field"] == (
        "model_code"
    )


def test_letter_case_is_not_a_mismatch_n3(buyer, unit):
    claim = services.create_draft(
        actor=buyer, items=[item_for(unit, model_code="ptz-200", po_number="po-sn-1")]
    )

    services.submit(actor=buyer, claim=claim)

    assert claim.items.get().mismatches == []


def test_dates_are_checked_again_at_submission(buyer, draft, unit):
    # The shipment records were corrected after the draft: delivery came after the discovery.
    type(unit.shipment).objects.filter(pk=unit.shipment_id).update(
        delivery_date=datetime.date(2026, 11, 23)
    )

    errors = errors_of(lambda: services.submit(actor=buyer, claim=draft))

    assert "before the delivery date" in errors["items.0.defect_date"][0]
    assert Claim.objects.get(pk=draft.pk).status == "draft"


# --- Evidence (N5) ------------------------------------------------------------------------------


@pytest.fixture
def photo_draft(buyer, unit):
    DefectReason.objects.get_or_create(
        code="physical_damage",
        defaults={"name_en": "Physical damage", "name_ko": "물리적 파손", "photo_required": True},
    )
    return services.create_draft(actor=buyer, items=[item_for(unit, reason="physical_damage")])


def test_a_reason_that_requires_a_photo_blocks_submission_without_one_n5(buyer, photo_draft):
    errors = errors_of(lambda: services.submit(actor=buyer, claim=photo_draft))

    assert list(errors) == ["items.0.attachments"]
    assert "Physical damage" in errors["items.0.attachments"][0]
    assert Claim.objects.get(pk=photo_draft.pk).rma_number is None


def test_a_pdf_is_not_a_photo_n5(buyer, photo_draft):
    item = photo_draft.items.get()
    services.add_attachment(
        actor=buyer, claim=photo_draft, item=item, upload=SimpleUploadedFile("r.pdf", PDF)
    )

    errors = errors_of(lambda: services.submit(actor=buyer, claim=photo_draft))

    assert list(errors) == ["items.0.attachments"]


def test_a_photo_on_another_item_or_on_the_claim_does_not_count_n5(buyer, photo_draft):
    services.add_attachment(actor=buyer, claim=photo_draft, upload=SimpleUploadedFile("p.png", PNG))

    errors = errors_of(lambda: services.submit(actor=buyer, claim=photo_draft))

    assert list(errors) == ["items.0.attachments"]


def test_a_photo_attached_to_the_draft_item_allows_submission_n5(buyer, photo_draft):
    item = photo_draft.items.get()
    services.add_attachment(
        actor=buyer, claim=photo_draft, item=item, upload=SimpleUploadedFile("p.png", PNG)
    )

    services.submit(actor=buyer, claim=photo_draft)

    assert photo_draft.status == "submitted"


# --- Who may submit -----------------------------------------------------------------------------


def test_a_unit_in_an_open_claim_cannot_be_submitted_again_until_that_claim_ends(
    buyer, draft, unit
):
    services.submit(actor=buyer, claim=draft)
    second = services.create_draft(actor=buyer, items=[item_for(unit)])

    errors = errors_of(lambda: services.submit(actor=buyer, claim=second))

    draft.refresh_from_db()
    assert errors == {
        "items.0.serial_number": [
            f"Unit {unit.serial_number} is already in open claim {draft.rma_number}: "
            "follow it there."
        ]
    }
    second.refresh_from_db()
    assert (second.status, second.rma_number) == ("draft", None)
    services.cancel(actor=buyer, claim=draft)
    assert services.submit(actor=buyer, claim=second).status == "submitted"


def test_a_claim_is_submitted_once(buyer, draft):
    services.submit(actor=buyer, claim=draft)

    with pytest.raises(InvalidState):
        services.submit(actor=buyer, claim=draft)

    assert draft.rma_number == "RMA-2026-000001"
    assert NumberSequence.objects.get(kind="RMA").last == 1


def test_another_organisation_cannot_submit_a_claim(draft):
    stranger = Actor.buyer(UserFactory(organisation=OrganisationFactory(code="rival")))

    with pytest.raises(NotFound):
        services.submit(actor=stranger, claim=draft)


def test_staff_do_not_give_notice_for_the_buyer(draft, staff):
    with pytest.raises(Forbidden):
        services.submit(actor=staff, claim=draft)

    assert Claim.objects.get(pk=draft.pk).status == "draft"


# --- N1 exception -------------------------------------------------------------------------------


@pytest.fixture
def late_claim(buyer, unit):
    claim = services.create_draft(actor=buyer, items=[item_for(unit, defect_date="2026-11-10")])
    return services.submit(actor=buyer, claim=claim)


def test_staff_may_accept_a_late_notice_with_a_reason_n1(late_claim, staff):
    item = late_claim.items.get()

    services.grant_notice_exception(
        actor=staff, item=item, reason="Buyer reported by phone on 12 Nov."
    )

    assert item.verdict_status == "covered"
    assert item.notice_late is True
    assert item.notice_exception == "Buyer reported by phone on 12 Nov."
    reasons = str(item.verdict["en"]["reasons"])
    assert "accepted the late notice: Buyer reported by phone on 12 Nov." in reasons
    assert item.verdict["en"]["preliminary"] is True
    event = late_claim.events.order_by("seq").last()
    assert event.kind == "grant_notice_exception"
    assert event.data["verdict_before"] == "not_covered"
    assert event.data["verdict_status"] == "covered"


def test_a_notice_exception_needs_a_reason_n1(late_claim, staff):
    item = late_claim.items.get()

    errors = errors_of(
        lambda: services.grant_notice_exception(actor=staff, item=item, reason="   ")
    )

    assert list(errors) == ["reason"]
    item.refresh_from_db()
    assert item.verdict_status == "not_covered"


def test_buyers_cannot_excuse_their_own_late_notice_n1(late_claim, buyer):
    with pytest.raises(Forbidden):
        services.grant_notice_exception(actor=buyer, item=late_claim.items.get(), reason="please")


def test_an_in_time_notice_needs_no_exception_n1(buyer, draft, staff):
    services.submit(actor=buyer, claim=draft)

    errors = errors_of(
        lambda: services.grant_notice_exception(actor=staff, item=draft.items.get(), reason="x")
    )

    assert list(errors) == ["item"]


# --- Concurrency (N2) ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_get_distinct_contiguous_rma_numbers_n2(buyer, org, model):
    drafts = [
        services.create_draft(actor=buyer, items=[item_for(make_unit(org, model, f"SN-C{n}"))])
        for n in range(24)
    ]
    start = threading.Barrier(len(drafts))
    numbers: list[str] = []
    failures: list[BaseException] = []

    def submit(claim_id):
        try:
            start.wait(timeout=30)
            claim = services.submit(actor=buyer, claim=Claim.objects.get(pk=claim_id))
            numbers.append(claim.rma_number)
        except BaseException as exc:  # reported below, with the thread's error
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(d.pk,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert len(numbers) == 24
    assert len(set(numbers)) == 24
    serials = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert serials == list(range(serials[0], serials[0] + 24))
    assert all(n.startswith("RMA-2026-") for n in numbers)
    assert Claim.objects.filter(status="submitted").count() == 24
    assert ClaimEvent.objects.filter(kind="submit").count() == 24
