"""The tamper-evident event log and `manage.py verify_event_log` (SPEC "Domain": event log)."""

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import User
from claims.actors import Actor
from claims.events import verify_claim
from claims.models import ClaimEvent
from claims.workflow import act
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim_with_events():
    claim = ClaimFactory(status="submitted", rma_number="RMA-2026-000001")
    staff = User.objects.create(username="clerk", is_staff=True)
    for body in ("first", "second", "third"):
        with act(claim, "internal_note", Actor.staff(staff), body=body):
            pass
    return claim


def run_verify():
    try:
        call_command("verify_event_log")
    except SystemExit as exit_:
        return exit_.code
    return 0


def test_events_form_a_chain_and_verify_passes(claim_with_events, capsys):
    events = list(claim_with_events.events.order_by("seq"))

    assert [e.seq for e in events] == [1, 2, 3]
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert run_verify() == 0
    assert "intact" in capsys.readouterr().out


def test_an_edited_event_row_is_detected(claim_with_events, capsys):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE claims_claimevent SET data = %s WHERE claim_id = %s AND seq = 2",
            ['{"body": "rewritten"}', claim_with_events.pk],
        )

    assert run_verify() == 1
    err = capsys.readouterr().err
    assert f"claim {claim_with_events.pk}, event 2" in err
    assert "changed" in err


def test_a_deleted_event_row_in_the_middle_is_detected(claim_with_events, capsys):
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM claims_claimevent WHERE claim_id = %s AND seq = 2",
            [claim_with_events.pk],
        )

    assert run_verify() == 1
    assert "event 2: missing" in capsys.readouterr().err


def test_deleting_the_latest_event_is_detected_from_the_claims_head(claim_with_events):
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM claims_claimevent WHERE claim_id = %s AND seq = 3",
            [claim_with_events.pk],
        )
    claim_with_events.refresh_from_db()

    broken = verify_claim(claim_with_events)

    assert broken is not None and "latest events missing" in broken.problem


def test_events_cannot_be_changed_or_deleted_through_the_orm(claim_with_events):
    event = ClaimEvent.objects.filter(claim=claim_with_events).first()

    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
