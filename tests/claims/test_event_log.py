"""The tamper-evident event log and `manage.py verify_event_log` (SPEC "Domain": event log;
issue 12: keyed, checkpointed, append-only in PostgreSQL)."""

from contextlib import contextmanager
from importlib import import_module

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from accounts.models import User
from claims import events as event_log
from claims.actors import Actor
from claims.events import verify_claim
from claims.models import ClaimEvent, EventLogCheckpoint
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


@contextmanager
def tampering():
    """A database superuser switches triggers off for the session (undone with the test's
    transaction): what the keyed chain and the checkpoints must then catch on their own."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        yield cursor
        cursor.execute("SET LOCAL session_replication_role = origin")


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
    with tampering() as cursor:
        cursor.execute(
            "UPDATE claims_claimevent SET data = %s WHERE claim_id = %s AND seq = 2",
            ['{"body": "rewritten"}', claim_with_events.pk],
        )

    assert run_verify() == 1
    err = capsys.readouterr().err
    assert f"claim {claim_with_events.pk}, event 2" in err
    assert "changed" in err


def test_a_deleted_event_row_in_the_middle_is_detected(claim_with_events, capsys):
    with tampering() as cursor:
        cursor.execute(
            "DELETE FROM claims_claimevent WHERE claim_id = %s AND seq = 2",
            [claim_with_events.pk],
        )

    assert run_verify() == 1
    assert "event 2: missing" in capsys.readouterr().err


def test_deleting_the_latest_event_is_detected_from_the_claims_head(claim_with_events):
    with tampering() as cursor:
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


def test_deleting_the_tail_and_rewinding_the_head_is_detected_by_the_checkpoint(
    claim_with_events, capsys
):
    assert event_log.checkpoint_all() == 1  # beat
    second = claim_with_events.events.get(seq=2)
    with tampering() as cursor:
        cursor.execute(
            "DELETE FROM claims_claimevent WHERE claim_id = %s AND seq = 3",
            [claim_with_events.pk],
        )
        cursor.execute(
            "UPDATE claims_claim SET event_count = 2, last_event_hash = %s WHERE id = %s",
            [second.hash, claim_with_events.pk],
        )

    assert run_verify() == 1
    err = capsys.readouterr().err
    assert f"claim {claim_with_events.pk}, event 3" in err
    assert "deleted and rewound" in err


def test_a_chain_recomputed_without_the_key_is_detected(claim_with_events, capsys):
    # The forger edits event 2 and recomputes 2 and 3 with the public SHA-256 the log once used.
    prev = claim_with_events.events.get(seq=1).hash
    with tampering() as cursor:
        for event in claim_with_events.events.filter(seq__gte=2).order_by("seq"):
            if event.seq == 2:
                event.data = {"body": "rewritten"}
            event.prev_hash = prev
            event.hash = event_log.unkeyed_event_hash(event)
            cursor.execute(
                "UPDATE claims_claimevent SET data = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [f'{{"body": "{event.data["body"]}"}}', event.prev_hash, event.hash, event.pk],
            )
            prev = event.hash
        cursor.execute(
            "UPDATE claims_claim SET last_event_hash = %s WHERE id = %s",
            [prev, claim_with_events.pk],
        )

    assert run_verify() == 1
    err = capsys.readouterr().err
    assert f"claim {claim_with_events.pk}, event 2: content changed" in err
    assert f"claim {claim_with_events.pk}, event 3: content changed" in err
    assert "signed without the key" in err


def test_every_break_of_every_claim_is_reported(claim_with_events, capsys):
    other = ClaimFactory(status="submitted", rma_number="RMA-2026-000002")
    staff = User.objects.get(username="clerk")
    with act(other, "internal_note", Actor.staff(staff), body="only"):
        pass
    with tampering() as cursor:
        cursor.execute(
            "UPDATE claims_claimevent SET actor_label = 'someone else' WHERE claim_id = %s",
            [claim_with_events.pk],
        )
        cursor.execute(
            "UPDATE claims_claimevent SET public = false WHERE claim_id = %s", [other.pk]
        )

    assert run_verify() == 1
    err = capsys.readouterr().err
    for seq in (1, 2, 3):
        assert f"claim {claim_with_events.pk}, event {seq}: content changed" in err
    assert f"claim {other.pk}, event 1: content changed" in err
    assert "4 breaks" in err


def test_update_and_delete_on_events_are_refused_by_postgresql(claim_with_events):
    for statement in (
        "UPDATE claims_claimevent SET kind = 'x' WHERE claim_id = %s",
        "DELETE FROM claims_claimevent WHERE claim_id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [claim_with_events.pk])
    assert claim_with_events.events.count() == 3
    assert run_verify() == 0


def test_checkpoints_are_written_when_a_log_grew_and_cannot_be_changed(claim_with_events):
    assert event_log.checkpoint_all() == 1
    assert event_log.checkpoint_all() == 0  # nothing new
    staff = User.objects.get(username="clerk")
    with act(claim_with_events, "internal_note", Actor.staff(staff), body="fourth"):
        pass
    assert event_log.checkpoint_all() == 1
    latest = EventLogCheckpoint.objects.order_by("-event_count").first()
    assert latest.event_count == 4 and event_log.checkpoint_is_genuine(latest)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        EventLogCheckpoint.objects.filter(pk=latest.pk).delete()


def test_a_rotated_key_signs_new_events_and_still_verifies_the_old(claim_with_events, settings):
    settings.RMA_EVENT_LOG_KEYS = {**settings.RMA_EVENT_LOG_KEYS, 2: "the-next-key"}
    staff = User.objects.get(username="clerk")
    with act(claim_with_events, "internal_note", Actor.staff(staff), body="fourth"):
        pass
    versions = list(claim_with_events.events.order_by("seq").values_list("key_version", flat=True))
    assert versions == [1, 1, 1, 2]
    assert run_verify() == 0
    settings.RMA_EVENT_LOG_KEYS = {2: "the-next-key"}  # key 1 dropped: its events cannot verify
    claim_with_events.refresh_from_db()
    assert "no known key (version 1)" in verify_claim(claim_with_events).problem


def legacy(claim, cursor) -> None:
    """Rewrite a claim's chain as it was before issue 12: public SHA-256, no key version."""
    prev = event_log.GENESIS
    for event in claim.events.order_by("seq"):
        event.prev_hash, event.key_version = prev, 0
        event.hash = event_log.unkeyed_event_hash(event)
        cursor.execute(
            "UPDATE claims_claimevent SET prev_hash = %s, hash = %s, key_version = 0 WHERE id = %s",
            [event.prev_hash, event.hash, event.pk],
        )
        prev = event.hash
    cursor.execute("UPDATE claims_claim SET last_event_hash = %s WHERE id = %s", [prev, claim.pk])


def test_the_migration_resigns_intact_legacy_chains_and_leaves_broken_ones_reported(
    claim_with_events, capsys
):
    from django.apps import apps

    resign = import_module("claims.migrations.0007_event_log_keyed_checkpoints_append_only").resign
    broken = ClaimFactory(status="submitted", rma_number="RMA-2026-000003")
    with act(broken, "internal_note", Actor.staff(User.objects.get(username="clerk")), body="x"):
        pass
    with tampering() as cursor:
        legacy(claim_with_events, cursor)
        legacy(broken, cursor)
        cursor.execute(
            "UPDATE claims_claimevent SET kind = 'forged' WHERE claim_id = %s", [broken.pk]
        )
        assert run_verify() == 1  # unkeyed rows never pass as they are
        capsys.readouterr()
        resign(apps, None)

    assert run_verify() == 1
    err = capsys.readouterr().err
    assert f"claim {claim_with_events.pk}," not in err
    assert f"claim {broken.pk}, event 1: signed with no known key (version 0)" in err
    claim_with_events.refresh_from_db()
    assert verify_claim(claim_with_events) is None
    assert set(claim_with_events.events.values_list("key_version", flat=True)) == {1}
    broken.refresh_from_db()
    assert "no known key (version 0)" in verify_claim(broken).problem
