"""Throttling per API key: 429 with Retry-After and the error body (SPEC "Partner API")."""

import pytest

from accounts.services import create_api_key

from .conftest import client_for

pytestmark = pytest.mark.django_db


def test_over_the_rate_a_key_gets_429_with_retry_after(settings, org, api):
    settings.RMA_API_RATE = "3/min"

    codes = [api.get("/api/v1/claims/").status_code for _ in range(3)]
    refused = api.get("/api/v1/claims/")

    assert codes == [200, 200, 200]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["errors"]["detail"][0]


def test_the_rate_is_counted_per_key(settings, org, api):
    settings.RMA_API_RATE = "2/min"
    _key, raw = create_api_key(organisation=org, label="second system")
    other = client_for(raw)

    for _ in range(2):
        api.get("/api/v1/claims/")

    assert api.get("/api/v1/claims/").status_code == 429
    assert other.get("/api/v1/claims/").status_code == 200
    assert api.get("/api/v1/units/SN-ANY/warranty/").status_code == 429  # every endpoint counts
