"""`Idempotency-Key` on POSTs: replay of the first response, 422 for another request with the
same key, no double execution under concurrency, keys purged after 24 hours."""

import datetime
import json
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from accounts.services import create_api_key
from claims import services
from claims.models import Attachment, Claim, Message
from partner_api import idempotency
from partner_api.models import IdempotencyKey
from tests.factories import PNG

from .conftest import client_for, create_draft, item_payload

pytestmark = pytest.mark.django_db


def test_the_same_key_and_body_replays_the_first_response(api, unit):
    body = {"items": [item_payload(unit)]}

    first = api.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Claim.objects.count() == 1


def test_the_same_key_with_another_body_is_422_and_acts_not(api, unit, second_unit):
    api.post(
        "/api/v1/claims/",
        {"items": [item_payload(unit)]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )

    response = api.post(
        "/api/v1/claims/",
        {"items": [item_payload(second_unit)]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["errors"]
    assert Claim.objects.count() == 1


def test_the_same_key_on_another_path_is_422(api, unit):
    draft = create_draft(api, unit)
    api.post(f"/api/v1/claims/{draft['id']}/submit/", HTTP_IDEMPOTENCY_KEY="k-3")

    response = api.post(f"/api/v1/claims/{draft['id']}/cancel/", HTTP_IDEMPOTENCY_KEY="k-3")

    assert response.status_code == 422
    assert Claim.objects.get(pk=draft["id"]).status == "submitted"


def test_a_replayed_submit_answers_200_not_409(api, unit):
    draft = create_draft(api, unit)
    url = f"/api/v1/claims/{draft['id']}/submit/"

    first = api.post(url, HTTP_IDEMPOTENCY_KEY="submit-17")
    retry = api.post(url, HTTP_IDEMPOTENCY_KEY="submit-17")
    without_key = api.post(url)

    assert first.status_code == retry.status_code == 200
    assert retry.json()["rma_number"] == first.json()["rma_number"]
    assert without_key.status_code == 409


def test_a_failed_request_keeps_no_key_so_a_corrected_retry_may_use_it(api, unit):
    bad = api.post(
        "/api/v1/claims/",
        {"items": [item_payload(unit, serial_number="SN-NOPE")]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-4",
    )
    good = api.post(
        "/api/v1/claims/",
        {"items": [item_payload(unit)]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-4",
    )

    assert bad.status_code == 400
    assert good.status_code == 201
    assert IdempotencyKey.objects.get().response_status == 201


def test_keys_are_per_organisation(api, unit, stranger):
    mine = api.post(
        "/api/v1/claims/", {"items": [item_payload(unit)]}, format="json", HTTP_IDEMPOTENCY_KEY="x"
    )
    theirs = stranger["api"].post(
        "/api/v1/claims/",
        {"items": [item_payload(stranger["unit"], component=None)]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="x",
    )

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


def test_another_key_of_the_same_organisation_replays_too(api, org, unit):
    body = {"items": [item_payload(unit)]}
    first = api.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="rotate")
    _key, raw = create_api_key(organisation=org, label="rotated")

    retry = client_for(raw).post(
        "/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="rotate"
    )

    assert retry.json() == first.json()
    assert Claim.objects.count() == 1


def test_a_multipart_upload_replays_though_its_boundary_differs(api, unit):
    draft = create_draft(api, unit)
    url = f"/api/v1/claims/{draft['id']}/attachments/"

    def upload(content=PNG):
        return api.post(
            url,
            {"file": SimpleUploadedFile("a.png", content, "image/png")},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first, second = upload(), upload()
    other = upload(PNG + b"\x00")

    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert Attachment.objects.count() == 1


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "schlüssel"])
def test_a_malformed_key_is_400(api, unit, key):
    response = api.post(
        "/api/v1/claims/", {"items": [item_payload(unit)]}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert Claim.objects.count() == 0


def test_keys_older_than_24_hours_are_purged_and_count_as_unused(api, unit):
    body = {"items": [item_payload(unit)]}
    api.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))

    again = api.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Claim.objects.count() == 2

    IdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    api.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="new")
    assert idempotency.purge_expired() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_do_not_both_execute(api_key, unit, monkeypatch):
    """Two identical requests at once: one acts, the other waits for it and replays."""
    real_post_message = services.post_message

    def slow_post_message(**kwargs):
        message = real_post_message(**kwargs)
        time.sleep(0.5)  # hold the transaction (and the key's row) open
        return message

    monkeypatch.setattr(services, "post_message", slow_post_message)
    raw = api_key[1]
    draft = create_draft(client_for(raw), unit)
    url = f"/api/v1/claims/{draft['id']}/messages/"
    barrier = threading.Barrier(2)
    responses = []

    def send():
        try:
            barrier.wait()
            responses.append(
                client_for(raw).post(
                    url, {"body": "Once."}, format="json", HTTP_IDEMPOTENCY_KEY="race"
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert sorted(r.get("Idempotent-Replayed", "") for r in responses) == ["", "true"]
    assert Message.objects.filter(body="Once.").count() == 1


def test_the_same_json_in_other_whitespace_and_key_order_replays(api, unit):
    """The parsed JSON is compared, not the bytes: a pretty-printed retry is the same request."""
    body = {"items": [item_payload(unit)], "buyer_reference": "Ticket 4471"}
    compact = json.dumps(body, separators=(",", ":")).encode()
    pretty = json.dumps(dict(reversed(body.items())), indent=4, ensure_ascii=True).encode()

    first = api.generic(
        "POST",
        "/api/v1/claims/",
        compact,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="w",
    )
    second = api.generic(
        "POST", "/api/v1/claims/", pretty, content_type="application/json", HTTP_IDEMPOTENCY_KEY="w"
    )

    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert Claim.objects.count() == 1
