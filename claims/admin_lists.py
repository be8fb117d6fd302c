"""The claim queue's list in the admin: filters, search and a paginator that stays fast at scale.

Every filter is one indexed condition or one EXISTS on the items' ``claim_id`` index, and the
page never counts the whole table (STYLE 6: a page's cost does not grow with the rows).
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from warranty.models import Shipment
from warranty.selectors import seoul_today

from .holds import HOLD_WARNING_DAYS
from .models import OPEN_STATUSES, Claim, ClaimItem, ClaimStatus

_RMA = re.compile(r"^RMA-\d{4}-\d{6}$", re.IGNORECASE)


def late_notice_items():
    """Items of the outer claim whose notice came after the N1 deadline."""
    return ClaimItem.objects.filter(claim=OuterRef("pk"), notice_late=True)


def mismatched_items():
    """Items of the outer claim whose N3 fields disagree with CPRO's records."""
    return ClaimItem.objects.filter(claim=OuterRef("pk")).exclude(mismatches=[])


class CappedCountPaginator(Paginator):
    """Counts at most ``cap`` rows; beyond that, the whole table's planner estimate.

    ``SELECT COUNT(*)`` over a big table reads every row. Up to ``cap`` rows the count is
    exact and cheap (``COUNT`` over a ``LIMIT`` subquery). Beyond it, an unfiltered list shows
    PostgreSQL's ``pg_class.reltuples`` (kept by ANALYZE/autovacuum) and a filtered one shows
    "more than cap"; either way the page links stop where the count stops.
    """

    cap = 10_000
    estimated = False  # the count is the planner's estimate of the whole table
    capped = False  # there are more than ``cap`` rows

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        capped = queryset.order_by().values("pk")[: self.cap + 1].count()
        if capped <= self.cap:
            return capped
        if not queryset.query.where:
            estimate = self._table_estimate(queryset)
            if estimate is not None and estimate > self.cap:
                self.estimated = True
                return estimate
        self.capped = True
        return self.cap

    @staticmethod
    def _table_estimate(queryset: QuerySet) -> int | None:
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [queryset.model._meta.db_table],
            )
            row = cursor.fetchone()
        # reltuples is -1 for a table never analysed.
        return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


class StatusFilter(admin.SimpleListFilter):
    """The lifecycle statuses, plus "open" (everything under work)."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("open", _("Open (submitted to inspected)")), *ClaimStatus.choices]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        if value in ClaimStatus.values:
            return queryset.filter(status=value)
        return queryset


class HoldFilter(admin.SimpleListFilter):
    """N4: open claims whose hold ends this week, or ended; claims with no hold."""

    title = _("hold (N4)")
    parameter_name = "hold"

    def lookups(self, request, model_admin):
        return [
            ("week", _("Ending within 7 days")),
            ("past", _("Ended")),
            ("none", _("No hold (not submitted)")),
        ]

    def queryset(self, request, queryset):
        today = seoul_today()
        value = self.value()
        if value == "week":
            return queryset.filter(
                status__in=OPEN_STATUSES,
                hold_until__gte=today,
                hold_until__lte=today + timedelta(days=HOLD_WARNING_DAYS),
            )
        if value == "past":
            return queryset.filter(status__in=OPEN_STATUSES, hold_until__lt=today)
        if value == "none":
            return queryset.filter(hold_until__isnull=True)
        return queryset


class _ItemExistsFilter(admin.SimpleListFilter):
    """Claims with (or without) an item in ``items()``, a correlated subquery."""

    items: staticmethod  # each filter names its items selector

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(Exists(self.items()))
        if self.value() == "no":
            return queryset.filter(~Exists(self.items()))
        return queryset


class LateNoticeFilter(_ItemExistsFilter):
    title = _("late notice (N1)")
    parameter_name = "late_notice"
    items = staticmethod(late_notice_items)


class MismatchFilter(_ItemExistsFilter):
    title = _("mismatch with records (N3)")
    parameter_name = "mismatch"
    items = staticmethod(mismatched_items)


class OrganisationFilter(admin.SimpleListFilter):
    """The buyer organisations by code (one small query; the claims index starts with it)."""

    title = _("organisation")
    parameter_name = "organisation"

    def lookups(self, request, model_admin):
        return [
            (str(pk), f"{code} — {name}")
            for pk, code, name in Organisation.objects.order_by("code").values_list(
                "pk", "code", "name"
            )
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(organisation_id=int(value))
        return queryset


def search_claims(queryset: QuerySet[Claim], term: str) -> QuerySet[Claim]:
    """RMA number, serial number, PO or PI number (as given or as recorded), organisation.

    A full RMA number is looked up on its unique index. Otherwise the claim ids come from one
    UNION of small lookups, each on an index where there is one (the unit's serial, the
    shipment's PI and PO, the organisation) — so PostgreSQL finds the few matching claims
    first instead of testing an OR on every row of a large queue. Serial, PO and PI numbers
    match exactly (as typed or upper-cased); the RMA number and organisation name in part.
    """
    term = term.strip()
    if not term:
        return queryset
    if _RMA.match(term):
        return queryset.filter(rma_number=term.upper())
    variants = sorted({term, term.upper()})
    shipments = Shipment.objects.filter(Q(pi_number__in=variants) | Q(po_number__in=variants))
    organisations = Organisation.objects.filter(Q(code__iexact=term) | Q(name__icontains=term))
    ids = (
        Claim.objects.filter(rma_number__icontains=term)
        .values("pk")
        .union(
            Claim.objects.filter(organisation__in=organisations).values("pk"),
            ClaimItem.objects.filter(unit__serial_number__in=variants).values("claim_id"),
            ClaimItem.objects.filter(unit__shipment__in=shipments).values("claim_id"),
            ClaimItem.objects.filter(Q(po_number__in=variants) | Q(pi_number__in=variants)).values(
                "claim_id"
            ),
        )
    )
    return queryset.filter(pk__in=ids)
