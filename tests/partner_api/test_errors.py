"""One error body for every failure, even on URLs the API does not have."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/api/v1/nothing-here/"),
        ("post", "/api/v1/claims/1/explode/"),  # no CSRF page for a POST to a wrong URL
        ("get", "/api/v1/units/SN%00X/warranty/"),  # NUL never reaches PostgreSQL
        ("get", "/api/v1/claims/%C2%B3/"),  # "³" is a digit to str.isdigit(), not an id
        ("get", "/api/v1/claims/RMA-2026-000001/documents/x/download/"),
    ],
)
def test_unknown_urls_and_keys_are_404_in_the_error_body(api, method, url):
    response = getattr(api, method)(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"]["detail"]


def test_a_wrong_method_is_405_in_the_error_body(api):
    response = api.delete("/api/v1/claims/")

    assert response.status_code == 405
    assert response.json()["errors"]["detail"]
