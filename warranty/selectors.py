"""Reads of the warranty domain: one lookup used by the portal, the admin and the API.

The rules themselves are pure (warranty/rules.py); these functions load the facts they need
with the joins their callers need (STYLE 6) and hand plain values to ``rules.judge``.
"""

from __future__ import annotations

import bisect
import functools
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organisation
from rma_portal import rows
from rma_portal.exceptions import DomainError, NotFound

from . import rules
from .models import ProductModel, Shipment, Unit, WarrantyPolicy


@dataclass(frozen=True)
class PolicyTable:
    """Every policy version, ordered by the date it took effect: a handful of rows, read once."""

    starts: tuple[date, ...]
    terms: tuple[rules.PolicyTerms, ...]

    @classmethod
    def load(cls) -> PolicyTable:
        policies = list(WarrantyPolicy.objects.order_by("effective_from"))
        return cls(
            starts=tuple(p.effective_from for p in policies),
            terms=tuple(policy_terms(p) for p in policies),
        )

    @classmethod
    def current(cls) -> PolicyTable:
        """The table as this process last read it: no query on the hot path (the warranty API).

        Cached per process for ``POLICY_CACHE_SECONDS``; saving or deleting a version empties
        this process's copy at once and again when the change commits, and other processes
        (gunicorn workers, Celery) read the new table within ``POLICY_CACHE_SECONDS``. Versions
        take effect from a date, usually a future one, so that short delay changes no verdict
        in practice; pages that show policies themselves use ``load()``.
        """
        with _policy_cache.lock:
            table, read_at = _policy_cache.table, _policy_cache.read_at
        if table is not None and time.monotonic() - read_at < POLICY_CACHE_SECONDS:
            return table
        table = cls.load()
        with _policy_cache.lock:
            _policy_cache.table, _policy_cache.read_at = table, time.monotonic()
        return table

    def in_force_on(self, day: date) -> rules.PolicyTerms:
        """The version in force on ``day``; a unit is judged by the one of its delivery date."""
        index = bisect.bisect_right(self.starts, day) - 1
        if index < 0:
            if not self.terms:
                raise DomainError(_("No warranty policy is defined."), code="no_policy")
            # Older than every version on record: the first version's rules are the best guess.
            index = 0
        return self.terms[index]


POLICY_CACHE_SECONDS = 60.0


class _PolicyCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.table: PolicyTable | None = None
        self.read_at = 0.0


_policy_cache = _PolicyCache()


def forget_policy_table() -> None:
    """Drop this process's cached policy table; the next ``PolicyTable.current()`` reads it."""
    with _policy_cache.lock:
        _policy_cache.table = None


@receiver(post_save, sender=WarrantyPolicy, dispatch_uid="warranty.forget_policy_table.save")
@receiver(post_delete, sender=WarrantyPolicy, dispatch_uid="warranty.forget_policy_table.delete")
def _policy_changed(**_kwargs) -> None:
    # At once (later reads in this transaction see the change) and at commit (a read between
    # the save and the commit must not keep the uncommitted table).
    forget_policy_table()
    transaction.on_commit(forget_policy_table)


def policy_terms(policy: WarrantyPolicy) -> rules.PolicyTerms:
    return rules.PolicyTerms(
        version=policy.version,
        standard_months=policy.standard_months,
        camera_module_months=policy.camera_module_months,
        mechanical_wear_months=policy.mechanical_wear_months,
        notice_days=policy.notice_days,
        replacement_min_months=policy.replacement_min_months,
    )


def seoul_today() -> date:
    """CPRO's calendar date now (N1 counts days in Asia/Seoul)."""
    return rules.seoul_date(timezone.now())


# What a verdict reads of a unit, joined in the same query (the reverse one-to-one tells a
# replacement unit, D1, without a query per row).
VERDICT_RELATED = ("shipment", "product_model", "replaces_item")


def units_with_verdict_facts() -> QuerySet[Unit]:
    return Unit.objects.select_related(*VERDICT_RELATED)


def units_of(organisation: Organisation) -> QuerySet[Unit]:
    """The organisation's units with what a verdict needs, in one query."""
    return units_with_verdict_facts().filter(shipment__buyer=organisation)


def unit_of(organisation: Organisation, serial_number: str) -> Unit:
    """One of the organisation's units by serial; another organisation's serial is not found.

    One query, its SQL built once per process (the warranty API's hot path, bench/lookup.py):
    the unit with its shipment and model, and whether it replaces a claim's unit (D1).
    """
    with connection.cursor() as cursor:
        cursor.execute(_unit_of_sql(), [organisation.pk, serial_number.strip()])
        row = cursor.fetchone()
    if row is None:
        raise NotFound(f"No unit with serial number {serial_number!r} in your organisation.")
    unit_end = rows.width(Unit)
    shipment_end = unit_end + rows.width(Shipment)
    unit = rows.instance(Unit, row[:unit_end])
    Unit.shipment.field.set_cached_value(unit, rows.instance(Shipment, row[unit_end:shipment_end]))
    Unit.product_model.field.set_cached_value(
        unit, rows.instance(ProductModel, row[shipment_end:-1])
    )
    if not row[-1]:
        # No claim item names it as its replacement: known not to be one, as select_related
        # would record it. A replacement unit (rare) loads its item when the verdict asks.
        Unit.replaces_item.related.set_cached_value(unit, None)
    return unit


@functools.cache
def _unit_of_sql() -> str:
    item = Unit.replaces_item.related
    replaced = connection.ops.quote_name(item.field.column)
    return (
        f"SELECT {rows.columns(Unit, 'u')}, {rows.columns(Shipment, 's')}, "
        f"{rows.columns(ProductModel, 'm')}, "
        f"EXISTS (SELECT 1 FROM {rows.table(item.related_model)} i WHERE i.{replaced} = u.id) "
        f"FROM {rows.table(Unit)} u "
        f"JOIN {rows.table(Shipment)} s ON s.id = u.shipment_id "
        f"JOIN {rows.table(ProductModel)} m ON m.id = u.product_model_id "
        "WHERE s.buyer_id = %s AND u.serial_number = %s"
    )


def component_facts(unit: Unit, component_name: str | None) -> rules.ComponentFacts | None:
    """The named component of the unit's model; ``None`` or "unknown" means not known."""
    if not component_name or component_name.strip().lower() == "unknown":
        return None
    component = unit.product_model.components.filter(name=component_name.strip()).first()
    if component is None:
        names = ", ".join(unit.product_model.components.values_list("name", flat=True))
        raise DomainError(
            f"{unit.product_model.code} has no component {component_name!r}"
            + (f" (components: {names})." if names else "."),
            field="component",
        )
    return rules.ComponentFacts(name=component.name, kind=component.kind)


def check_defect_date(
    unit: Unit, *, defect_kind: str | None, defect_date: date, today: date
) -> None:
    """W1: not in the future, not before the unit's warranty started (delivery, else shipment).

    Raises ``RuleInputError``; the services show its message, the portal words it by its code.
    """
    shipment = unit.shipment
    rules.validate_defect_date(
        defect_date=defect_date,
        start_date=shipment.warranty_start,
        today=today,
        defect_kind=defect_kind,
        start_basis=rules.StartBasis.DELIVERY
        if shipment.delivery_date
        else rules.StartBasis.SHIPMENT,
    )


def unit_verdict(
    unit: Unit,
    *,
    today: date | None = None,
    defect_kind: str | None = None,
    defect_date: date | None = None,
    component: rules.ComponentFacts | None = None,
    notice_date: date | None = None,
    notice_exception: str | None = None,
    findings: Sequence[str] = (),
    final: bool = False,
    policies: PolicyTable | None = None,
) -> rules.Verdict:
    """The verdict for a unit (W1-W5, N1), by the policy in force on its delivery date.

    With no defect date it answers "is this unit covered today"; with one it judges a claim as
    if notified on ``notice_date`` (default: today, in Seoul). A unit shipped as a replacement
    (D1) is covered to the end of the unit it replaced (see ``replacement_facts``).
    """
    return _unit_verdict(
        unit,
        today=today or seoul_today(),
        defect_kind=defect_kind,
        defect_date=defect_date,
        component=component,
        notice_date=notice_date,
        notice_exception=notice_exception,
        findings=findings,
        final=final,
        policies=policies or PolicyTable.current(),
        seen=frozenset(),
    )


def prospective_verdict(
    unit: Unit,
    *,
    defect_kind: str | None = None,
    defect_date: date | None = None,
    component_name: str | None = None,
    today: date | None = None,
) -> rules.Verdict:
    """A prospective claim judged as if notified today (N1, W1-W5; preliminary, N5): the one
    read behind the portal's live verdict and the API's warranty check.

    A defect date needs its kind (receipt of a manifest defect or discovery of a hidden one,
    N1), since the notice deadline runs from it: without one, ``DomainError`` on
    ``defect_kind``. The date is checked (not in the future, not before the warranty started,
    ``RuleInputError``) and the component must be one of the model's (or "unknown").
    """
    today = today or seoul_today()
    if defect_date is not None and not defect_kind:
        raise DomainError(
            _(
                "Give the defect kind with the defect date: 'manifest' (date of receipt) or "
                "'hidden' (date of discovery); the N1 notice deadline runs from it."
            ),
            field="defect_kind",
        )
    component = component_facts(unit, component_name)
    if defect_date is not None:
        check_defect_date(unit, defect_kind=defect_kind, defect_date=defect_date, today=today)
    return unit_verdict(
        unit,
        today=today,
        defect_kind=defect_kind if defect_date is not None else None,
        defect_date=defect_date,
        component=component,
    )


def shipment_records(unit: Unit) -> dict[str, str]:
    """N3: what CPRO's shipment records say of the fields the buyer gives for a unit."""
    shipment = unit.shipment
    return {
        "model_code": unit.product_model.code,
        "shipment_date": shipment.shipment_date.isoformat(),
        "po_number": shipment.po_number,
        "pi_number": shipment.pi_number,
    }


# The N3 fields by the names the buyer and staff read (never the field codes, issue 17).
N3_LABELS = {
    "model_code": gettext_lazy("Model"),
    "shipment_date": gettext_lazy("Date of shipment"),
    "po_number": gettext_lazy("PO number"),
    "pi_number": gettext_lazy("CPRO PI number"),
}


def n3_mismatches(unit: Unit, given: dict[str, str]) -> list[dict[str, str]]:
    """N3: the fields given that disagree with CPRO's records, flagged to staff, never refused.
    Case and surrounding spaces are typing, not a disagreement; a blank field is not one
    either (submission requires every N3 field anyway)."""
    recorded = shipment_records(unit)
    found = []
    for name, value in given.items():
        value = (value or "").strip()
        if value and value.casefold() != recorded[name].strip().casefold():
            found.append({"field": name, "given": value, "recorded": recorded[name]})
    return found


def replacement_facts(
    unit: Unit,
    *,
    today: date,
    component: rules.ComponentFacts | None = None,
    policies: PolicyTable | None = None,
    seen: frozenset[int] = frozenset(),
) -> rules.ReplacementFacts | None:
    """D1: for a unit CPRO shipped as a replacement, the replaced unit's serial, its own end
    date (for the same failed component; a replaced replacement counts back to the first unit)
    and the Seoul date the replacement was shipped. ``None`` for any other unit."""
    try:
        item = unit.replaces_item  # ClaimItem.replacement_unit, reverse one-to-one
    except ObjectDoesNotExist:
        return None
    replaced = item.unit
    if replaced.pk in seen or replaced.pk == unit.pk:
        return None  # a loop in hand-edited data; judge the unit on its own
    replaced_verdict = _unit_verdict(
        replaced,
        today=today,
        component=component,
        policies=policies or PolicyTable.current(),
        seen=seen | {unit.pk},
    )
    shipped_on = rules.seoul_date(item.outbound_shipped_at) if item.outbound_shipped_at else today
    return rules.ReplacementFacts(
        replaced_serial=replaced.serial_number,
        replaced_end_date=replaced_verdict.end_date,
        shipped_on=shipped_on,
    )


def _unit_verdict(
    unit: Unit,
    *,
    today: date,
    defect_kind: str | None = None,
    defect_date: date | None = None,
    component: rules.ComponentFacts | None = None,
    notice_date: date | None = None,
    notice_exception: str | None = None,
    findings: Sequence[str] = (),
    final: bool = False,
    policies: PolicyTable,
    seen: frozenset[int],
) -> rules.Verdict:
    shipment = unit.shipment
    replacement = replacement_facts(
        unit, today=today, component=component, policies=policies, seen=seen
    )
    return rules.judge(
        terms=policies.in_force_on(shipment.warranty_start),
        product=rules.ProductFacts(
            model_code=unit.product_model.code,
            is_camera_module=unit.product_model.is_camera_module,
            mechanical_wear=unit.product_model.mechanical_wear,
        ),
        component=component,
        shipment_date=shipment.shipment_date,
        delivery_date=shipment.delivery_date,
        defect_kind=defect_kind,
        defect_date=defect_date,
        notice_date=notice_date,
        today=today,
        notice_exception=notice_exception,
        findings=findings,
        final=final,
        replacement=replacement,
    )


def warranty_answer(unit: Unit, verdict: rules.Verdict, *, lang: str = "en") -> dict:
    """The SPEC "Operations interface" answer for a unit: serial and model, then the verdict."""
    return {"serial": unit.serial_number, "model": unit.product_model.code, **verdict.as_dict(lang)}
