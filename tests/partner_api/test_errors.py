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


def test_an_unexpected_failure_is_500_in_the_error_body_and_changes_nothing(api, unit, monkeypatch):
    from claims import services
    from claims.models import Claim
    from tests.partner_api.conftest import item_payload

    draft = api.post("/api/v1/claims/", {"items": [item_payload(unit)]}, format="json").json()

    def broken(**kwargs):
        raise RuntimeError("a bug, not a refusal")

    monkeypatch.setattr(services, "submit", broken)
    response = api.post(f"/api/v1/claims/{draft['id']}/submit/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "errors": {"detail": ["Something went wrong on our side; please try again."]}
    }
    assert Claim.objects.get(pk=draft["id"]).status == "draft"


def test_a_500_outside_a_view_is_json_on_api_paths_and_html_elsewhere(rf):
    from rma_portal import urls, views

    assert urls.handler500 == "rma_portal.views.server_error"
    api_error = views.server_error(rf.get("/api/v1/claims/"))
    assert api_error.status_code == 500 and api_error["Content-Type"] == "application/json"
    assert b'"errors"' in api_error.content
    page = views.server_error(rf.get("/claims/"))
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
