"""Threat: scraping or guessing document codes on the public verification page. At most
RMA_VERIFY_RATE lookups per client address; then 429 with Retry-After."""

import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def rate(settings):
    settings.RMA_VERIFY_RATE = "30/min"


def test_the_verification_page_is_rate_limited_per_client(db):
    client = Client()
    answers = [
        client.get(f"/verify/ZZZZ-ZZZZ-{n:04d}/", REMOTE_ADDR="203.0.113.7").status_code
        for n in range(31)
    ]
    elsewhere = client.get("/verify/ZZZZ-ZZZZ-0000/", REMOTE_ADDR="192.0.2.50")

    assert answers[:30] == [404] * 30  # unknown codes, answered
    assert answers[30] == 429
    assert elsewhere.status_code == 404


def test_the_refusal_says_when_to_come_back(db):
    client = Client()
    for _ in range(30):
        client.get("/verify/?code=ZZZZ", REMOTE_ADDR="203.0.113.7")

    response = client.get("/verify/?code=ZZZZ", REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 429
    assert "Too many requests" in response.text
    assert 0 < int(response["Retry-After"]) <= 60
