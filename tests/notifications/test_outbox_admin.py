"""The outbox in the admin (issue 12): rows by state; "retry now" for who may change them."""

import pytest
from celery import current_app
from django.contrib.auth.models import Group
from django.urls import reverse

from notifications import outbox
from notifications.models import OutboxMessage, OutboxState
from tests.factories import UserFactory

CHANGELIST = reverse("admin:notifications_outboxmessage_changelist")


@pytest.fixture
def given_up(db):
    current_app.control.purge()
    yield OutboxMessage.objects.create(
        task_name="notifications.tasks.send_claim_email",
        args=[1, "submitted"],
        dedupe_key="event:1:email:submitted",
        state=OutboxState.GAVE_UP,
        handovers=6,
        last_error="Not done after 6 hand-overs to the broker.",
    )
    current_app.control.purge()


def test_sales_staff_see_the_outbox_by_state_without_retry_now(client, given_up):
    clerk = UserFactory(username="clerk", organisation=None, is_staff=True, language="en")
    clerk.groups.add(Group.objects.get(name="Sales staff"))
    client.force_login(clerk)

    page = client.get(CHANGELIST, {"state__exact": "gave_up"})
    assert page.status_code == 200
    assert "Not done after 6 hand-overs" in page.text
    assert 'value="retry_now"' not in page.text
    assert "Gave up" in page.text


def test_retry_now_hands_a_given_up_row_to_the_broker_again(
    client, given_up, django_capture_on_commit_callbacks
):
    client.force_login(
        UserFactory(organisation=None, is_staff=True, is_superuser=True, language="en")
    )
    assert 'value="retry_now"' in client.get(CHANGELIST).text

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CHANGELIST, {"action": "retry_now", "_selected_action": [given_up.pk]}, follow=True
        )
    assert "1 message handed to the broker again." in response.text
    given_up.refresh_from_db()
    assert given_up.state == OutboxState.PUBLISHED and given_up.handovers == 7
    with current_app.connection_for_write() as connection:
        assert connection.default_channel.client.llen("mail") == 1  # its queue (CELERY_TASK_ROUTES)
    current_app.control.purge()
    assert outbox.retry_now([given_up.pk]) == 1  # not done yet: may be retried again
