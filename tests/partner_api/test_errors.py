"""One error body for every failure, even on URLs the API does not have."""

import json

import pytest

from .conftest import create_draft, item_payload, make_unit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/api/v1/nothing-here/"),
        ("post", "/api/v1/claims/1/explode/"),  # no CSRF page for a POST to a wrong URL
        ("get", "/api/v1/units/SN%00X/warranty/"),  # NUL never reaches PostgreSQL
        ("get", "/api/v1/claims/%C2%B3/"),  # "³" is a digit to str.isdigit(), not an id
        ("get", "/api/v1/claims/RMA-2026-000001/documents/x/download/"),
    ],
)
def test_unknown_urls_and_keys_are_404_in_the_error_body(api, method, url):
    response = getattr(api, method)(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"]["detail"]


def test_a_wrong_method_is_405_in_the_error_body(api):
    response = api.delete("/api/v1/claims/")

    assert response.status_code == 405
    assert response.json()["errors"]["detail"]


def test_an_unexpected_failure_is_500_in_the_error_body_and_changes_nothing(api, unit, monkeypatch):
    from claims import services
    from claims.models import Claim
    from tests.partner_api.conftest import item_payload

    draft = api.post("/api/v1/claims/", {"items": [item_payload(unit)]}, format="json").json()

    def broken(**kwargs):
        raise RuntimeError("a bug, not a refusal")

    monkeypatch.setattr(services, "submit", broken)
    response = api.post(f"/api/v1/claims/{draft['id']}/submit/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "errors": {"detail": ["Something went wrong on our side; please try again."]}
    }
    assert Claim.objects.get(pk=draft["id"]).status == "draft"


def test_a_500_outside_a_view_is_json_on_api_paths_and_html_elsewhere(rf):
    from rma_portal import urls, views

    assert urls.handler500 == "rma_portal.views.server_error"
    api_error = views.server_error(rf.get("/api/v1/claims/"))
    assert api_error.status_code == 500 and api_error["Content-Type"] == "application/json"
    assert b'"errors"' in api_error.content
    page = views.server_error(rf.get("/claims/"))
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


# --- Bodies the parser refuses (issue 14): the documented JSON body, the right status ---------

JSON_ENDPOINTS = [
    "/api/v1/claims/",
    "/api/v1/claims/{id}/cancel/",
    "/api/v1/claims/{id}/shipment/",
    "/api/v1/claims/{id}/messages/",
]


@pytest.fixture
def draft_id(api, unit):
    return create_draft(api, unit)["id"]


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize(
    "body",
    [
        b'{"items": [',
        b"\xff\xfe{}",
        b'{"reason": NaN}',
        b"[" * 2000 + b"]" * 2000,
        b'{"a":' * 2000 + b"1" + b"}" * 2000,
        b'{"items": [' + b"[" * 40 + b"]" * 40 + b"]}",
    ],
    ids=["truncated", "not-utf8", "nan", "arrays-2000-deep", "objects-2000-deep", "41-deep"],
)
def test_malformed_or_too_deep_json_is_400_in_the_error_body(api, draft_id, path, body):
    response = api.generic("POST", path.format(id=draft_id), body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"]["detail"][0].startswith("JSON parse error")


def test_deep_json_inside_strings_is_no_nesting(api, unit):
    body = {"items": [item_payload(unit, defect_details="[[[[{{{{" * 100)]}

    response = api.post("/api/v1/claims/", body, format="json")

    assert response.status_code == 201, response.content


def test_a_patch_too_deep_is_400(api, draft_id):
    response = api.generic(
        "PATCH", f"/api/v1/claims/{draft_id}/", b"[" * 5000, content_type="application/json"
    )

    assert response.status_code == 400
    assert "nested deeper than 32 levels" in response.json()["errors"]["detail"][0]


def test_a_claim_at_the_documented_maxima_fits(api, org, unit):
    """200 items × 10,000 Korean characters of details, escaped as \\uXXXX as Python's json
    does by default: over 12 MB, far over Django's 2.5 MB form limit, and accepted (201)."""
    units = [unit] + [
        make_unit(org, f"SN-MAX-{n:03}", model=unit.product_model) for n in range(199)
    ]
    details = "화면결함" * 2500
    body = json.dumps({"items": [item_payload(u, defect_details=details) for u in units]})
    assert len(body) > 12_000_000

    response = api.generic(
        "POST", "/api/v1/claims/", body.encode(), content_type="application/json"
    )

    assert response.status_code == 201, response.content[:300]
    assert len(response.json()["items"]) == 200
    assert response.json()["items"][0]["defect_details"] == details


def test_a_body_over_the_limit_is_413_with_the_limit_in_the_message(api, settings):
    settings.RMA_API_MAX_JSON_BYTES = 1024 * 1024
    body = json.dumps({"items": [], "buyer_reference": "x" * (1024 * 1024)}).encode()

    response = api.generic("POST", "/api/v1/claims/", body, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "errors": {"detail": ["The request body is larger than 1 MB, the limit for JSON."]}
    }


def test_a_body_over_djangos_own_limit_is_the_same_413(api, settings):
    settings.RMA_API_MAX_JSON_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = json.dumps({"items": [], "buyer_reference": "x" * (1024 * 1024)}).encode()

    response = api.generic(
        "POST", "/api/v1/claims/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert response.status_code == 413
    assert response.json() == {
        "errors": {"detail": ["The request body is larger than 1 MB, the limit for JSON."]}
    }


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"]
)
def test_a_body_of_another_type_is_415_in_the_error_body(api, content_type):
    response = api.generic("POST", "/api/v1/claims/", b"items=1", content_type=content_type)

    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"]["detail"]


def test_an_upload_sent_as_json_is_415(api, draft_id):
    response = api.post(f"/api/v1/claims/{draft_id}/attachments/", {"file": "x"}, format="json")

    assert response.status_code == 415
    assert response.json()["errors"]["detail"]


@pytest.mark.parametrize(
    "pad", ["\x1c", " ", "\u3000"], ids=["file-separator", "space", "ideographic"]
)
def test_text_over_its_max_length_is_400_even_when_trimming_would_shorten_it(
    api, unit, draft_id, pad
):
    """The schema's maxLength counts what is sent: a message one trimmable character over the
    limit is refused (found by schemathesis: U+001C counts as whitespace in Python)."""
    from claims.cleaning import MAX_TEXT
    from claims.models import Message

    body = pad + "D" * MAX_TEXT

    response = api.post(f"/api/v1/claims/{draft_id}/messages/", {"body": body}, format="json")

    assert response.status_code == 400, response.content
    assert f"no more than {MAX_TEXT} characters" in response.json()["errors"]["body"][0]
    assert not Message.objects.exists()
