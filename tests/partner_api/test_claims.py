"""`GET, POST /api/v1/claims/`, `GET, PATCH /api/v1/claims/{rma_or_id}/`, submit and cancel
(SPEC "Partner API", "Operations interface")."""

import re

import pytest
from rest_framework.test import APIClient

from accounts.services import create_api_key, revoke_api_key
from claims.models import Claim, ClaimEvent, ClaimItem
from tests.factories import UserFactory

from .conftest import client_for, create_draft, item_payload, submitted

pytestmark = pytest.mark.django_db

VERDICT_KEYS = {
    "status",
    "preliminary",
    "start_date",
    "start_basis",
    "period_months",
    "end_date",
    "notice_deadline",
    "policy_version",
    "clauses",
    "reasons",
}


def rows() -> tuple[int, int, int]:
    return Claim.objects.count(), ClaimItem.objects.count(), ClaimEvent.objects.count()


def test_post_claims_creates_a_draft_in_the_spec_shape(api, unit):
    response = api.post(
        "/api/v1/claims/",
        {"items": [item_payload(unit)], "buyer_reference": "T-1"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["rma_number"] is None
    assert body["status"] == "draft"
    assert body["buyer_reference"] == "T-1"
    [item] = body["items"]
    assert item["serial_number"] == "SN-ACME-1"
    assert item["component"] == "mainboard"
    assert set(item["verdict"]) >= VERDICT_KEYS
    assert "serial" not in item["verdict"] and "model" not in item["verdict"]
    claim = Claim.objects.get(pk=body["id"])
    assert claim.api_key.prefix in claim.events.get().actor_label  # N2 trail: which key


def test_submit_gives_the_rma_number_hold_and_verdicts_per_spec(api, unit):
    draft = create_draft(api, unit)

    response = api.post(f"/api/v1/claims/{draft['id']}/submit/")

    assert response.status_code == 200
    body = response.json()
    assert re.fullmatch(r"RMA-\d{4}-\d{6}", body["rma_number"])
    assert body["status"] == "submitted"
    assert body["hold_until"]
    verdict = body["items"][0]["verdict"]
    assert set(verdict) >= VERDICT_KEYS
    assert verdict["status"] == "covered"
    assert verdict["preliminary"] is True
    assert verdict["notice_date"] is not None


def test_the_verdict_is_in_the_organisations_language(api, org, unit):
    org.language = "ko"
    org.save()

    body = submitted(api, unit)

    assert any("보증" in r["text"] for r in body["items"][0]["verdict"]["reasons"])


def test_get_a_claim_by_id_or_by_rma_number(api, unit):
    claim = submitted(api, unit)

    by_id = api.get(f"/api/v1/claims/{claim['id']}/")
    by_rma = api.get(f"/api/v1/claims/{claim['rma_number'].lower()}/")

    assert by_id.status_code == by_rma.status_code == 200
    assert by_id.json() == by_rma.json() == claim


def test_patch_changes_a_draft_through_update_draft(api, unit, second_unit):
    draft = create_draft(api, unit)

    response = api.patch(
        f"/api/v1/claims/{draft['id']}/",
        {"buyer_reference": "T-2", "items": [item_payload(second_unit)]},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["buyer_reference"] == "T-2"
    assert [i["serial_number"] for i in body["items"]] == ["SN-ACME-2"]


def test_patch_of_a_submitted_claim_is_409_and_changes_nothing(api, unit):
    claim = submitted(api, unit)
    before = rows()

    response = api.patch(f"/api/v1/claims/{claim['id']}/", {"buyer_reference": "x"}, format="json")

    assert response.status_code == 409
    assert response.json()["errors"]
    assert rows() == before
    assert Claim.objects.get(pk=claim["id"]).buyer_reference == ""


def test_cancel_withdraws_the_claim_with_a_reason(api, unit):
    claim = submitted(api, unit)

    response = api.post(
        f"/api/v1/claims/{claim['rma_number']}/cancel/", {"reason": "Fixed."}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["decision_reason"] == "Fixed."
    again = api.post(f"/api/v1/claims/{claim['id']}/cancel/", {}, format="json")
    assert again.status_code == 409


def test_submit_without_n3_fields_is_400_per_item_field_and_nothing_changes(api, unit):
    draft = create_draft(api, unit)
    api.patch(
        f"/api/v1/claims/{draft['id']}/",
        {"items": [item_payload(unit, pi_number="", po_number="")]},
        format="json",
    )
    before = rows()

    response = api.post(f"/api/v1/claims/{draft['id']}/submit/")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"items.0.pi_number", "items.0.po_number"}
    assert rows() == before
    assert Claim.objects.get(pk=draft["id"]).rma_number is None


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "items"),
        ({"items": []}, "items"),
        ({"items": "SN-ACME-1"}, "items"),
        ({"items": ["SN-ACME-1"]}, "items.0"),
        ({"items": [{"serial_number": 42}]}, "items.0.defect_kind"),
        ([{"serial_number": "SN-ACME-1"}], "non_field_errors"),
    ],
    ids=["missing items", "empty items", "items not a list", "item not an object", "types", "list"],
)
def test_malformed_bodies_are_400_with_field_errors_and_nothing_changes(api, unit, body, field):
    before = rows()

    response = api.post("/api/v1/claims/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert rows() == before


def test_wrong_types_per_field_are_named_with_dots(api, unit):
    bad = item_payload(unit, defect_date="yesterday", shipment_date=20250101, defect_kind="oops")
    before = rows()

    response = api.post("/api/v1/claims/", {"items": [item_payload(unit), bad]}, format="json")

    assert response.status_code == 400
    assert {"items.1.defect_date", "items.1.shipment_date", "items.1.defect_kind"} <= set(
        response.json()["errors"]
    )
    assert rows() == before


def test_n3_a_future_shipment_date_is_a_400_field_error(api, unit):
    before = rows()

    response = api.post(
        "/api/v1/claims/",
        {"items": [item_payload(unit, shipment_date="9999-12-31")]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"]["items.0.shipment_date"] == [
        "The date of shipment 9999-12-31 is in the future."
    ]
    assert rows() == before


def test_bad_json_is_400_and_nothing_changes(api, unit):
    before = rows()

    response = api.post("/api/v1/claims/", '{"items": [', content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()["errors"]
    assert rows() == before


def test_a_form_body_is_refused_415(api, unit):
    response = api.post("/api/v1/claims/", {"items": "x"})  # multipart: JSON only here

    assert response.status_code == 415
    assert response.json()["errors"]


@pytest.mark.parametrize("serial", ["SN-NOPE", "SN-OTHER-1"], ids=["unknown", "another org's"])
def test_an_unknown_or_another_organisations_serial_is_400_on_the_item(api, unit, stranger, serial):
    before = rows()

    response = api.post(
        "/api/v1/claims/",
        {"items": [item_payload(unit), item_payload(unit, serial_number=serial)]},
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == ["items.1.serial_number"]
    assert "SN-OTHER" not in str(errors) or serial in str(errors)
    assert rows() == before


def test_a_future_defect_date_is_400(api, unit):
    response = api.post(
        "/api/v1/claims/", {"items": [item_payload(unit, defect_date="2999-01-01")]}, format="json"
    )

    assert response.status_code == 400
    assert "items.0.defect_date" in response.json()["errors"]


@pytest.mark.parametrize(
    "method, suffix",
    [
        ("get", ""),
        ("patch", ""),
        ("post", "submit/"),
        ("post", "cancel/"),
        ("post", "shipment/"),
        ("get", "messages/"),
        ("post", "messages/"),
        ("get", "attachments/"),
        ("post", "attachments/"),
        ("get", "documents/"),
        ("get", "documents/1/download/"),
    ],
)
def test_another_organisations_claim_is_404_on_every_endpoint(api, stranger, method, suffix):
    claim = stranger["claim"]
    before = rows()

    response = getattr(api, method)(f"/api/v1/claims/{claim.pk}/{suffix}", {}, format="json")

    assert response.status_code == 404
    assert response.json() == {"errors": {"detail": ["No such claim."]}}
    assert rows() == before


def test_list_shows_only_the_callers_claims(api, unit, stranger):
    mine = create_draft(api, unit)

    body = api.get("/api/v1/claims/").json()

    assert [c["id"] for c in body["results"]] == [mine["id"]]


def test_a_wrong_or_revoked_key_or_none_is_401(org, unit):
    key, raw = create_api_key(organisation=org)
    assert client_for(raw).get("/api/v1/claims/").status_code == 200

    revoke_api_key(api_key=key)

    for client in (client_for(raw), client_for("rma_deadbeef_wrong"), APIClient()):
        response = client.post("/api/v1/claims/", {"items": [item_payload(unit)]}, format="json")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Api-Key"
        assert response.json()["errors"]["detail"]
    assert Claim.objects.count() == 0


def test_a_signed_in_buyer_uses_the_api_with_the_session(org, unit):
    client = APIClient(enforce_csrf_checks=False)
    client.force_login(UserFactory(organisation=org))

    created = client.post("/api/v1/claims/", {"items": [item_payload(unit)]}, format="json")

    assert created.status_code == 201
    claim = Claim.objects.get(pk=created.json()["id"])
    assert claim.author is not None and claim.api_key is None
    assert claim.events.get().channel == "api"


def test_staff_without_an_organisation_are_refused_403(staff):
    client = APIClient()
    client.force_login(staff)

    assert client.get("/api/v1/claims/").status_code == 403


@pytest.mark.parametrize("field", ["defect_date", "shipment_date"])
def test_an_impossible_date_says_it_is_no_real_date(api, unit, field):
    response = api.post(
        "/api/v1/claims/", {"items": [item_payload(unit, **{field: "2026-02-30"})]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        f"items.0.{field}": ["2026-02-30 is not a real date: there is no such day in the calendar."]
    }


def test_a_date_in_another_format_still_says_so(api, unit):
    response = api.post(
        "/api/v1/claims/", {"items": [item_payload(unit, defect_date="30.11.2026")]}, format="json"
    )

    assert response.status_code == 400
    assert "wrong format" in response.json()["errors"]["items.0.defect_date"][0]


def test_the_warranty_query_says_an_impossible_date_is_no_real_date(api, unit):
    response = api.get(
        f"/api/v1/units/{unit.serial_number}/warranty/",
        {"defect_date": "2026-02-30", "defect_kind": "hidden"},
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "defect_date": ["2026-02-30 is not a real date: there is no such day in the calendar."]
    }


@pytest.mark.parametrize("scheme", ["Api-Key", "api-key", "API-KEY", "aPi-kEy"])
def test_the_authorization_scheme_is_case_insensitive(api_key, unit, scheme):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {api_key[1]}")

    response = client.get("/api/v1/claims/")

    assert response.status_code == 200, response.content


def test_another_scheme_is_still_401(api_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")

    response = client.get("/api/v1/claims/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
