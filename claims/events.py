"""The tamper-evident event log (SPEC "Domain": event log).

Each event's hash is an HMAC-SHA256, keyed with a secret kept out of the database
(``RMA_EVENT_LOG_KEYS``, versioned; the version is stored per event), of its content and the
previous event's hash in the same claim: whoever can write the table but lacks the key cannot
recompute the chain. The claim row holds the head (count and last hash), and beat writes
signed checkpoints of every claim's head (``checkpoint_all``), so deleting the tail and
rewinding the head is caught too. PostgreSQL refuses UPDATE and DELETE on events and
checkpoints (a trigger, migration 0005). Appending happens inside the transition's transaction
with the claim row locked, so the chain never forks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from .models import Claim, ClaimEvent, EventLogCheckpoint

GENESIS = "0" * 64
ANSWER_INFO = "answer_info"  # the buyer's answer to a request for information (the act's kind)


def _canonical(value) -> str:
    # JSON round trip first so what is hashed is exactly what the database stores and returns.
    plain = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def current_key_version() -> int:
    return max(settings.RMA_EVENT_LOG_KEYS)


def _mac(payload: str, key_version: int) -> str | None:
    """HMAC-SHA256 of ``payload`` with the key of that version; None for an unknown version."""
    key = settings.RMA_EVENT_LOG_KEYS.get(key_version)
    if key is None:
        return None
    return hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()


def event_hash(event: ClaimEvent, *, key_version: int | None = None) -> str | None:
    """The event's keyed hash (its own ``key_version`` unless another is given)."""
    return _mac(event_payload(event), event.key_version if key_version is None else key_version)


def unkeyed_event_hash(event: ClaimEvent) -> str:
    """The chain before issue 12 (public SHA-256): only the migration that re-signs uses it."""
    return hashlib.sha256(event_payload(event).encode()).hexdigest()


def event_payload(event: ClaimEvent) -> str:
    return _canonical(
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
        key_version=current_key_version(),
    )
    event.hash = event_hash(event)
    event.save()
    claim.event_count = event.seq
    claim.last_event_hash = event.hash
    head = {"event_count": event.seq, "last_event_hash": event.hash, "updated_at": event.created_at}
    if kind == ANSWER_INFO:  # the work queue waits on CPRO from then on (claims/queue.py)
        claim.info_answered_at = head["info_answered_at"] = event.created_at
    Claim.objects.filter(pk=claim.pk).update(**head)
    return event


@dataclass(frozen=True)
class BrokenLink:
    claim_id: int
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"claim {self.claim_id}, event {self.seq}: {self.problem}"


def problems(claim: Claim) -> list[BrokenLink]:
    """Every break in one claim's chain, its head and its latest checkpoint (empty: intact)."""
    found = []

    def broken(seq: int, problem: str) -> None:
        found.append(BrokenLink(claim.pk, seq, problem))

    prev = GENESIS
    expected_seq = 1
    hashes = {}
    for event in claim.events.order_by("seq").iterator():
        if event.seq != expected_seq:
            missing = (
                f"{expected_seq}"
                if event.seq == expected_seq + 1
                else (f"{expected_seq}–{event.seq - 1}")
            )
            broken(expected_seq, f"missing (deleted) event {missing}")
        elif event.prev_hash != prev:
            broken(event.seq, "does not follow the event before it")
        mac = event_hash(event)
        if mac is None:
            broken(event.seq, f"signed with no known key (version {event.key_version})")
        elif not hmac.compare_digest(mac, event.hash):
            broken(event.seq, "content changed after it was written, or signed without the key")
        hashes[event.seq] = event.hash
        prev = event.hash
        expected_seq = event.seq + 1
    last = expected_seq - 1
    if last != claim.event_count or prev != (claim.last_event_hash or GENESIS):
        broken(last + 1, "latest events missing (deleted): the claim's head does not match")
    checkpoint = claim.event_checkpoints.order_by("-event_count", "-pk").first()
    if checkpoint is not None:
        if not checkpoint_is_genuine(checkpoint):
            broken(checkpoint.event_count, "checkpoint not signed with the key")
        elif hashes.get(checkpoint.event_count) != checkpoint.head_hash:
            broken(
                checkpoint.event_count,
                f"the checkpoint of {checkpoint.created_at:%Y-%m-%d %H:%M} recorded "
                f"{checkpoint.event_count} events ending in {checkpoint.head_hash[:12]}…; "
                "the log no longer has them (deleted and rewound)",
            )
    return found


def verify_claim(claim: Claim) -> BrokenLink | None:
    """The first break of one claim's chain, or None."""
    found = problems(claim)
    return found[0] if found else None


def verify_all() -> Iterator[BrokenLink]:
    """Every break of every claim."""
    for claim in Claim.objects.order_by("pk").iterator():
        yield from problems(claim)


def _checkpoint_payload(checkpoint: EventLogCheckpoint) -> str:
    return _canonical(
        {
            "claim": checkpoint.claim_id,
            "count": checkpoint.event_count,
            "head": checkpoint.head_hash,
            "at": checkpoint.created_at.isoformat(),
        }
    )


def checkpoint_is_genuine(checkpoint: EventLogCheckpoint) -> bool:
    mac = _mac(_checkpoint_payload(checkpoint), checkpoint.key_version)
    return mac is not None and hmac.compare_digest(mac, checkpoint.mac)


def checkpoint_all() -> int:
    """Beat: record the head of every claim whose log grew since its last checkpoint (signed,
    append-only), so a later deletion of its tail with the head rewound is detected. Returns
    how many checkpoints were written."""
    written = 0
    claims = Claim.objects.filter(event_count__gt=0).order_by("pk")
    for claim in claims.iterator():
        latest = claim.event_checkpoints.order_by("-event_count", "-pk").first()
        if latest is not None and latest.event_count == claim.event_count:
            continue
        checkpoint = EventLogCheckpoint(
            claim=claim,
            event_count=claim.event_count,
            head_hash=claim.last_event_hash,
            created_at=timezone.now(),
            key_version=current_key_version(),
        )
        checkpoint.mac = _mac(_checkpoint_payload(checkpoint), checkpoint.key_version)
        checkpoint.save()
        written += 1
    return written
