"""The work queue page in the admin (issue 16): reasons, counts, assignment, a constant number
of queries whatever the number of claims."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation
from claims.models import Claim, ClaimStatus
from tests.factories import OrganisationFactory, UserFactory
from warranty.selectors import seoul_today

from .conftest import submitted_claim

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:claims_claim_queue")


def received_claims(n: int, organisation: Organisation, assigned_to=None) -> None:
    """``n`` returns waiting for inspection, made in bulk."""
    now = timezone.now()
    Claim.objects.bulk_create(
        Claim(
            organisation=organisation,
            status=ClaimStatus.RECEIVED,
            rma_number=f"RMA-2026-{n * 10 + i:06d}",
            notice_at=now,
            hold_until=datetime.date(2099, 1, 1),
            received_at=now - datetime.timedelta(days=i % 20),
            assigned_to=assigned_to,
        )
        for i in range(n)
    )


def test_the_queue_shows_why_and_how_long_with_counts_at_the_top(clerk_client):
    hold = submitted_claim(rma="RMA-2026-000001", hold_until=seoul_today())
    submitted_claim(
        rma="RMA-2026-000002",
        status=ClaimStatus.RECEIVED,
        hold_until=datetime.date(2099, 1, 1),
        received_at=timezone.now(),
    )
    html = clerk_client.get(QUEUE).content.decode()
    assert html.index("RMA-2026-000001") < html.index("RMA-2026-000002")
    assert 'id="count-hold"' in html and 'data-count="1"' in html
    assert "Hold ending (N4)" in html and "Received, not inspected (R2)" in html
    assert "0 working days" in html
    assert reverse("admin:claims_claim_change", args=[hold.pk]) in html


def test_query_count_does_not_grow_with_claims(clerk_client, clerk):
    organisation = OrganisationFactory()
    received_claims(10, organisation, assigned_to=clerk)
    with CaptureQueriesContext(connection) as ten:
        assert clerk_client.get(QUEUE).status_code == 200
    received_claims(990, organisation)
    with CaptureQueriesContext(connection) as thousand:
        response = clerk_client.get(QUEUE)
    assert response.status_code == 200
    assert 'data-count="1000"' in response.content.decode()
    assert len(ten) == len(thousand)
    with CaptureQueriesContext(connection) as mine:
        assert clerk_client.get(QUEUE + "?who=mine").status_code == 200
    assert len(mine) == len(thousand)


def test_mine_and_unassigned(clerk_client, clerk):
    mine = submitted_claim(rma="RMA-2026-000011", hold_until=seoul_today(), assigned_to=clerk)
    other = UserFactory(username="joon", organisation=None, is_staff=True)
    submitted_claim(rma="RMA-2026-000012", hold_until=seoul_today(), assigned_to=other)
    submitted_claim(rma="RMA-2026-000013", hold_until=seoul_today())
    assert mine.assigned_to == clerk

    def shown(who):
        html = clerk_client.get(QUEUE, {"who": who}).content.decode()
        return [n for n in ("000011", "000012", "000013") if f'data-rma="RMA-2026-{n}"' in html]

    assert shown("mine") == ["000011"]
    assert shown("unassigned") == ["000013"]
    assert shown("all") == ["000011", "000012", "000013"]


def test_taking_and_reassigning_a_claim_from_the_queue_is_logged(clerk_client, clerk):
    claim = submitted_claim(hold_until=seoul_today())
    other = UserFactory(username="joon", organisation=None, is_staff=True)
    url = reverse("admin:claims_claim_assign", args=[claim.pk])
    response = clerk_client.post(url, {"assignee": "me", "next": QUEUE + "?who=mine"})
    assert response.status_code == 302 and response["Location"] == QUEUE + "?who=mine"
    clerk_client.post(url, {"assignee": str(other.pk)})
    claim.refresh_from_db()
    assert claim.assigned_to == other
    assert list(claim.events.values_list("data", flat=True)) == [
        {"from": None, "to": "clerk"},
        {"from": "clerk", "to": "joon"},
    ]
    buyer = claim.author
    response = clerk_client.post(url, {"assignee": str(buyer.pk)}, follow=True)
    assert "only be assigned to active CPRO staff" in response.content.decode()
    claim.refresh_from_db()
    assert claim.assigned_to == other


def test_an_offsite_next_is_not_followed(clerk_client):
    claim = submitted_claim(hold_until=seoul_today())
    url = reverse("admin:claims_claim_assign", args=[claim.pk])
    response = clerk_client.post(url, {"assignee": "me", "next": "https://evil.example/"})
    assert response["Location"] == QUEUE


def test_the_dashboard_shows_the_queue_against_its_working_day_targets(clerk_client):
    submitted_claim(
        rma="RMA-2026-000021",
        status=ClaimStatus.RECEIVED,
        hold_until=datetime.date(2099, 1, 1),
        received_at=timezone.now() - datetime.timedelta(days=30),  # far past 3 working days
    )
    submitted_claim(
        rma="RMA-2026-000022",
        status=ClaimStatus.RECEIVED,
        hold_until=datetime.date(2099, 1, 1),
        received_at=timezone.now(),
    )
    html = clerk_client.get(reverse("admin:claims_claim_dashboard")).content.decode()
    section = html[html.index('id="targets"') :]
    row = section[section.index('data-reason="received"') :]
    row = row[: row.index("</tr>")]
    assert "<td>2</td>" in row and '<strong class="queue-overdue">1</strong>' in row
