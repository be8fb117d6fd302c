"""The OpenAPI 3 schema at /api/v1/schema/ and the docs page at /api/v1/docs/, served with
local assets only (SPEC "Partner API": "without any outside network")."""

import re

import pytest
from django.test import Client

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
    ("get", "/api/v1/claims/{rma_or_id}/documents/"),
    ("get", "/api/v1/claims/{rma_or_id}/documents/{document_id}/download/"),
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
