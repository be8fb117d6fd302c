"""The claim lifecycle (SPEC "Claim lifecycle"): which act may happen in which status, by whom.

Every act on a claim runs through ``act``: it locks the claim row, checks the status and the
role, lets the service change rows, then sets the new status and appends the event, all in one
transaction. A refused act raises a DomainError and changes nothing (STYLE 2).

Side effects are named by the act that causes them, inside its body: ``step.tell_buyer(...)``,
``step.tell_staff(...)``, ``step.tell_partners(...)`` (and documents through
``claims.document_service.request_document``). ``act`` queues what was named right after the
event is appended, in the same transaction, through the outbox: committed with the change or not
at all. The one effect ``act`` adds by itself is the one it causes itself: a status change is
told to partners as ``claim.status_changed``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction
from django.utils.translation import gettext as _

from rma_portal.exceptions import Forbidden, InvalidState, NotFound

from . import effects
from .actors import BUYER, STAFF, SYSTEM, Actor
from .events import append_event
from .models import OPEN_STATUSES, Claim, ClaimEvent
from .models import ClaimStatus as S

BEFORE_SHIPPING = {S.DRAFT, S.SUBMITTED, S.INFO_REQUESTED, S.RETURN_AUTHORIZED}
UNDER_REVIEW = {S.SUBMITTED, S.INFO_REQUESTED}


@dataclass(frozen=True)
class Rule:
    sources: frozenset[str]
    roles: frozenset[str]
    target: str | None  # None: the status stays


def rule(sources, roles, target=None) -> Rule:
    return Rule(frozenset(sources), frozenset(roles), target)


# The one table of the lifecycle. Acts that keep the status (messages, notes) are here too, so
# "who may do what when" has exactly one answer.
RULES: dict[str, Rule] = {
    "edit_draft": rule({S.DRAFT}, {BUYER}),
    "submit": rule({S.DRAFT}, {BUYER}, S.SUBMITTED),  # N1, N2, N3, N4
    "request_info": rule(UNDER_REVIEW, {STAFF}, S.INFO_REQUESTED),
    "answer_info": rule({S.INFO_REQUESTED}, {BUYER}, S.SUBMITTED),
    "grant_notice_exception": rule(UNDER_REVIEW | {S.RETURN_AUTHORIZED}, {STAFF}),  # N1
    "authorize_return": rule(UNDER_REVIEW, {STAFF}, S.RETURN_AUTHORIZED),  # R1
    "record_shipment": rule({S.RETURN_AUTHORIZED}, {BUYER}, S.SHIPPED),
    "receive": rule({S.RETURN_AUTHORIZED, S.SHIPPED}, {STAFF}, S.RECEIVED),  # R2
    "refuse": rule(UNDER_REVIEW | {S.RETURN_AUTHORIZED, S.SHIPPED}, {STAFF}, S.REFUSED),  # R1/R2
    "inspect": rule(UNDER_REVIEW | {S.RECEIVED}, {STAFF}, S.INSPECTED),  # D1, D2, W2, W5
    "issue_credit_note": rule({S.INSPECTED}, {STAFF}),  # D1
    "charge": rule({S.INSPECTED}, {STAFF}),  # D2
    "waive_charge": rule({S.INSPECTED}, {STAFF}),  # D2
    "issue_debit_note": rule({S.INSPECTED}, {STAFF}),  # D2
    "ship_outbound": rule({S.INSPECTED}, {STAFF}),  # D1 repair / replacement
    "close": rule({S.INSPECTED}, {STAFF}, S.CLOSED),
    "reject": rule(UNDER_REVIEW, {STAFF}, S.REJECTED),
    "cancel": rule(BEFORE_SHIPPING, {BUYER}, S.CANCELLED),
    "post_message": rule(BEFORE_SHIPPING | {S.SHIPPED, S.RECEIVED, S.INSPECTED}, {BUYER, STAFF}),
    "internal_note": rule(set(S.values), {STAFF}),
    "assign": rule(OPEN_STATUSES, {STAFF}),  # who works the claim (staff queue)
    "attach": rule(BEFORE_SHIPPING | {S.SHIPPED, S.RECEIVED, S.INSPECTED}, {BUYER, STAFF}),
    "hold_ended": rule(set(S.values) - {S.DRAFT}, {SYSTEM}),  # N4
    "document_issued": rule(set(S.values) - {S.DRAFT}, {SYSTEM, STAFF}),
    "void_document": rule(set(S.values) - {S.DRAFT}, {STAFF}),
}


def allowed(action: str, status: str, role: str) -> bool:
    spec = RULES[action]
    return status in spec.sources and role in spec.roles


def check_actor(claim: Claim, actor: Actor, action: str) -> None:
    """Role and organisation: a buyer acts only on their own organisation's claims."""
    spec = RULES[action]
    if actor.is_buyer and (
        actor.organisation is None or actor.organisation.pk != claim.organisation_id
    ):
        # Another organisation's claim is not found, never "forbidden": no existence leak.
        raise NotFound(_("No such claim."))
    if actor.role not in spec.roles:
        raise Forbidden(
            _("Only CPRO staff may do this.")
            if STAFF in spec.roles
            else _("CPRO staff cannot do this on the buyer's behalf.")
        )


@dataclass
class Step:
    """What the service body sees and fills: the locked claim and the event's data."""

    claim: Claim
    action: str
    actor: Actor
    to_status: str | None
    data: dict = field(default_factory=dict)
    public: bool = True
    effects: list[Callable[[ClaimEvent], object]] = field(default_factory=list)

    def tell_buyer(self, email: str) -> None:
        """E-mail the buyer about this act: ``email`` names the template (notifications.emails),
        sent once, in the organisation's language."""
        self.effects.append(partial(effects.email, kind=email, audience="buyer"))

    def tell_staff(self, email: str) -> None:
        """E-mail CPRO's sales staff about this act (``email`` as for ``tell_buyer``)."""
        self.effects.append(partial(effects.email, kind=email, audience="staff"))

    def tell_partners(self, webhook: str) -> None:
        """Send the organisation's webhook endpoints the event ``webhook`` (e.g.
        ``message.created``), signed, retried with backoff."""
        self.effects.append(partial(effects.webhook, name=webhook))


@contextmanager
def act(claim: Claim | int, action: str, actor: Actor, **data) -> Iterator[Step]:
    """Run one guarded act on a claim: lock, check, change, record — or change nothing."""
    spec = RULES[action]
    claim_id = claim.pk if isinstance(claim, Claim) else claim
    with transaction.atomic():
        locked = Claim.objects.select_for_update().filter(pk=claim_id).first()
        if locked is None:
            raise NotFound(_("No such claim."))
        check_actor(locked, actor, action)
        if locked.status not in spec.sources:
            raise InvalidState(
                _("This cannot be done while the claim is %(status)s.")
                % {"status": locked.get_status_display().lower()}
            )
        step = Step(claim=locked, action=action, actor=actor, to_status=spec.target, data=data)
        yield step
        from_status = locked.status
        if step.to_status and step.to_status != from_status:
            locked.status = step.to_status
            locked.save()
        event = append_event(
            locked,
            kind=action,
            actor_user=actor.user,
            actor_label=actor.label,
            channel=actor.channel,
            from_status=from_status,
            to_status=locked.status,
            data=step.data,
            public=step.public,
        )
        if event.public and from_status != locked.status:
            step.tell_partners(effects.CLAIM_STATUS_CHANGED)
        for effect in step.effects:
            effect(event)  # queued in this transaction, through the outbox
        if isinstance(claim, Claim):
            claim.refresh_from_db()
