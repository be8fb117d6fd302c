"""Staff's side of the partner API in the admin: API keys (created through the service, shown
once, revocable, hash never shown), webhook endpoints (secret, re-enable) and the delivery log."""

import re

import pytest
from django.contrib.auth.models import Permission

from accounts.models import ApiKey
from accounts.services import authenticate_api_key, create_api_key
from notifications.models import OutboxMessage
from partner_api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


def test_sales_staff_have_the_partner_api_permissions(staff):
    codenames = set(Permission.objects.filter(group__user=staff).values_list("codename", flat=True))

    assert {
        "add_apikey",
        "change_apikey",
        "view_webhookendpoint",
        "add_webhookendpoint",
        "change_webhookendpoint",
        "view_webhookdelivery",
    } <= codenames
    assert "change_webhookdelivery" not in codenames
    assert "delete_webhookdelivery" not in codenames


def test_adding_a_key_shows_the_raw_key_once_and_stores_only_its_hash(admin_client, org):
    response = admin_client.post(
        "/admin/accounts/apikey/add/", {"organisation": org.pk, "label": "ERP"}, follow=True
    )

    assert response.status_code == 200
    key = ApiKey.objects.get()
    page = response.content.decode()
    [raw] = re.findall(r"<code>(rma_[^<]+)</code>", page)
    assert authenticate_api_key(raw) == key
    assert (key.label, key.organisation) == ("ERP", org)
    assert key.key_hash not in page

    change_page = admin_client.get(f"/admin/accounts/apikey/{key.pk}/change/").content.decode()
    assert raw not in change_page and key.key_hash not in change_page
    assert key.prefix in change_page


def test_the_revoke_action_revokes_the_selected_keys(admin_client, org):
    key, raw = create_api_key(organisation=org)

    admin_client.post(
        "/admin/accounts/apikey/",
        {"action": "revoke", "_selected_action": [key.pk]},
        follow=True,
    )

    key.refresh_from_db()
    assert key.revoked_at is not None
    assert authenticate_api_key(raw) is None


def test_an_endpoint_added_in_the_admin_gets_a_secret_shown_to_staff(admin_client, org):
    response = admin_client.post(
        "/admin/partner_api/webhookendpoint/add/",
        {
            "organisation": org.pk,
            "url": "https://erp.acme.example/hooks/cpro",
            "events": ["claim.submitted", "document.ready"],
        },
        follow=True,
    )

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["claim.submitted", "document.ready"]
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in response.content.decode()
    change = admin_client.get(f"/admin/partner_api/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secret in change.content.decode()


def test_the_re_enable_action(admin_client, org):
    endpoint = WebhookEndpoint.objects.create(
        organisation=org, url="https://x.example/h", active=False, consecutive_failures=8
    )

    admin_client.post(
        "/admin/partner_api/webhookendpoint/",
        {"action": "reenable", "_selected_action": [endpoint.pk]},
    )

    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.consecutive_failures, endpoint.disabled_at) == (True, 0, None)


def test_the_delivery_log_is_read_only(admin_client, org):
    endpoint = WebhookEndpoint.objects.create(organisation=org, url="https://x.example/h")
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event="claim.submitted", payload={"type": "claim.submitted"}
    )

    listing = admin_client.get("/admin/partner_api/webhookdelivery/")
    detail = admin_client.get(f"/admin/partner_api/webhookdelivery/{delivery.pk}/change/")
    edit = admin_client.post(
        f"/admin/partner_api/webhookdelivery/{delivery.pk}/change/", {"status": "succeeded"}
    )

    assert listing.status_code == detail.status_code == 200
    assert "claim.submitted" in listing.content.decode()
    assert edit.status_code == 403
    assert admin_client.get("/admin/partner_api/webhookdelivery/add/").status_code == 403


def test_staff_redeliver_selected_missed_deliveries(admin_client, org):
    endpoint = WebhookEndpoint.objects.create(organisation=org, url="https://x.example/h")
    missed = [
        WebhookDelivery.objects.create(
            endpoint=endpoint, event="claim.submitted", payload={}, status=status
        )
        for status in (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED)
    ]
    delivered = WebhookDelivery.objects.create(
        endpoint=endpoint, event="claim.submitted", payload={}, status=DeliveryStatus.SUCCEEDED
    )

    response = admin_client.post(
        "/admin/partner_api/webhookdelivery/",
        {
            "action": "redeliver",
            "_selected_action": [d.pk for d in [*missed, delivered]],
        },
        follow=True,
    )

    assert "2 missed deliveries queued again." in response.content.decode()
    statuses = {d.pk: d.status for d in WebhookDelivery.objects.all()}
    assert statuses == {
        missed[0].pk: DeliveryStatus.PENDING,
        missed[1].pk: DeliveryStatus.PENDING,
        delivered.pk: DeliveryStatus.SUCCEEDED,
    }
    queued = set(OutboxMessage.objects.values_list("dedupe_key", flat=True))
    assert {k.rsplit(":", 2)[0] for k in queued} == {f"webhook:{d.pk}" for d in missed}


def test_staff_redeliver_every_missed_delivery_of_an_endpoint(admin_client, org):
    endpoint = WebhookEndpoint.objects.create(organisation=org, url="https://x.example/h")
    other = WebhookEndpoint.objects.create(organisation=org, url="https://y.example/h")
    mine = WebhookDelivery.objects.create(
        endpoint=endpoint, event="claim.submitted", payload={}, status=DeliveryStatus.SKIPPED
    )
    theirs = WebhookDelivery.objects.create(
        endpoint=other, event="claim.submitted", payload={}, status=DeliveryStatus.FAILED
    )

    response = admin_client.post(
        "/admin/partner_api/webhookendpoint/",
        {"action": "redeliver_missed", "_selected_action": [endpoint.pk]},
        follow=True,
    )

    assert "1 missed delivery queued again." in response.content.decode()
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


def test_an_http_endpoint_url_is_refused_in_the_admin(admin_client, org, settings):
    settings.DEBUG = False
    response = admin_client.post(
        "/admin/partner_api/webhookendpoint/add/",
        {"organisation": org.pk, "url": "http://partner.example/h", "events": ["claim.submitted"]},
    )

    assert response.status_code == 200
    assert "Use an https:// URL: webhooks carry claim data." in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_korean_clerk_is_told_in_korean_what_the_key_and_endpoint_actions_did(
    admin_client, staff, org
):
    staff.language = "ko"
    staff.save(update_fields=["language"])
    added = admin_client.post(
        "/admin/accounts/apikey/add/", {"organisation": org.pk, "label": "ERP"}, follow=True
    ).content.decode()
    key = ApiKey.objects.get()
    endpoint = WebhookEndpoint.objects.create(organisation=org, url="https://x.example/h")

    revoked = admin_client.post(
        "/admin/accounts/apikey/",
        {"action": "revoke", "_selected_action": [key.pk]},
        follow=True,
    ).content.decode()
    disabled = admin_client.post(
        "/admin/partner_api/webhookendpoint/",
        {"action": "disable", "_selected_action": [endpoint.pk]},
        follow=True,
    ).content.decode()
    enabled = admin_client.post(
        "/admin/partner_api/webhookendpoint/",
        {"action": "reenable", "_selected_action": [endpoint.pk]},
        follow=True,
    ).content.decode()

    assert f"{org}의 새 API 키입니다. 지금 한 번만 표시되니 바로 복사하십시오." in added
    assert "API 키 1개를 폐기했습니다." in revoked
    assert "선택한 API 키 폐기" in revoked  # the action's name in the list's menu
    assert "엔드포인트 1개를 사용 중지했습니다." in disabled
    assert "엔드포인트 1개를 다시 사용하도록 했습니다." in enabled
    assert "선택한 엔드포인트 다시 사용" in enabled
    endpoint.refresh_from_db()
    assert endpoint.active


def test_the_count_in_an_action_message_is_of_the_endpoints_acted_on(admin_client, org):
    endpoints = [
        WebhookEndpoint.objects.create(organisation=org, url=f"https://x.example/h{n}")
        for n in range(2)
    ]

    page = admin_client.post(
        "/admin/partner_api/webhookendpoint/",
        {"action": "disable", "_selected_action": [e.pk for e in endpoints]},
        follow=True,
    ).content.decode()

    assert "2 endpoints disabled." in page
    assert WebhookEndpoint.objects.filter(active=False).count() == 2
