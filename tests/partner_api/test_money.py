"""Issue 17: every money value the partner API returns is one representation, the OpenAPI
component ``Money``: ``{"amount": "<decimal string in the currency's minor units>",
"currency": "<ISO 4217>"}`` (KRW "165000", USD "120.00"), from rma_portal.money (D1, D2)."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from claims import document_service, services
from claims.actors import Actor
from claims.models import Claim
from warranty.models import Unit

from .conftest import submitted

pytestmark = pytest.mark.django_db

CASES = {
    "KRW": {
        "price": Decimal("1650000"),
        "charge": {"verification": "65000", "transport": "40000", "shipment": "40000"},
        "credit": "1650000",
        "lines": ("65000", "40000", "40000"),
        "total": "145000",
    },
    "USD": {
        "price": Decimal("1240.50"),
        "charge": {"verification": "60.00", "transport": "25.5", "shipment": "15.00"},
        "credit": "1240.50",
        "lines": ("60.00", "25.50", "15.00"),
        "total": "100.50",
    },
}


def settled(api, unit, second_unit, staff, currency):
    case = CASES[currency]
    Unit.objects.filter(pk__in=[unit.pk, second_unit.pk]).update(
        currency=currency, unit_price=case["price"]
    )
    body = submitted(api, unit, second_unit)
    claim = Claim.objects.get(pk=body["id"])
    clerk = Actor.staff(staff)
    credited, charged = claim.items.order_by("position")
    services.authorize_return(actor=clerk, claim=claim)
    services.receive(
        actor=clerk,
        claim=claim,
        original_packaging=True,
        bills_of_purchase=True,
        rma_on_documents=True,
    )
    services.inspect(
        actor=clerk,
        claim=claim,
        results={
            credited.pk: {"findings": ["confirmed_defect"], "outcome": "credit_note"},
            charged.pk: {
                "findings": ["tampered"],
                "outcome": "not_covered",
                "reason": "W5",
                "charge": case["charge"],
            },
        },
    )
    credit_note = services.issue_credit_note(actor=clerk, item=credited)
    debit_note = services.issue_debit_note(actor=clerk, claim=claim)
    for document in claim.documents.filter(valid=True):
        document_service.render(document)
    return claim, credit_note, debit_note


@pytest.mark.parametrize("currency", ["KRW", "USD"])
def test_charges_and_notes_are_money_in_the_currencys_minor_units(
    api, unit, second_unit, staff, currency
):
    case = CASES[currency]
    claim, credit_note, debit_note = settled(api, unit, second_unit, staff, currency)

    body = api.get(f"/api/v1/claims/{claim.pk}/").json()
    credited, charged = body["items"]

    assert credited["credit_note"] == {
        "number": credit_note.number,
        "amount": {"amount": case["credit"], "currency": currency},
    }
    assert credited["charge"] is None and charged["credit_note"] is None
    verification, transport, shipment = case["lines"]
    assert charged["charge"] == {
        "verification": {"amount": verification, "currency": currency},
        "transport": {"amount": transport, "currency": currency},
        "shipment": {"amount": shipment, "currency": currency},
        "total": {"amount": case["total"], "currency": currency},
        "waived": False,
        "debit_note": debit_note.number,
    }
    documents = {d["kind"]: d for d in api.get(f"/api/v1/claims/{claim.pk}/documents/").json()}
    assert documents["credit_note"]["amount"] == {"amount": case["credit"], "currency": currency}
    assert documents["debit_note"]["amount"] == {"amount": case["total"], "currency": currency}
    assert documents["return_authorization"]["amount"] is None


def test_the_list_carries_the_same_money_in_a_fixed_number_of_queries(
    api, unit, second_unit, staff, django_assert_max_num_queries
):
    claim, *_notes = settled(api, unit, second_unit, staff, "KRW")

    with django_assert_max_num_queries(12):
        page = api.get("/api/v1/claims/").json()

    (listed,) = page["results"]
    assert listed["items"] == api.get(f"/api/v1/claims/{claim.pk}/").json()["items"]


def money_refs(node, path=""):
    """(path, property schema) of every property that names money in the schema."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from money_refs(value, f"{path}/{key}")
            if key == "properties":
                for name, prop in value.items():
                    if name in {"amount", "total", "verification", "transport", "shipment"}:
                        yield f"{path}/{name}", prop
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from money_refs(value, f"{path}/{index}")


def test_the_schema_names_one_money_component_and_every_amount_uses_it():
    schema = Client().get("/api/v1/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    money = components["Money"]

    assert money["required"] == ["amount", "currency"]
    assert money["properties"]["amount"]["type"] == "string"  # never a JSON number
    assert money["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"
    amount = re.compile(money["properties"]["amount"]["pattern"])
    assert amount.match("110") and amount.match("110.00") and not amount.match("110.5")
    found = dict(money_refs({k: v for k, v in components.items() if k != "Money"}))
    assert {"/Charge/total", "/CreditNote/amount", "/Document/amount"} <= set(found)
    for where, prop in found.items():
        ref = prop.get("$ref") or prop.get("allOf", [{}])[0].get("$ref")
        assert ref == "#/components/schemas/Money", where
    assert '"type": "number"' not in str(schema).replace("'", '"')


def test_api_md_documents_the_money_shape():
    from django.conf import settings

    text = (settings.BASE_DIR / "docs" / "api.md").read_text()
    assert '{"amount": "165000", "currency": "KRW"}' in text
    assert '{"amount": "110.00", "currency": "USD"}' in text
