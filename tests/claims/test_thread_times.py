"""The thread's waiting times on the claim (issue 19): the work queue reads them instead of
three subqueries per claim, so every act that writes the thread must keep them true."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from claims import services
from claims.models import Claim, ClaimEvent, Message
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

TIMES = ("last_buyer_message_at", "last_staff_message_at", "info_answered_at")


def stored(claim) -> dict:
    return Claim.objects.filter(pk=claim.pk).values(*TIMES).get()


def test_a_new_claim_waits_on_nobody(claim):
    assert stored(claim) == dict.fromkeys(TIMES)


def test_a_buyers_message_sets_the_buyers_time_only(claim, buyer):
    message = services.post_message(actor=buyer, claim=claim, body="Any news?")

    assert stored(claim) == {
        "last_buyer_message_at": message.created_at,
        "last_staff_message_at": None,
        "info_answered_at": None,
    }
    assert claim.last_buyer_message_at == message.created_at  # the caller's instance too


def test_a_staff_reply_sets_cpros_time_and_keeps_the_buyers(claim, buyer, staff):
    asked = services.post_message(actor=buyer, claim=claim, body="Any news?")
    reply = services.post_message(actor=staff, claim=claim, body="Tomorrow.")

    assert stored(claim)["last_buyer_message_at"] == asked.created_at
    assert stored(claim)["last_staff_message_at"] == reply.created_at


def test_the_newest_message_of_a_side_wins(claim, buyer):
    services.post_message(actor=buyer, claim=claim, body="First.")
    second = services.post_message(actor=buyer, claim=claim, body="Second.")

    assert stored(claim)["last_buyer_message_at"] == second.created_at


def test_an_internal_note_counts_for_nobody(claim, buyer, staff):
    asked = services.post_message(actor=buyer, claim=claim, body="Any news?")
    services.add_internal_note(actor=staff, claim=claim, body="Check the batch first.")

    assert stored(claim) == {
        "last_buyer_message_at": asked.created_at,
        "last_staff_message_at": None,
        "info_answered_at": None,
    }


def test_a_request_for_information_is_cpros_message(claim, staff):
    question = services.request_info(actor=staff, claim=claim, question="Which firmware?")

    assert stored(claim)["last_staff_message_at"] == question.created_at
    assert stored(claim)["info_answered_at"] is None


def test_the_answer_sets_the_buyers_time_and_the_answer_events_time(claim, buyer, staff):
    services.request_info(actor=staff, claim=claim, question="Which firmware?")
    answer = services.answer_info(actor=buyer, claim=claim, answer="v2.3.1")

    event = claim.events.get(kind="answer_info")
    row = stored(claim)
    # The act saves the status change after its body: the message's time survives it.
    assert claim.status == "submitted"
    assert row["last_buyer_message_at"] == answer.created_at
    assert row["info_answered_at"] == event.created_at


def test_a_buyer_message_while_information_is_requested_is_the_answer(claim, buyer, staff):
    services.request_info(actor=staff, claim=claim, question="Which firmware?")
    posted = services.post_buyer_message(actor=buyer, claim=claim, body="v2.3.1")

    assert posted.answered
    row = stored(claim)
    assert row["last_buyer_message_at"] == posted.message.created_at
    assert row["info_answered_at"] == claim.events.get(kind="answer_info").created_at


def test_a_second_answer_moves_the_answer_time(claim, buyer, staff):
    services.request_info(actor=staff, claim=claim, question="Which firmware?")
    services.answer_info(actor=buyer, claim=claim, answer="v2.3.1")
    services.request_info(actor=staff, claim=claim, question="And the serial label?")
    services.answer_info(actor=buyer, claim=claim, answer="Attached.")

    last = claim.events.filter(kind="answer_info").order_by("-seq").first()
    assert stored(claim)["info_answered_at"] == last.created_at


def test_the_migration_fills_the_times_the_acts_would_have_kept(claim, buyer, staff):
    services.request_info(actor=staff, claim=claim, question="Which firmware?")
    services.answer_info(actor=buyer, claim=claim, answer="v2.3.1")
    services.post_message(actor=staff, claim=claim, body="Thanks.")
    services.add_internal_note(actor=staff, claim=claim, body="Note.")
    services.post_message(actor=buyer, claim=claim, body="When?")
    kept = stored(claim)
    quiet = ClaimFactory(organisation=claim.organisation, status="submitted")
    Claim.objects.update(**dict.fromkeys(TIMES))

    migration = importlib.import_module("claims.migrations.0014_claim_thread_waiting_times")
    with connection.schema_editor() as editor:
        migration.fill_from_the_thread(apps, editor)

    assert stored(claim) == kept
    assert kept["info_answered_at"] == ClaimEvent.objects.get(kind="answer_info").created_at
    assert kept["last_staff_message_at"] == (
        Message.objects.filter(claim=claim, from_staff=True, internal=False)
        .latest("created_at")
        .created_at
    )
    assert stored(quiet) == dict.fromkeys(TIMES)
