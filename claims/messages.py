"""The claim's thread: staff's questions (information requested), the buyer's answers and
messages, staff-only notes. Each message is one act whose event records it (N2: under its RMA).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django.db import transaction

from . import effects
from .actors import Actor
from .cleaning import required_body
from .models import Claim, ClaimStatus, Message
from .workflow import act


def _thread_message(
    action: str,
    *,
    actor: Actor,
    claim: Claim,
    value: Any,
    key: str,
    what: str,
    internal: bool = False,
) -> Message:
    """One message in the claim's thread, as one transition whose event records it (N2)."""
    with act(claim, action, actor) as step:
        body = required_body(value, key, what)
        message = Message.objects.create(
            claim=step.claim,
            author=actor.user,
            author_label=actor.label,
            from_staff=actor.is_staff,
            internal=internal,
            channel=actor.channel,
            body=body,
        )
        step.data.update({"message": message.pk, key: body})
        if internal:
            step.public = False  # off the buyer's timeline, out of their mailbox and webhooks
        else:
            step.tell_partners(effects.MESSAGE_CREATED)
            if action == "request_info":
                step.tell_buyer("info_requested")
            elif action == "answer_info":
                step.tell_buyer("info_answered")  # the buyer's confirmation, with the RMA
            elif actor.is_staff:
                step.tell_buyer("message")
    return message


def request_info(*, actor: Actor, claim: Claim, question: str) -> Message:
    """Staff ask the buyer a question in the thread; the claim waits for the answer.

    The N4 hold clock does not stop meanwhile (SPEC "Claim lifecycle": info_requested).
    """
    return _thread_message(
        "request_info", actor=actor, claim=claim, value=question, key="question", what="question"
    )


def answer_info(*, actor: Actor, claim: Claim, answer: str) -> Message:
    """The buyer answers staff's question; the claim is back under review (submitted)."""
    return _thread_message(
        "answer_info", actor=actor, claim=claim, value=answer, key="answer", what="answer"
    )


class BuyerMessage(NamedTuple):
    message: Message
    answered: bool  # it answered staff's request for information


def post_buyer_message(*, actor: Actor, claim: Claim, body: str) -> BuyerMessage:
    """A buyer writes in the thread, from the portal or the API alike: while staff wait for
    information it is the answer (the claim goes back under review), otherwise a message."""
    with transaction.atomic():
        status = (
            Claim.objects.select_for_update()
            .filter(pk=claim.pk)
            .values_list("status", flat=True)
            .first()
        )
        if status == ClaimStatus.INFO_REQUESTED:
            return BuyerMessage(answer_info(actor=actor, claim=claim, answer=body), True)
        return BuyerMessage(post_message(actor=actor, claim=claim, body=body), False)


def post_message(*, actor: Actor, claim: Claim, body: str) -> Message:
    """A message in the buyer ↔ staff thread, visible to both sides (N2: under its RMA)."""
    return _thread_message(
        "post_message", actor=actor, claim=claim, value=body, key="body", what="message"
    )


def add_internal_note(*, actor: Actor, claim: Claim, body: str) -> Message:
    """A staff-only note: never shown to buyers, and its event stays off their timeline."""
    return _thread_message(
        "internal_note",
        actor=actor,
        claim=claim,
        value=body,
        key="body",
        what="note",
        internal=True,
    )
