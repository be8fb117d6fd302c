"""No page's query count grows with the organisation's claims or units (STYLE 6): the same page
is counted with 5 and with 50 rows, and the two counts must be equal."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims import services
from claims.actors import Actor
from claims.models import Attachment
from tests.factories import ClaimFactory, ClaimItemFactory, OrganisationFactory, UserFactory

from .helpers import days_ago, make_unit, png_upload

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    client.get(url)  # warm up: the session, the S1 row
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def add_claims(org, buyer, model, n, tag):
    """n claims in the statuses the dashboard and list show, each with a unit."""
    statuses = ["draft", "submitted", "info_requested", "return_authorized", "shipped"]
    for i in range(n):
        status = statuses[i % len(statuses)]
        claim = ClaimFactory(
            organisation=org,
            author=buyer,
            status=status,
            rma_number=None if status == "draft" else f"RMA-2026-{tag}{i:05d}",
            hold_until=None if status == "draft" else days_ago(-20),
        )
        ClaimItemFactory(claim=claim, unit=make_unit(org, model, f"SN-{tag}-{i}"))


@pytest.mark.parametrize("url", ["/", "/claims/", "/claims/?status=open&q=SN"])
def test_claim_pages_do_not_grow_with_the_claims(client, org, model, url):
    few_org, many_org = org, OrganisationFactory(code="big")
    few_buyer = UserFactory(organisation=few_org)
    many_buyer = UserFactory(organisation=many_org)
    add_claims(few_org, few_buyer, model, 5, "1")
    add_claims(many_org, many_buyer, model, 50, "2")
    client.force_login(few_buyer)
    few = queries(client, url)
    client.force_login(many_buyer)
    many = queries(client, url)
    assert few == many, f"{url}: {few} queries for 5 claims, {many} for 50"


def add_units(org, model, n, tag):
    units = [make_unit(org, model, f"SN-{tag}-{i:03d}") for i in range(n)]
    # D1: every fifth unit went out as a replacement; its verdict reads the replaced unit.
    for i, replacement in enumerate(units[::5]):
        replaced = make_unit(org, model, f"SN-{tag}-R{i:03d}", delivered_days_ago=300)
        ClaimItemFactory(
            claim=ClaimFactory(organisation=org, status="closed"),
            unit=replaced,
            replacement_unit=replacement,
            outbound_shipped_at=timezone.now(),
        )


def test_the_units_list_does_not_grow_with_the_units(client, org, model):
    many_org = OrganisationFactory(code="big")
    add_units(org, model, 5, "F")
    add_units(many_org, model, 50, "M")
    client.force_login(UserFactory(organisation=org))
    few = queries(client, "/units/")
    client.force_login(UserFactory(organisation=many_org))
    many = queries(client, "/units/")
    assert few == many, f"/units/: {few} queries for 5 units, {many} for 50"


def claim_with(buyer, org, model, n, tag):
    claim = ClaimFactory(organisation=org, author=buyer, status="draft")
    for i in range(n):
        ClaimItemFactory(claim=claim, unit=make_unit(org, model, f"SN-{tag}-{i}"), position=i)
    actor = Actor.buyer(buyer)
    for i in range(n):
        services.post_message(actor=actor, claim=claim, body=f"message {i}")
    item = claim.items.first()
    for _i in range(n):
        services.add_attachment(actor=actor, claim=claim, upload=png_upload(), item=item)
    return claim


def test_the_claim_page_does_not_grow_with_items_messages_and_events(
    buyer_client, buyer, org, model, settings
):
    settings.RMA_CLAIM_MAX_ATTACHMENTS = 50  # the default (40) would stop the big claim
    few = claim_with(buyer, org, model, 5, "F")
    many = claim_with(buyer, org, model, 50, "M")
    assert Attachment.objects.filter(claim=many).count() == 50
    assert queries(buyer_client, f"/claims/{few.pk}/") == queries(
        buyer_client, f"/claims/{many.pk}/"
    )


def test_the_draft_editor_does_not_grow_with_the_claims(buyer_client, buyer, org, model):
    add_claims(org, buyer, model, 5, "E")
    before = queries(buyer_client, "/claims/new/")
    add_claims(org, buyer, model, 45, "G")
    assert queries(buyer_client, "/claims/new/") == before
