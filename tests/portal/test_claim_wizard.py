"""The new-claim wizard: drafts and submission through the services, errors beside the field
that caused them with nothing saved, evidence checked by content, the live verdict (N1, N5)."""

import pytest
from django.urls import reverse

from claims.models import Attachment, Claim, ClaimEvent

from .helpers import days_ago, disguised_upload, draft_for, make_unit, png_upload

pytestmark = pytest.mark.django_db

NEW = "/claims/new/"


def row(index, unit=None, **values):
    """One wizard row as the browser posts it; N3 fields from CPRO's records by default."""
    data = {}
    if unit is not None:
        shipment = unit.shipment
        data = {
            "serial_number": unit.serial_number,
            "model_code": unit.product_model.code,
            "shipment_date": shipment.shipment_date.isoformat(),
            "po_number": shipment.po_number,
            "pi_number": shipment.pi_number,
            "defect_kind": "hidden",
            "defect_date": days_ago(2).isoformat(),
            "defect_details": "No image after power-on.",
            "reason": "no_image",
            "component": "Main board",
        }
    data.update(values)
    return {f"items-{index}-{name}": value for name, value in data.items()}


def post_data(*rows, action="draft", reference="", initial=0):
    data = {
        "items-TOTAL_FORMS": str(len(rows)),
        "items-INITIAL_FORMS": str(initial),
        "items-MIN_NUM_FORMS": "1",
        "items-MAX_NUM_FORMS": "50",
        "buyer_reference": reference,
        "action": action,
    }
    for r in rows:
        data.update(r)
    return data


@pytest.fixture
def second(org, model):
    return make_unit(org, model, "SN-A-0002")


def test_the_wizard_saves_a_two_unit_draft(buyer_client, unit, second):
    response = buyer_client.post(NEW, post_data(row(0, unit), row(1, second), reference="WO-17"))
    claim = Claim.objects.get()
    assert response.status_code == 302 and response.url == f"/claims/{claim.pk}/"
    assert claim.status == "draft" and claim.rma_number is None
    assert claim.buyer_reference == "WO-17"
    assert [i.serial_number for i in claim.items.order_by("position")] == [
        unit.serial_number,
        second.serial_number,
    ]
    item = claim.items.get(unit=unit)
    assert item.component.name == "Main board" and item.defect_reason.code == "no_image"
    assert ClaimEvent.objects.filter(claim=claim, channel="portal").exists()


def test_submitting_shows_the_rma_number_hold_end_and_n5_disclaimer_at_once(
    buyer_client, unit, second
):
    response = buyer_client.post(
        NEW, post_data(row(0, unit), row(1, second), action="submit"), follow=True
    )
    claim = Claim.objects.get()
    assert claim.status == "submitted" and claim.rma_number
    page = response.text
    assert claim.rma_number in page
    assert claim.hold_until.isoformat() in page
    assert "The RMA number is not an acknowledgement of the defect" in page
    assert "the burden of proof is yours (N5)" in page


def test_evidence_is_attached_to_its_unit(buyer_client, unit, second):
    data = post_data(row(0, unit), row(1, second))
    data["items-1-evidence"] = [png_upload("a.png"), png_upload("b.png")]
    buyer_client.post(NEW, data)
    attachments = Attachment.objects.order_by("pk")
    assert [a.item.serial_number for a in attachments] == [second.serial_number] * 2
    assert {a.content_type for a in attachments} == {"image/png"}
    assert all(a.channel == "portal" for a in attachments)


def test_a_disguised_upload_is_refused_beside_its_field_and_nothing_is_saved(
    buyer_client, unit, settings
):
    data = post_data(row(0, unit), action="submit")
    data["items-0-evidence"] = [
        png_upload("good.png"),
        disguised_upload(),
    ]
    response = buyer_client.post(NEW, data)
    assert response.status_code == 400
    form = response.context["formset"].forms[0]
    assert "cannot be attached" in " ".join(form.errors["evidence"])
    assert 'id="id_items-0-evidence_error"' in response.text
    assert not Claim.objects.exists() and not Attachment.objects.exists()
    stored = settings.MEDIA_ROOT.rglob("*") if settings.MEDIA_ROOT.exists() else []
    assert not [path for path in stored if path.is_file()]  # no file left behind either


def test_every_error_is_reported_at_once_files_included(buyer_client, unit, other_unit, settings):
    """Issue 17: another organisation's serial, a future defect date and a disguised file, in
    one post, come back together, each beside its field; nothing is saved."""
    data = post_data(
        row(0, unit, serial_number=other_unit.serial_number),
        row(1, unit, defect_date=days_ago(-5).isoformat()),
    )
    data["items-1-evidence"] = [disguised_upload()]

    response = buyer_client.post(NEW, data)

    assert response.status_code == 400
    first, second_row = response.context["formset"].forms[:2]
    assert "in your organisation" in " ".join(first.errors["serial_number"])
    assert second_row.errors["defect_date"]
    assert "cannot be attached" in " ".join(second_row.errors["evidence"])
    assert not Claim.objects.exists() and not Attachment.objects.exists()


def test_a_bad_file_does_not_hide_what_only_the_submission_refuses(buyer_client, unit, second):
    """Issue 17: a disguised file on one row and the N3 references missing on another (which
    only the submission checks) come back in one answer, each beside its field."""
    data = post_data(row(0, unit), row(1, second, po_number="", pi_number=""), action="submit")
    data["items-0-evidence"] = [
        png_upload("good.png"),
        disguised_upload(),
    ]

    response = buyer_client.post(NEW, data)

    assert response.status_code == 400
    first, second_row = response.context["formset"].forms[:2]
    assert "cannot be attached" in " ".join(first.errors["evidence"])
    assert "required to obtain an RMA number (N3)" in second_row.errors["po_number"][0]
    assert "required to obtain an RMA number (N3)" in second_row.errors["pi_number"][0]
    assert not Claim.objects.exists() and not Attachment.objects.exists()


def test_a_bad_file_and_a_refused_draft_come_back_together(buyer_client, unit, other_unit):
    data = post_data(row(0, unit), row(1, unit, serial_number=other_unit.serial_number))
    data["items-0-evidence"] = [disguised_upload()]

    response = buyer_client.post(NEW, data)

    assert response.status_code == 400
    first, second_row = response.context["formset"].forms[:2]
    assert "cannot be attached" in " ".join(first.errors["evidence"])
    assert "in your organisation" in " ".join(second_row.errors["serial_number"])
    assert not Claim.objects.exists()


def test_an_unknown_or_foreign_serial_is_named_beside_its_field(buyer_client, unit, other_unit):
    response = buyer_client.post(
        NEW, post_data(row(0, unit), row(1, unit, serial_number=other_unit.serial_number))
    )
    assert response.status_code == 400
    errors = response.context["formset"].forms[1].errors["serial_number"]
    assert errors == [
        f"No unit with serial number {other_unit.serial_number} in your organisation."
    ]
    assert not Claim.objects.exists()


def test_missing_n3_fields_on_submission_are_shown_beside_them_and_nothing_is_saved(
    buyer_client, unit, second
):
    response = buyer_client.post(
        NEW,
        post_data(row(0, unit), row(1, second, po_number="", pi_number=""), action="submit"),
    )
    assert response.status_code == 400
    second_form = response.context["formset"].forms[1]
    assert "required to obtain an RMA number (N3)" in second_form.errors["po_number"][0]
    assert "required to obtain an RMA number (N3)" in second_form.errors["pi_number"][0]
    assert not response.context["formset"].forms[0].errors
    assert "Nothing was saved" in response.text
    assert not Claim.objects.exists()


def test_a_photo_required_reason_without_a_photo_is_refused_on_submission(buyer_client, unit):
    response = buyer_client.post(
        NEW, post_data(row(0, unit, reason="physical_damage"), action="submit")
    )
    assert response.status_code == 400
    assert "Attach at least one photo" in response.context["formset"].forms[0].errors["evidence"][0]
    assert not Claim.objects.exists()


def test_a_future_defect_date_is_refused_beside_the_field(buyer_client, unit):
    response = buyer_client.post(NEW, post_data(row(0, unit, defect_date=days_ago(-3).isoformat())))
    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors["defect_date"] == [
        "The date of receipt or discovery cannot be in the future."
    ]


def test_n3_a_future_shipment_date_is_refused_beside_the_field(buyer_client, unit):
    response = buyer_client.post(NEW, post_data(row(0, unit, shipment_date="9999-12-31")))
    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors["shipment_date"] == [
        "The date of shipment 9999-12-31 is in the future."
    ]
    assert not Claim.objects.exists()


def test_a_defect_before_delivery_is_refused_beside_the_field(buyer_client, unit):
    before = unit.shipment.delivery_date.toordinal() - 1
    response = buyer_client.post(
        NEW,
        post_data(row(0, unit, defect_date=type(unit.shipment.delivery_date).fromordinal(before))),
    )
    assert (
        "cannot be before the unit's delivery date"
        in (response.context["formset"].forms[0].errors["defect_date"][0])
    )
    assert not Claim.objects.exists()


def test_the_same_unit_twice_is_refused(buyer_client, unit):
    response = buyer_client.post(NEW, post_data(row(0, unit), row(1, unit)))
    assert response.context["formset"].forms[1].errors["serial_number"] == [
        "This unit is already item 1 of this claim."
    ]
    assert not Claim.objects.exists()


def test_a_component_of_another_model_is_refused(buyer_client, unit):
    response = buyer_client.post(NEW, post_data(row(0, unit, component="Flux capacitor")))
    assert "component" in response.context["formset"].forms[0].errors
    assert not Claim.objects.exists()


def test_a_blank_added_row_is_ignored_and_a_removed_one_dropped(buyer_client, unit, second):
    data = post_data(row(0, unit), row(1, second, DELETE="on"), row(2))
    response = buyer_client.post(NEW, data)
    assert response.status_code == 302
    assert list(Claim.objects.get().items.values_list("serial_number", flat=True)) == [
        unit.serial_number
    ]


def test_units_picked_on_the_units_page_fill_the_rows(buyer_client, unit, second):
    response = buyer_client.get(NEW, {"serial": [unit.serial_number, second.serial_number]})
    forms = response.context["formset"].forms
    assert [f.initial["serial_number"] for f in forms] == [unit.serial_number, second.serial_number]
    assert forms[0].initial["po_number"] == unit.shipment.po_number
    assert forms[0].initial["pi_number"] == unit.shipment.pi_number
    options = response.context["formset"].forms[0].fields["component"].choices
    assert ("Main board", "Main board") in options


def test_editing_a_draft_keeps_its_evidence_and_changes_its_units(
    buyer_client, buyer, unit, second
):
    draft = draft_for(buyer, [unit])
    buyer_client.post(
        f"/claims/{draft.pk}/edit/",
        post_data(row(0, unit) | {"items-0-evidence": png_upload()}, initial=1),
    )
    assert draft.attachments.count() == 1
    response = buyer_client.post(
        f"/claims/{draft.pk}/edit/",
        post_data(row(0, unit, defect_details="Worse now."), row(1, second), initial=1),
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.items.count() == 2
    assert draft.items.get(unit=unit).defect_details == "Worse now."
    assert draft.items.get(unit=unit).attachments.count() == 1


def test_the_draft_editor_lists_the_evidence_already_attached(buyer_client, buyer, unit):
    draft = draft_for(buyer, [unit])
    buyer_client.post(
        f"/claims/{draft.pk}/edit/",
        post_data(row(0, unit) | {"items-0-evidence": png_upload("kept.png")}, initial=1),
    )
    response = buyer_client.get(f"/claims/{draft.pk}/edit/")
    assert "Already attached:" in response.text and "kept.png" in response.text


def test_a_submitted_claim_is_no_longer_editable(buyer_client, buyer, unit):
    draft = draft_for(buyer, [unit])
    buyer_client.post(f"/claims/{draft.pk}/submit/")
    response = buyer_client.get(f"/claims/{draft.pk}/edit/")
    assert response.status_code == 302 and response.url == f"/claims/{draft.pk}/"


def test_submitting_a_draft_from_its_page_shows_missing_fields_beside_them(
    buyer_client, buyer, unit
):
    draft = draft_for(buyer, [unit], po_number="")
    response = buyer_client.post(f"/claims/{draft.pk}/submit/")
    assert response.status_code == 400
    assert "(N3)" in response.context["formset"].forms[0].errors["po_number"][0]
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.rma_number is None


def test_submitting_a_complete_draft_from_its_page(buyer_client, buyer, unit):
    draft = draft_for(buyer, [unit])
    response = buyer_client.post(f"/claims/{draft.pk}/submit/", follow=True)
    draft.refresh_from_db()
    assert draft.status == "submitted"
    assert f"Claim submitted: your RMA number is {draft.rma_number}." in response.text


# --- The live verdict (htmx) -------------------------------------------------------------------


def preview(client, **values):
    params = {"prefix": "items-0"} | {f"items-0-{k}": v for k, v in values.items()}
    return client.get(reverse("portal:claim_preview"), params)


def test_the_live_verdict_shows_the_preliminary_verdict_and_notice_deadline(buyer_client, unit):
    defect = days_ago(2)
    response = preview(
        buyer_client,
        serial_number=unit.serial_number,
        defect_kind="hidden",
        defect_date=defect.isoformat(),
    )
    assert response.status_code == 200
    verdict = response.context["verdict"]
    assert verdict.status == "covered" and verdict.preliminary
    assert verdict.notice_deadline == defect.fromordinal(defect.toordinal() + 8)
    assert response.context["days_left"] == 6
    assert "Notice deadline (N1)" in response.text and "6 days left" in response.text
    assert "<html" not in response.text  # a partial for htmx to swap in


def test_the_live_verdict_follows_the_failed_component(buyer_client, unit):
    response = preview(
        buyer_client,
        serial_number=unit.serial_number,
        defect_kind="hidden",
        defect_date=days_ago(2).isoformat(),
        component="microSD card",
    )
    assert response.context["verdict"].status == "not_covered"
    assert "W2" in response.context["verdict"].clauses


def test_the_live_verdict_flags_n3_fields_that_disagree_with_the_records(buyer_client, unit):
    response = preview(buyer_client, serial_number=unit.serial_number, po_number="PO-9999")
    assert [m["given"] for m in response.context["mismatches"]] == ["PO-9999"]
    assert "CPRO will check it (N3)" in response.text


def test_the_live_verdict_never_judges_another_organisations_unit(buyer_client, other_unit):
    response = preview(buyer_client, serial_number=other_unit.serial_number)
    assert "verdict" not in response.context and "unit" not in response.context
    assert "No unit with serial number" in response.text
    assert other_unit.shipment.po_number not in response.text


def test_the_live_verdict_explains_a_future_date(buyer_client, unit):
    response = preview(
        buyer_client,
        serial_number=unit.serial_number,
        defect_kind="manifest",
        defect_date=days_ago(-1).isoformat(),
    )
    assert "cannot be in the future" in response.text


def test_the_live_verdict_refuses_a_malformed_row_prefix(buyer_client):
    response = buyer_client.get(reverse("portal:claim_preview"), {"prefix": "x<script>"})
    assert response.status_code == 400


def test_the_rows_ask_for_the_live_verdict_as_the_buyer_types(buyer_client):
    page = buyer_client.get(NEW).text
    assert 'hx-get="/claims/preview/"' in page
    assert 'hx-trigger="load, change, keyup delay:400ms"' in page
    assert 'aria-live="polite"' in page


def test_component_options_follow_the_serial(buyer_client, unit, other_unit):
    url = reverse("portal:component_options")
    mine = buyer_client.get(url, {"items-3-serial_number": unit.serial_number}).text
    assert "Main board" in mine and "Unknown" in mine
    theirs = buyer_client.get(url, {"serial": other_unit.serial_number}).text
    assert "Main board" not in theirs
