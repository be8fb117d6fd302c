"""`GET /api/v1/claims/`: cursor pagination (last change first) and the status and
``updated_since`` filters."""

import datetime

import pytest
from django.utils import timezone

from claims.models import Claim

from .conftest import create_draft, make_unit, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_claims(api, org):
    """Five drafts, changed one hour apart (the oldest first), the newest one submitted."""
    ids = []
    for n in range(5):
        ids.append(create_draft(api, make_unit(org, f"SN-P-{n}"))["id"])
    base = timezone.now() - datetime.timedelta(days=1)
    for n, pk in enumerate(ids):
        Claim.objects.filter(pk=pk).update(updated_at=base + datetime.timedelta(hours=n))
    return ids


def walk(api, url):
    seen, pages = [], 0
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [c["id"] for c in body["results"]]
        url, pages = body["next"], pages + 1
    return seen, pages


def test_the_cursor_walks_every_claim_once_last_changed_first(api, five_claims):
    seen, pages = walk(api, "/api/v1/claims/?page_size=2")

    assert seen == list(reversed(five_claims))
    assert pages == 3


def test_claims_changed_on_the_same_instant_are_ordered_by_id_and_none_is_lost(api, five_claims):
    Claim.objects.update(updated_at=timezone.now())

    seen, _pages = walk(api, "/api/v1/claims/?page_size=2")

    assert seen == sorted(five_claims, reverse=True)


def test_previous_leads_back(api, five_claims):
    first = api.get("/api/v1/claims/?page_size=2").json()
    second = api.get(first["next"]).json()

    back = api.get(second["previous"]).json()

    assert back["results"] == first["results"]
    assert first["previous"] is None


def test_filter_by_status(api, org, five_claims):
    done = submitted(api, make_unit(org, "SN-P-S"))

    drafts = api.get("/api/v1/claims/?status=draft").json()["results"]
    submitted_only = api.get("/api/v1/claims/?status=submitted").json()["results"]

    assert sorted(c["id"] for c in drafts) == sorted(five_claims)
    assert [c["id"] for c in submitted_only] == [done["id"]]


def test_filter_by_updated_since(api, five_claims):
    since = Claim.objects.get(pk=five_claims[3]).updated_at

    for value in (since.isoformat(), since.astimezone(datetime.UTC).isoformat()):
        response = api.get("/api/v1/claims/", {"updated_since": value})
        assert [c["id"] for c in response.json()["results"]] == [five_claims[4], five_claims[3]]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"status": "lost"}, "status"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "2026-13-01T00:00:00Z"}, "updated_since"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"status": ""}, "status"),
        ({"updated_since": ""}, "updated_since"),
        ({"updated_since": "  "}, "updated_since"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "-5"}, "page_size"),
        ({"page_size": "abc"}, "page_size"),
        ({"page_size": ""}, "page_size"),
        ({"page_size": "201"}, "page_size"),
        ({"page_size": "²"}, "page_size"),
    ],
)
def test_a_bad_filter_or_cursor_is_400(api, five_claims, query, field):
    response = api.get("/api/v1/claims/", query)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_page_size_at_the_maximum_is_served(api, five_claims):
    response = api.get("/api/v1/claims/", {"page_size": "200"})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 5


def test_the_messages_name_what_is_wrong(api, five_claims):
    empty = api.get("/api/v1/claims/", {"status": ""}).json()["errors"]
    assert empty == {"status": ["This filter is empty: leave it out or give a value."]}
    size = api.get("/api/v1/claims/", {"page_size": "0"}).json()["errors"]
    assert size == {"page_size": ["Use a whole number from 1 to 200."]}
