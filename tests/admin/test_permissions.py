"""The "Sales staff" group holds what daily work needs, no more; buyers never reach the admin."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from claims.models import ClaimStatus, DefectReason
from tests.factories import UserFactory

from .conftest import submitted_claim

pytestmark = pytest.mark.django_db

CLAIMS_AND_NOTIFICATIONS = {
    "claims.view_claim",
    "claims.change_claim",
    "claims.view_claimitem",
    "claims.view_message",
    "claims.add_message",
    "claims.view_attachment",
    "claims.view_document",
    "claims.view_claimevent",
    "claims.view_creditnote",
    "claims.view_debitnote",
    "claims.view_charge",
    "claims.view_defectreason",
    "claims.change_defectreason",
    "claims.view_supportcontact",
    "claims.change_supportcontact",
    "claims.view_feeschedule",  # D2: fees per currency, superseded by a new dated row
    "claims.add_feeschedule",
    "claims.change_feeschedule",
    "notifications.view_outboxmessage",
    "notifications.view_sentemail",
    "notifications.view_reminder",
}


def group_permissions(app_labels):
    group = Group.objects.get(name="Sales staff")
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
        if p.content_type.app_label in app_labels
    }


def test_sales_staff_get_exactly_the_claim_permissions_of_daily_work():
    assert group_permissions({"claims", "notifications"}) == CLAIMS_AND_NOTIFICATIONS


def test_nothing_issued_can_be_deleted_and_no_event_or_number_changed():
    granted = group_permissions({"claims", "notifications"})

    assert not {p for p in granted if ".delete_" in p}
    for model in ["claimevent", "creditnote", "debitnote", "charge", "document", "claimitem"]:
        assert f"claims.change_{model}" not in granted
        assert f"claims.add_{model}" not in granted
    assert "claims.change_numbersequence" not in granted


def test_a_sales_clerk_who_is_not_a_superuser_works_in_the_admin(clerk_client, clerk):
    claim = submitted_claim(items=1)
    assert not clerk.is_superuser

    for url in [
        reverse("admin:index"),
        reverse("admin:claims_claim_changelist"),
        reverse("admin:claims_claim_change", args=[claim.pk]),
        reverse("admin:claims_claim_dashboard"),
        reverse("admin:claims_claim_act", args=[claim.pk, "request-info"]),
        reverse("admin:claims_defectreason_changelist"),
        reverse("admin:claims_creditnote_changelist"),
        reverse("admin:claims_debitnote_changelist"),
        reverse("admin:claims_charge_changelist"),
        reverse("admin:claims_document_changelist"),
        reverse("admin:notifications_sentemail_changelist"),
    ]:
        assert clerk_client.get(url).status_code == 200, url


def test_the_admin_index_links_the_dashboard(clerk_client):
    page = clerk_client.get(reverse("admin:index"))

    assert reverse("admin:claims_claim_dashboard") in page.text


def test_claims_are_never_added_or_deleted_in_the_admin(clerk_client):
    claim = submitted_claim(items=1)

    assert clerk_client.get(reverse("admin:claims_claim_add")).status_code == 403
    assert (
        clerk_client.get(reverse("admin:claims_claim_delete", args=[claim.pk])).status_code == 403
    )
    page = clerk_client.get(reverse("admin:claims_claim_changelist"))
    assert "delete_selected" not in page.text


def test_staff_who_may_only_view_claims_see_no_acts_and_cannot_post_them(client):
    viewer = UserFactory(organisation=None, is_staff=True, language="en")
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="claims", codename="view_claim")
    )
    client.force_login(viewer)
    claim = submitted_claim(items=1)
    act_url = reverse("admin:claims_claim_act", args=[claim.pk, "reject"])

    page = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert page.status_code == 200
    assert act_url not in page.text

    response = client.post(act_url, {"text": "No."})
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


@pytest.mark.parametrize("name", ["changelist", "dashboard", "act", "change"])
def test_a_buyer_cannot_reach_the_admin_or_the_dashboard(client, name):
    claim = submitted_claim(items=1)
    buyer = claim.author
    assert not buyer.is_staff
    client.force_login(buyer)
    url = {
        "changelist": reverse("admin:claims_claim_changelist"),
        "dashboard": reverse("admin:claims_claim_dashboard"),
        "act": reverse("admin:claims_claim_act", args=[claim.pk, "reject"]),
        "change": reverse("admin:claims_claim_change", args=[claim.pk]),
    }[name]

    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    response = client.post(url, {"text": "Rejecting my own claim."})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


def test_sales_staff_edit_defect_reasons_but_never_delete_them(clerk_client):
    reason = DefectReason.objects.get(code="power")
    url = reverse("admin:claims_defectreason_change", args=[reason.pk])

    response = clerk_client.post(
        url,
        {
            "name_en": "Does not power on at all",
            "name_ko": reason.name_ko,
            "photo_required": "on",
            "active": "on",
            "position": reason.position,
        },
    )

    assert response.status_code == 302
    reason.refresh_from_db()
    assert (reason.code, reason.name_en, reason.photo_required) == (
        "power",
        "Does not power on at all",
        True,
    )
    delete = reverse("admin:claims_defectreason_delete", args=[reason.pk])
    assert clerk_client.post(delete, {"post": "yes"}).status_code == 403
