"""Rendering a Return Authorization reads its items in a fixed number of queries, however many
items it lists (issue 19: a 200-item RA must not make a query per item)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims import document_service
from claims.models import DocumentKind
from tests.factories import ClaimFactory, ClaimItemFactory, OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def render_queries(items: int, n: int) -> int:
    """Queries of the worker's step for an RA of ``items`` items (the document read afresh, the
    PDF rendered, stored and recorded), as ``claims.tasks.render_document`` runs it."""
    claim = ClaimFactory(
        organisation=OrganisationFactory(), status="return_authorized", rma_number=f"RMA-2026-{n}"
    )
    for position in range(items):
        ClaimItemFactory(claim=claim, return_authorized=True, position=position)
    ClaimItemFactory(claim=claim, return_authorized=False, position=items)  # not listed
    document = document_service.request_document(
        claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION
    )
    with CaptureQueriesContext(connection) as queries:
        rendered = document_service.render(document)
    assert rendered.is_ready
    return len(queries)


def test_an_ra_of_3_items_and_one_of_50_make_the_same_number_of_queries():
    few = render_queries(3, 100001)
    many = render_queries(50, 100002)

    assert few == many
