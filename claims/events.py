"""The tamper-evident event log (SPEC "Domain": event log).

Each event's hash covers its content and the previous event's hash in the same claim; the claim
row holds the head (count and last hash). Appending happens inside the transition's transaction
with the claim row locked, so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from .models import Claim, ClaimEvent

GENESIS = "0" * 64


def _canonical(value) -> str:
    # JSON round trip first so what is hashed is exactly what the database stores and returns.
    plain = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event: ClaimEvent) -> str:
    payload = _canonical(
        {
            "claim": event.claim_id,
            "seq": event.seq,
            "kind": event.kind,
            "actor": event.actor_id,
            "actor_label": event.actor_label,
            "channel": event.channel,
            "from": event.from_status,
            "to": event.to_status,
            "data": event.data,
            "public": event.public,
            "at": event.created_at.isoformat(),
            "prev": event.prev_hash,
        }
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def append_event(
    claim: Claim,
    *,
    kind: str,
    actor_user=None,
    actor_label: str,
    channel: str,
    from_status: str = "",
    to_status: str = "",
    data: dict | None = None,
    public: bool = True,
) -> ClaimEvent:
    """Append one event. The caller holds the claim row locked (select_for_update)."""
    event = ClaimEvent(
        claim=claim,
        seq=claim.event_count + 1,
        kind=kind,
        actor=actor_user,
        actor_label=actor_label,
        channel=channel,
        from_status=from_status,
        to_status=to_status,
        data=json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder)),
        public=public,
        created_at=timezone.now(),
        prev_hash=claim.last_event_hash or GENESIS,
    )
    event.hash = event_hash(event)
    event.save()
    claim.event_count = event.seq
    claim.last_event_hash = event.hash
    Claim.objects.filter(pk=claim.pk).update(
        event_count=event.seq, last_event_hash=event.hash, updated_at=event.created_at
    )
    return event


@dataclass(frozen=True)
class BrokenLink:
    claim_id: int
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"claim {self.claim_id}, event {self.seq}: {self.problem}"


def verify_claim(claim: Claim) -> BrokenLink | None:
    """The first broken link of one claim's chain, or None."""
    prev = GENESIS
    expected_seq = 1
    for event in claim.events.order_by("seq").iterator():
        if event.seq != expected_seq:
            return BrokenLink(claim.pk, expected_seq, "missing (deleted) event")
        if event.prev_hash != prev:
            return BrokenLink(claim.pk, event.seq, "does not follow the event before it")
        if event_hash(event) != event.hash:
            return BrokenLink(claim.pk, event.seq, "content changed after it was written")
        prev = event.hash
        expected_seq += 1
    if expected_seq - 1 != claim.event_count or prev != (claim.last_event_hash or GENESIS):
        return BrokenLink(claim.pk, expected_seq, "latest events missing (deleted)")
    return None


def verify_all() -> Iterator[BrokenLink]:
    for claim in Claim.objects.order_by("pk").iterator():
        broken = verify_claim(claim)
        if broken is not None:
            yield broken
