"""Every portal page renders for a buyer, shows their organisation's data, and asks strangers to
sign in; CPRO staff are sent to the admin, not into a buyer's view."""

import pytest
from django.urls import reverse

from .helpers import draft_for, submitted_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(buyer, unit):
    return submitted_for(buyer, [unit])


def buyer_pages(claim, unit):
    return [
        reverse("portal:units"),
        reverse("portal:unit", args=[unit.serial_number]),
        reverse("portal:warranty_check"),
        reverse("portal:claims"),
        reverse("portal:claim_new"),
        reverse("portal:claim", args=[claim.pk]),
        reverse("portal:claim_preview") + "?prefix=items-0",
        reverse("portal:component_options") + "?serial=" + unit.serial_number,
    ]


def test_every_buyer_page_renders(buyer_client, claim, unit):
    for url in buyer_pages(claim, unit):
        response = buyer_client.get(url)
        assert response.status_code == 200, url


def test_the_draft_editor_renders(buyer_client, buyer, unit):
    draft = draft_for(buyer, [unit])
    response = buyer_client.get(reverse("portal:claim_edit", args=[draft.pk]))
    assert response.status_code == 200
    assert unit.serial_number in response.text


def test_anonymous_visitors_are_sent_to_sign_in(client, claim, unit):
    for url in buyer_pages(claim, unit) + [reverse("portal:claim_edit", args=[claim.pk])]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next="), url


def test_anonymous_posts_are_sent_to_sign_in_and_change_nothing(client, claim):
    for name in ["claim_message", "claim_cancel", "claim_shipment", "claim_submit"]:
        response = client.post(reverse(f"portal:{name}", args=[claim.pk]), {"body": "hi"})
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    claim.refresh_from_db()
    assert claim.status == "submitted" and not claim.messages.exists()


def test_the_home_page_introduces_the_portal_to_visitors(client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    assert "Sign in" in response.text and "N1" in response.text


def test_staff_get_no_buyer_pages(client, staff, claim, unit):
    client.force_login(staff)
    for url in buyer_pages(claim, unit):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "CPRO staff work on claims in the staff admin" in response.text
    home = client.get(reverse("portal:home"))
    assert reverse("admin:index") in home.text
    assert "Units" not in home.text  # no buyer navigation


def test_a_user_without_an_organisation_gets_no_buyer_pages(client, django_user_model, unit):
    loner = django_user_model.objects.create_user(username="loner", password="x-pass-12345")
    client.force_login(loner)
    assert client.get(reverse("portal:units")).status_code == 403


def test_the_portal_does_not_link_to_staff_only_pages(buyer_client, claim):
    response = buyer_client.get(reverse("portal:claim", args=[claim.pk]))
    assert "/admin/" not in response.text
    assert buyer_client.get(reverse("admin:index")).status_code == 302  # the admin's own login


def test_pages_use_local_assets_only(buyer_client):
    response = buyer_client.get(reverse("portal:claim_new"))
    assert "/static/vendor/htmx/htmx.min.js" in response.text
    assert "https://" not in response.text.split("</head>")[0]
