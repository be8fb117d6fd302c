"""Draft claims: `services.create_draft` and `update_draft` (SPEC "Claim lifecycle": draft)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from accounts.services import create_api_key
from claims import services
from claims.actors import Actor
from claims.models import Attachment, Claim, ClaimEvent, ClaimItem, DefectReason
from rma_portal.exceptions import Forbidden, InvalidState, NotFound, ValidationFailed
from tests.factories import (
    PNG,
    ComponentFactory,
    OrganisationFactory,
    ShipmentFactory,
    UnitFactory,
    UserFactory,
    item_for,
)
from warranty.models import ComponentKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now", "policy", "media")]

TODAY = datetime.date(2026, 11, 25)


@pytest.fixture
def model(model):
    # The shared PTZ-200, with a third-party part as well (W2).
    ComponentFactory(product_model=model, name="fan", kind=ComponentKind.THIRD_PARTY)
    return model


def make_unit(org, model, serial, *, delivery=datetime.date(2026, 5, 11)):
    shipment = ShipmentFactory(
        buyer=org, shipment_date=datetime.date(2026, 5, 4), delivery_date=delivery
    )
    return UnitFactory(serial_number=serial, shipment=shipment, product_model=model)


@pytest.fixture
def unit(org, model):
    return make_unit(org, model, "SN-1")


@pytest.fixture
def unit2(org, model):
    return make_unit(org, model, "SN-2")


def errors_of(call):
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.errors


def test_a_draft_has_no_rma_number_and_no_notice_yet_n1_n2(buyer, unit):
    claim = services.create_draft(actor=buyer, items=[item_for(unit)], buyer_reference="Q-17")

    assert claim.status == "draft"
    assert claim.rma_number is None
    assert claim.notice_at is None
    assert claim.hold_until is None
    assert claim.buyer_reference == "Q-17"
    assert claim.organisation == buyer.organisation
    assert claim.author == buyer.user


def test_a_draft_stores_the_items_as_given(buyer, unit):
    claim = services.create_draft(
        actor=buyer,
        items=[item_for(unit, component="mainboard", reason="no_image", po_number=" PO-X ")],
    )

    item = claim.items.get()
    assert item.unit == unit
    assert item.serial_number == "SN-1"
    assert item.po_number == "PO-X"
    assert item.defect_date == datetime.date(2026, 11, 22)
    assert item.shipment_date == datetime.date(2026, 5, 4)
    assert item.component.name == "mainboard"
    assert item.defect_reason.code == "no_image"


def test_each_draft_item_carries_a_preliminary_verdict_as_of_today_n5(buyer, unit):
    claim = services.create_draft(actor=buyer, items=[item_for(unit)])

    item = claim.items.get()
    assert item.verdict_status == "covered"
    assert item.verdict_final is False
    assert item.verdict["en"]["preliminary"] is True
    assert item.verdict["en"]["notice_deadline"] == "2026-11-30"
    assert item.verdict["ko"]["reasons"][0]["text"] != item.verdict["en"]["reasons"][0]["text"]


def test_a_draft_whose_n1_deadline_has_passed_says_so(buyer, unit):
    claim = services.create_draft(actor=buyer, items=[item_for(unit, defect_date="2026-11-10")])

    item = claim.items.get()
    assert item.notice_late is True
    assert item.verdict_status == "not_covered"
    assert "N1" in item.verdict["en"]["clauses"]


def test_a_third_party_component_is_preliminarily_not_covered_w2(buyer, unit):
    claim = services.create_draft(actor=buyer, items=[item_for(unit, component="fan")])

    item = claim.items.get()
    assert item.verdict_status == "not_covered"
    assert "W2" in item.verdict["en"]["clauses"]


def test_the_creation_is_the_first_event_of_the_claim(buyer, unit):
    claim = services.create_draft(actor=buyer, items=[item_for(unit)])

    event = ClaimEvent.objects.get(claim=claim)
    assert event.seq == 1
    assert event.kind == "edit_draft"
    assert event.data["created"] is True
    assert event.data["items"][0]["serial_number"] == "SN-1"
    assert event.actor == buyer.user
    assert event.to_status == "draft"
    assert claim.event_count == 1


def test_a_draft_may_leave_the_n3_fields_blank_until_submission(buyer, unit):
    bare = {"serial_number": "SN-1", "defect_kind": "manifest", "defect_date": "2026-11-24"}

    claim = services.create_draft(actor=buyer, items=[bare])

    item = claim.items.get()
    assert (item.model_code, item.po_number, item.pi_number, item.defect_details) == ("",) * 4
    assert item.shipment_date is None


def test_dates_may_be_date_objects(buyer, unit):
    claim = services.create_draft(
        actor=buyer,
        items=[
            item_for(
                unit,
                defect_date=datetime.date(2026, 11, 20),
                shipment_date=datetime.date(2026, 5, 4),
            )
        ],
    )

    assert claim.items.get().defect_date == datetime.date(2026, 11, 20)


def test_a_partners_api_key_creates_drafts_for_its_organisation(org, unit):
    key, _raw = create_api_key(organisation=org, label="erp")

    claim = services.create_draft(actor=Actor.partner(key), items=[item_for(unit)])

    assert claim.organisation == org
    assert claim.author is None
    assert claim.api_key == key
    assert claim.events.get().channel == "api"


def test_an_unknown_serial_and_another_organisations_serial_read_the_same(buyer, model):
    other = OrganisationFactory(code="rival")
    make_unit(other, model, "SN-RIVAL")

    unknown = errors_of(
        lambda: services.create_draft(
            actor=buyer, items=[{"serial_number": "SN-NOPE", "defect_kind": "hidden"}]
        )
    )
    foreign = errors_of(
        lambda: services.create_draft(
            actor=buyer, items=[{"serial_number": "SN-RIVAL", "defect_kind": "hidden"}]
        )
    )

    assert [m.replace("SN-NOPE", "SN-X") for m in unknown["items.0.serial_number"]] == [
        m.replace("SN-RIVAL", "SN-X") for m in foreign["items.0.serial_number"]
    ]
    assert "in your organisation" in foreign["items.0.serial_number"][0]
    assert Claim.objects.count() == 0


def test_all_item_errors_come_back_together_and_nothing_is_saved(buyer, unit, unit2):
    errors = errors_of(
        lambda: services.create_draft(
            actor=buyer,
            items=[
                item_for(unit),  # good
                item_for(unit2, defect_kind="visible", defect_date="2026-13-01"),
                {"serial_number": "", "defect_kind": "hidden", "defect_date": "2026-11-20"},
            ],
        )
    )

    assert set(errors) == {
        "items.1.defect_kind",
        "items.1.defect_date",
        "items.2.serial_number",
    }
    assert "manifest" in errors["items.1.defect_kind"][0]
    assert "YYYY-MM-DD" in errors["items.1.defect_date"][0]
    assert Claim.objects.count() == 0
    assert ClaimItem.objects.count() == 0
    assert ClaimEvent.objects.count() == 0


def test_a_claim_needs_at_least_one_item(buyer):
    errors = errors_of(lambda: services.create_draft(actor=buyer, items=[]))

    assert list(errors) == ["items"]
    assert Claim.objects.count() == 0


def test_the_same_unit_twice_in_one_claim_is_refused(buyer, unit):
    errors = errors_of(
        lambda: services.create_draft(
            actor=buyer, items=[item_for(unit), item_for(unit, serial_number=" sn-1 ".upper())]
        )
    )

    assert errors == {"items.1.serial_number": ["This unit is already item 1 of this claim."]}


def test_a_defect_date_in_the_future_is_refused(buyer, unit):
    errors = errors_of(
        lambda: services.create_draft(actor=buyer, items=[item_for(unit, defect_date="2026-11-26")])
    )

    assert "future" in errors["items.0.defect_date"][0]


def test_today_in_seoul_is_not_the_future_even_when_it_is_yesterday_in_utc(
    buyer, unit, monkeypatch
):
    # 2026-11-25 23:30 UTC is 2026-11-26 08:30 in Seoul, CPRO's calendar (N1).
    monkeypatch.setattr(
        timezone, "now", lambda: datetime.datetime(2026, 11, 25, 23, 30, tzinfo=datetime.UTC)
    )

    claim = services.create_draft(actor=buyer, items=[item_for(unit, defect_date="2026-11-26")])

    assert claim.items.get().defect_date == datetime.date(2026, 11, 26)


def test_a_discovery_before_delivery_is_refused_w1(buyer, unit):
    errors = errors_of(
        lambda: services.create_draft(actor=buyer, items=[item_for(unit, defect_date="2026-05-10")])
    )

    assert "before the delivery date" in errors["items.0.defect_date"][0]


def test_without_a_delivery_date_a_defect_before_shipment_is_refused_w1(buyer, org, model):
    unit = make_unit(org, model, "SN-ND", delivery=None)

    errors = errors_of(
        lambda: services.create_draft(actor=buyer, items=[item_for(unit, defect_date="2026-05-03")])
    )

    assert "before the shipment date" in errors["items.0.defect_date"][0]


def test_the_defect_date_is_required(buyer, unit):
    errors = errors_of(
        lambda: services.create_draft(actor=buyer, items=[item_for(unit, defect_date="  ")])
    )

    assert list(errors) == ["items.0.defect_date"]


def test_an_unparseable_shipment_date_is_refused(buyer, unit):
    errors = errors_of(
        lambda: services.create_draft(actor=buyer, items=[item_for(unit, shipment_date="4 May")])
    )

    assert list(errors) == ["items.0.shipment_date"]


def test_n3_a_shipment_date_in_the_future_is_a_field_error(buyer, unit):
    errors = errors_of(
        lambda: services.create_draft(
            actor=buyer, items=[item_for(unit, shipment_date="9999-12-31")]
        )
    )

    assert list(errors) == ["items.0.shipment_date"]
    assert errors["items.0.shipment_date"] == ["The date of shipment 9999-12-31 is in the future."]
    assert not Claim.objects.exists()


def test_n3_a_shipment_date_after_the_recorded_delivery_is_a_field_error(buyer, unit):
    # Delivered 2026-05-11 by CPRO's records; today is 2026-11-25.
    errors = errors_of(
        lambda: services.create_draft(
            actor=buyer, items=[item_for(unit, shipment_date="2026-05-12")]
        )
    )

    assert (
        "after the unit's recorded delivery date 2026-05-11" in errors["items.0.shipment_date"][0]
    )


def test_n3_a_shipment_date_that_only_differs_stays_a_flagged_mismatch(buyer, unit):
    claim = services.create_draft(actor=buyer, items=[item_for(unit, shipment_date="2026-05-11")])

    services.submit(actor=buyer, claim=claim)

    assert claim.items.get().mismatches == [
        {"field": "shipment_date", "given": "2026-05-11", "recorded": "2026-05-04"}
    ]


def test_every_error_of_an_item_is_reported_at_once_with_the_shipment_date(buyer, unit):
    errors = errors_of(
        lambda: services.create_draft(
            actor=buyer,
            items=[item_for(unit, shipment_date="9999-12-31", defect_kind="oops", reason="zz")],
        )
    )

    assert {"items.0.shipment_date", "items.0.defect_kind", "items.0.reason"} <= set(errors)


def test_the_component_must_belong_to_the_units_model(buyer, unit):
    ComponentFactory(name="lens")  # another model's component

    errors = errors_of(
        lambda: services.create_draft(actor=buyer, items=[item_for(unit, component="lens")])
    )

    assert "PTZ-200 has no component 'lens'" in errors["items.0.component"][0]
    assert "mainboard" in errors["items.0.component"][0]


def test_an_unknown_component_is_stored_as_unknown(buyer, unit):
    claim = services.create_draft(actor=buyer, items=[item_for(unit, component="unknown")])

    assert claim.items.get().component is None


def test_an_unknown_or_inactive_defect_reason_is_refused(buyer, unit):
    DefectReason.objects.filter(code="firmware").update(active=False)

    errors = errors_of(
        lambda: services.create_draft(
            actor=buyer,
            items=[item_for(unit, reason="firmware"), item_for(unit, reason="gremlins")],
        )
    )

    assert "items.0.reason" in errors and "items.1.reason" in errors
    assert "no_image" in errors["items.0.reason"][0]


def test_over_long_fields_are_refused(buyer, unit):
    errors = errors_of(
        lambda: services.create_draft(
            actor=buyer, items=[item_for(unit, po_number="P" * 65)], buyer_reference="R" * 101
        )
    )

    assert set(errors) == {"items.0.po_number", "buyer_reference"}


def test_items_that_are_not_objects_are_refused(buyer):
    errors = errors_of(lambda: services.create_draft(actor=buyer, items=["SN-1"]))

    assert list(errors) == ["items.0"]


def test_staff_cannot_file_a_claim_on_a_buyers_behalf(unit):
    staff = Actor.staff(User.objects.create(username="clerk", is_staff=True))

    with pytest.raises(Forbidden):
        services.create_draft(actor=staff, items=[item_for(unit)])

    assert Claim.objects.count() == 0


# --- update_draft ------------------------------------------------------------------------------


@pytest.fixture
def draft(buyer, unit):
    return services.create_draft(actor=buyer, items=[item_for(unit)])


def test_updating_a_draft_replaces_its_items(buyer, draft, unit2):
    services.update_draft(actor=buyer, claim=draft, items=[item_for(unit2, defect_kind="manifest")])

    item = draft.items.get()
    assert item.unit == unit2
    assert item.defect_kind == "manifest"
    event = draft.events.order_by("seq").last()
    assert event.kind == "edit_draft"
    assert event.data["changed"] == ["items"]
    assert draft.event_count == 2


def test_a_kept_unit_keeps_its_row_and_its_evidence(buyer, draft, unit, unit2):
    item = draft.items.get()
    services.add_attachment(
        actor=buyer, claim=draft, item=item, upload=SimpleUploadedFile("a.png", PNG)
    )

    services.update_draft(
        actor=buyer,
        claim=draft,
        items=[item_for(unit2), item_for(unit, defect_details="Dead after 5 minutes.")],
    )

    kept = draft.items.get(unit=unit)
    assert kept.pk == item.pk
    assert kept.position == 1
    assert kept.defect_details == "Dead after 5 minutes."
    assert kept.attachments.count() == 1


def test_a_removed_units_evidence_stays_on_the_claim(buyer, draft, unit2):
    item = draft.items.get()
    services.add_attachment(
        actor=buyer, claim=draft, item=item, upload=SimpleUploadedFile("a.png", PNG)
    )

    services.update_draft(actor=buyer, claim=draft, items=[item_for(unit2)])

    attachment = Attachment.objects.get()
    assert attachment.claim == draft
    assert attachment.item is None


def test_updating_only_the_reference_leaves_the_items(buyer, draft):
    item = draft.items.get()

    services.update_draft(actor=buyer, claim=draft, buyer_reference="Q-99")

    assert draft.buyer_reference == "Q-99"
    assert list(draft.items.all()) == [item]


def test_an_invalid_update_changes_nothing(buyer, draft):
    before = list(draft.items.values())

    errors_of(
        lambda: services.update_draft(
            actor=buyer,
            claim=draft,
            items=[item_for(draft.items.get().unit, defect_date="2030-01-01")],
            buyer_reference="changed",
        )
    )

    draft.refresh_from_db()
    assert list(draft.items.values()) == before
    assert draft.buyer_reference == ""
    assert draft.event_count == 1


def test_a_submitted_claim_can_no_longer_be_edited(buyer, draft):
    Claim.objects.filter(pk=draft.pk).update(status="submitted")

    with pytest.raises(InvalidState):
        services.update_draft(actor=buyer, claim=draft, buyer_reference="late")


def test_another_organisations_draft_is_not_found(draft, unit):
    stranger = Actor.buyer(UserFactory(organisation=OrganisationFactory(code="rival")))

    with pytest.raises(NotFound):
        services.update_draft(actor=stranger, claim=draft, items=[item_for(unit)])

    assert draft.events.count() == 1
