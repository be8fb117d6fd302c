"""What the OpenAPI schema says about every operation at once (a drf-spectacular hook).

Per-operation facts stay with the views (partner_api/apis.py); here the OpenAPI links of the
claim lifecycle and the facts that hold for each operation alike, so that none is forgotten:
the response headers (``WWW-Authenticate`` on 401, ``Retry-After`` on 429,
``Idempotent-Replayed`` on a replayed success), 413 and 415 on the operations that take a body,
and the item counts of a claim (a nested list serializer's ``allow_empty``/``max_length`` are
not described by drf-spectacular itself).
"""

from __future__ import annotations

from django.conf import settings

ERROR_REF = {"$ref": "#/components/schemas/Error"}

WWW_AUTHENTICATE = {
    "description": "`Api-Key`: the scheme to authenticate with.",
    "schema": {"type": "string", "enum": ["Api-Key"]},
}
RETRY_AFTER = {
    "description": "Seconds to wait before the next request.",
    "schema": {"type": "integer", "minimum": 1},
}
IDEMPOTENT_REPLAYED = {
    "description": "`true` when this is the stored first response to the same "
    "`Idempotency-Key`, replayed; absent otherwise.",
    "schema": {"type": "string", "enum": ["true"]},
}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def _too_large() -> dict:
    limit = settings.RMA_API_MAX_JSON_BYTES // (1024 * 1024)
    return _error(
        f"The body is larger than the limit ({limit} MB of JSON; for uploads, 10 files or "
        "40 MB in one request); nothing was changed."
    )


def _with_header(response: dict, name: str, header: dict) -> None:
    response.setdefault("headers", {})[name] = header


# OpenAPI links of the claim lifecycle (create → submit → documents, and what a claim can do):
# the response that names a claim leads to the operations on it, by its id.
CLAIM_ID = {"rma_or_id": "$response.body#/id"}
CLAIM_OPERATIONS = {
    "Retrieve": "claims_retrieve",
    "Update": "claims_update",
    "Submit": "claims_submit",
    "Cancel": "claims_cancel",
    "Shipment": "claims_shipment",
    "PostMessage": "claims_messages_create",
    "ListMessages": "claims_messages_list",
    "Upload": "claims_attachments_create",
    "ListAttachments": "claims_attachments_list",
    "ListDocuments": "claims_documents_list",
}
LINKS = {
    ("claims_create", "201"): CLAIM_OPERATIONS,
    ("claims_submit", "200"): {
        k: v for k, v in CLAIM_OPERATIONS.items() if k not in ("Update", "Submit")
    },
    ("claims_retrieve", "200"): CLAIM_OPERATIONS,
}


def _links(operation_ids: dict[str, str]) -> dict:
    return {
        name: {"operationId": target, "parameters": CLAIM_ID}
        for name, target in operation_ids.items()
    }


def document_every_operation(result, generator, request, public):
    """POSTPROCESSING_HOOKS entry: headers, 413/415 and item counts on every operation."""
    from partner_api.serializers import MAX_ITEMS  # the schema module loads before the apps

    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation["responses"]
            if "401" in responses:
                _with_header(responses["401"], "WWW-Authenticate", WWW_AUTHENTICATE)
            if "429" in responses:
                _with_header(responses["429"], "Retry-After", RETRY_AFTER)
            names = {parameter["name"] for parameter in operation.get("parameters", [])}
            if "Idempotency-Key" in names:
                for code, response in responses.items():
                    if code.startswith("2"):
                        _with_header(response, "Idempotent-Replayed", IDEMPOTENT_REPLAYED)
            for (operation_id, code), targets in LINKS.items():
                if operation.get("operationId") == operation_id and code in responses:
                    responses[code]["links"] = _links(targets)
            body = operation.get("requestBody")
            if body:
                kinds = " or ".join(f"`{kind}`" for kind in body["content"])
                responses.setdefault("413", _too_large())
                responses.setdefault("415", _error(f"A body that is not {kinds}."))
    schemas = result.get("components", {}).get("schemas", {})
    for name in ("ClaimCreate", "PatchedClaimUpdate"):
        if name in schemas:
            schemas[name]["properties"]["items"].update(minItems=1, maxItems=MAX_ITEMS)
    return result
