"""Property-based tests of every operation against the schema the app serves (schemathesis):
no server errors, and every answer conforms to the schema (status, content type, body).

The app is called in-process (WSGI) with a real API key of an organisation that has units and
claims, so the schema's examples ("17", "RMA-2026-000042") reach real claims. Bounded and
deterministic: ``max_examples`` per operation, derandomized.
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from claims import services
from claims.actors import Actor
from claims.models import Claim

from .conftest import item_payload, make_unit

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


STATEFUL_CHECKS = [
    *CHECKS,
    negative_data_rejection,
    ignored_auth,
    use_after_free,
    ensure_resource_availability,
]


def load_schema():
    """The schema exactly as /api/v1/schema/ serves it, generated in-process (no request, no
    database at collection time), bound to the WSGI app for the calls."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(generated)))
    loaded.app = get_wsgi_application()
    return loaded


schema = load_schema()


@pytest.fixture
def keep_test_connection():
    """As Django's test client does: the WSGI calls must not close the test's connection (and
    with it the transaction that holds the test data)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def example_claims(keep_test_connection, settings, org, api_key):
    """Claims the schema's examples name: draft id 17 and RMA-2026-000042 (submitted)."""
    settings.RMA_API_RATE = None  # thousands of requests in a few seconds
    unit = make_unit(org, "SN-ST-1")
    actor = Actor.partner(api_key[0])
    with connection.cursor() as cursor:  # the next claim gets id 17, as in the examples
        cursor.execute("SELECT setval(pg_get_serial_sequence('claims_claim', 'id'), 16)")
    assert services.create_draft(actor=actor, items=[item_payload(unit)]).pk == 17
    other = services.create_draft(actor=actor, items=[item_payload(make_unit(org, "SN-ST-2"))])
    services.submit(actor=actor, claim=other)
    Claim.objects.filter(pk=other.pk).update(rma_number="RMA-2026-000042")


@schema.parametrize()
@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_to_the_schema(case, api_key, example_claims):
    case.call_and_validate(headers={"Authorization": f"Api-Key {api_key[1]}"}, checks=CHECKS)


def test_the_claim_lifecycle_holds_in_stateful_runs(api_key, example_claims):
    """Stateful (issue 14): schemathesis follows the schema's OpenAPI links — a created claim
    is retrieved, changed, submitted, cancelled, written to, given evidence and asked for its
    documents — and every response passes the conformance checks and the stateful ones (auth
    enforced, created resources available, nothing used after it is gone, invalid data
    refused). Not ``positive_data_acceptance``: schema-valid data is refused by the rules the
    schema cannot state (a serial must be one of your units, N3 on submit), with 400."""
    lifecycle = load_schema()  # its own, so the auth provider stays with this test

    @lifecycle.auth()
    class ApiKey:
        """The key through schemathesis' auth, so that its auth check knows it is a real one
        and can take it away (401 expected) or replace it with a wrong one (401 expected)."""

        def get(self, case, context):
            return api_key[1]

        def set(self, case, key, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Api-Key {key}"}

    class ClaimLifecycle(lifecycle.as_state_machine()):
        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=STATEFUL_CHECKS, transport_kwargs=kwargs)

    ClaimLifecycle.run(
        settings=settings(
            max_examples=50,
            stateful_step_count=6,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
