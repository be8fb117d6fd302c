"""The OpenAPI 3 schema at /api/v1/schema/ and the docs page at /api/v1/docs/, served with
local assets only (SPEC "Partner API": "without any outside network")."""

import re

import pytest
from django.test import Client
from openapi_spec_validator import validate

from tests.partner_api.conftest import create_draft, today

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("get", "/api/v1/units/{serial}/warranty/"),
    ("get", "/api/v1/claims/"),
    ("post", "/api/v1/claims/"),
    ("get", "/api/v1/claims/{rma_or_id}/"),
    ("patch", "/api/v1/claims/{rma_or_id}/"),
    ("post", "/api/v1/claims/{rma_or_id}/submit/"),
    ("post", "/api/v1/claims/{rma_or_id}/cancel/"),
    ("post", "/api/v1/claims/{rma_or_id}/shipment/"),
    ("get", "/api/v1/claims/{rma_or_id}/messages/"),
    ("post", "/api/v1/claims/{rma_or_id}/messages/"),
    ("get", "/api/v1/claims/{rma_or_id}/attachments/"),
    ("post", "/api/v1/claims/{rma_or_id}/attachments/"),
    ("get", "/api/v1/claims/{rma_or_id}/attachments/{attachment_id}/download/"),
    ("get", "/api/v1/claims/{rma_or_id}/documents/"),
    ("get", "/api/v1/claims/{rma_or_id}/documents/{document_id}/download/"),
    ("get", "/api/v1/webhooks/deliveries/"),
    ("post", "/api/v1/webhooks/deliveries/{delivery_id}/redeliver/"),
}


@pytest.fixture
def schema():
    response = Client().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_openapi_3_with_every_operation(schema):
    assert schema["openapi"].startswith("3.")
    found = {(method, path) for path, ops in schema["paths"].items() for method in ops}
    assert found == OPERATIONS


def test_every_post_takes_an_idempotency_key_and_documents_422(schema):
    for path, ops in schema["paths"].items():
        if "post" in ops:
            names = {p["name"] for p in ops["post"].get("parameters", [])}
            assert "Idempotency-Key" in names, path
            assert "422" in ops["post"]["responses"], path


def test_the_spec_shapes_come_with_examples(schema):
    create = schema["paths"]["/api/v1/claims/"]["post"]
    submit = schema["paths"]["/api/v1/claims/{rma_or_id}/submit/"]["post"]

    request_example = next(iter(create["requestBody"]["content"]["application/json"]["examples"]))
    assert request_example
    draft = create["responses"]["201"]["content"]["application/json"]["examples"]
    assert next(iter(draft.values()))["value"]["rma_number"] is None
    answer = submit["responses"]["200"]["content"]["application/json"]["examples"]
    assert next(iter(answer.values()))["value"]["status"] == "submitted"
    assert "400" in submit["responses"]


def test_the_api_key_scheme_is_documented(schema):
    scheme = schema["components"]["securitySchemes"]["ApiKeyAuth"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")


def test_the_docs_page_references_no_outside_host_and_its_assets_are_served():
    client = Client()
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r"(?:https?:)?//[a-z0-9.-]+", html, re.IGNORECASE) == []
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


# --- The schema tells the truth (issue 14) -------------------------------------------------


def test_the_served_schema_passes_the_openapi_spec_validator(schema):
    validate(schema)  # raises OpenAPIValidationError on any violation of the OpenAPI 3.0 spec


def test_the_upload_is_a_binary_multipart_file(schema):
    upload = schema["paths"]["/api/v1/claims/{rma_or_id}/attachments/"]["post"]["requestBody"]
    body = upload["content"]["multipart/form-data"]["schema"]
    assert body == {"$ref": "#/components/schemas/AttachmentUpload"}
    assert schema["components"]["schemas"]["AttachmentUpload"]["properties"]["file"]["format"] == (
        "binary"
    )


def test_the_constraints_the_server_enforces_are_in_the_schema(schema):
    components = schema["components"]["schemas"]
    item = components["ClaimItemInput"]["properties"]
    assert item["serial_number"]["minLength"] == 1
    assert components["Shipment"]["properties"]["carrier"]["minLength"] == 1
    assert components["Shipment"]["properties"]["tracking_number"]["minLength"] == 1
    assert components["MessageInput"]["properties"]["body"]["minLength"] == 1
    for name in ("ClaimCreate", "PatchedClaimUpdate"):
        items = components[name]["properties"]["items"]
        assert (items["minItems"], items["maxItems"]) == (1, 200), name
    listing = schema["paths"]["/api/v1/claims/"]["get"]["parameters"]
    page_size = next(p for p in listing if p["name"] == "page_size")["schema"]
    assert (page_size["minimum"], page_size["maximum"]) == (1, 200)
    create = schema["paths"]["/api/v1/claims/"]["post"]["parameters"]
    key = next(p for p in create if p["name"] == "Idempotency-Key")["schema"]["pattern"]
    assert re.fullmatch(key, "6f1c0c8e-4c47-4b7e-9d51-0f6a3e1b2c11")
    assert not re.fullmatch(key, "")
    assert not re.fullmatch(key, "x" * 256)
    assert not re.fullmatch(key, "ключ")


def test_enums_have_their_names(schema):
    components = schema["components"]["schemas"]
    assert "KindEnum" not in components and "NullEnum" not in components
    assert components["DocumentKindEnum"]["enum"] == [
        "return_authorization",
        "credit_note",
        "debit_note",
    ]
    assert components["LanguageEnum"]["enum"] == ["en", "ko"]
    assert {"W1", "W5", "N1", "N5", "R1", "D2", "S1"} <= set(components["ClauseEnum"]["enum"])
    verdict = components["Verdict"]["properties"]
    assert verdict["period_clause"] == {"$ref": "#/components/schemas/ClauseEnum"}
    assert verdict["clauses"]["items"] == {"$ref": "#/components/schemas/ClauseEnum"}
    assert components["Reason"]["properties"]["clause"] == {
        "$ref": "#/components/schemas/ClauseEnum"
    }
    assert components["Document"]["properties"]["language"] == {
        "$ref": "#/components/schemas/LanguageEnum"
    }
    outcome = components["ClaimItem"]["properties"]["outcome"]
    assert outcome["nullable"] is True
    assert outcome["allOf"] == [{"$ref": "#/components/schemas/OutcomeEnum"}]


def test_every_status_and_response_header_is_documented(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            where = f"{method} {path}"
            assert "WWW-Authenticate" in responses["401"]["headers"], where
            assert "Retry-After" in responses["429"]["headers"], where
            if "requestBody" in operation:
                assert {"413", "415"} <= set(responses), where
            names = {p["name"] for p in operation.get("parameters", [])}
            if "Idempotency-Key" in names:
                success = [code for code in responses if code.startswith("2")]
                for code in success:
                    assert "Idempotent-Replayed" in responses[code]["headers"], where


def test_the_pagination_example_points_at_claims(schema):
    page = schema["components"]["schemas"]["PaginatedClaimList"]["properties"]
    assert "/accounts/" not in page["next"]["example"]
    assert page["next"]["example"].startswith("https://rma.cpro.example/api/v1/claims/?cursor=")


def test_the_draft_example_matches_a_real_draft(schema, api, unit):
    """A draft's preliminary verdict is judged as if notified the day it is saved: its
    ``notice_date`` is that day, in the example as in a real answer."""
    create = schema["paths"]["/api/v1/claims/"]["post"]
    examples = create["responses"]["201"]["content"]["application/json"]["examples"]
    example = next(iter(examples.values()))["value"]
    example_verdict = example["items"][0]["verdict"]
    assert example_verdict["notice_date"] == example["created_at"][:10]

    draft = create_draft(api, unit)
    verdict = draft["items"][0]["verdict"]
    assert verdict["notice_date"] == today().isoformat()
    assert set(example_verdict) == set(verdict)


def test_the_claim_lifecycle_is_linked(schema):
    """create → submit → documents: the answer that names a claim links to what can be done
    with it, by its id."""
    created = schema["paths"]["/api/v1/claims/"]["post"]["responses"]["201"]["links"]
    submitted = schema["paths"]["/api/v1/claims/{rma_or_id}/submit/"]["post"]["responses"]["200"]
    operation_ids = {
        operation["operationId"] for ops in schema["paths"].values() for operation in ops.values()
    }
    assert created["Submit"] == {
        "operationId": "claims_submit",
        "parameters": {"rma_or_id": "$response.body#/id"},
    }
    assert submitted["links"]["ListDocuments"]["operationId"] == "claims_documents_list"
    assert "Submit" not in submitted["links"]
    for link in [*created.values(), *submitted["links"].values()]:
        assert link["operationId"] in operation_ids
