"""Threat: guessing API keys. After RMA_API_KEY_FAILURE_RATE wrong keys from one client address,
every request with a key from there gets 429 with Retry-After and the API's error body, until the
window ends; other addresses and the right key elsewhere are unaffected."""

import pytest
from rest_framework.test import APIClient

from accounts.services import create_api_key
from tests.factories import OrganisationFactory


@pytest.fixture(autouse=True)
def rate(settings):
    settings.RMA_API_KEY_FAILURE_RATE = "20/min"


@pytest.fixture
def raw_key(db):
    return create_api_key(organisation=OrganisationFactory(is_partner=True), label="t")[1]


def call(key, ip="203.0.113.7"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client.get("/api/v1/claims/", REMOTE_ADDR=ip)


def test_wrong_keys_are_refused_401_then_429_with_retry_after(raw_key):
    answers = [call(f"wrong-{n}").status_code for n in range(25)]

    assert answers[:20] == [401] * 20
    assert answers[20:] == [429] * 5
    last = call("wrong-again")
    assert 0 < int(last["Retry-After"]) <= 60
    (message,) = last.json()["errors"]["detail"]  # the API's one error body
    assert message.startswith("Too many failed API-key attempts from your network address.")


def test_the_right_key_from_the_guessing_address_waits_too(raw_key):
    for n in range(21):
        call(f"wrong-{n}")

    assert call(raw_key).status_code == 429
    assert call(raw_key, ip="192.0.2.50").status_code == 200


def test_a_forged_forwarded_for_header_does_not_dodge_the_count(raw_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key wrong")
    answers = [
        client.get(
            "/api/v1/claims/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        ).status_code
        for n in range(21)
    ]

    assert answers[-1] == 429
