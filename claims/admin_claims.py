"""The sales staff's claim queue in the admin (SPEC "Who uses it").

The list is the queue (filters and search for the day's work, fast on a large table); the
change page shows everything about a claim read-only — items, thread, evidence, documents and
the event log — with a button for each act the lifecycle allows now. Nobody edits a claim's
rows here: every change is an act (claims/admin_actions.py) calling the service layer.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from rma_portal.exceptions import DomainError, ValidationFailed
from rma_portal.money import money
from warranty.selectors import N3_LABELS, seoul_today

from . import dashboard, selectors, services, settlement
from .actors import Actor
from .admin_actions import ACTS, Act, acts_offered
from .admin_lists import (
    HOLD_WARNING_DAYS,
    CappedCountPaginator,
    HoldFilter,
    LateNoticeFilter,
    MismatchFilter,
    OrganisationFilter,
    StatusFilter,
    search_claims,
)
from .admin_queue import QueueAdminMixin
from .events import verify_claim
from .models import (
    FINDING_LABELS,
    OPEN_STATUSES,
    Attachment,
    Claim,
    ClaimEvent,
    ClaimItem,
    ClaimStatus,
    Document,
    Message,
)

ACT_PERMISSION = "claims.change_claim"
VERDICT_LABELS = {"covered": _("Covered"), "not_covered": _("Not covered")}
# The event log's kinds (claims/workflow.py RULES, claims/assignment.py) in the staff's words.
EVENT_LABELS = {
    "edit_draft": _("Draft edited"),
    "submit": _("Notice given (N1)"),
    "request_info": _("Information requested"),
    "answer_info": _("Information answered"),
    "grant_notice_exception": _("N1 exception granted"),
    "authorize_return": _("Return authorized (R1)"),
    "record_shipment": _("Shipped by the buyer"),
    "receive": _("Received (R2)"),
    "refuse": _("Refused"),
    "inspect": _("Inspected"),
    "issue_credit_note": _("Credit note issued (D1)"),
    "charge": _("D2 charge recorded"),
    "waive_charge": _("D2 charge waived"),
    "issue_debit_note": _("Debit note issued (D2)"),
    "ship_outbound": _("Shipped to the buyer"),
    "close": _("Closed"),
    "reject": _("Rejected"),
    "cancel": _("Cancelled"),
    "post_message": _("Message"),
    "internal_note": _("Internal note"),
    "attach": _("Evidence attached"),
    "hold_ended": _("Hold ended (N4)"),
    "document_issued": _("Document issued"),
    "void_document": _("Document voided"),
    "assign": _("Assignment"),
}
STATUS_LABELS = dict(ClaimStatus.choices)
BULK_LIMIT = 200  # claims closed by one bulk action: each is its own guarded act


def hold_badge(claim: Claim):
    """N4: the hold's end, red once passed and orange within a week, while the claim is open."""
    if claim.hold_until is None:
        return "—"
    text = claim.hold_until.isoformat()
    if claim.status not in OPEN_STATUSES:
        return text
    days = (claim.hold_until - seoul_today()).days
    if days < 0:
        return format_html(
            '<span class="hold-past" style="color:#ba2121;font-weight:bold" title="{}">{}</span>',
            _("Hold ended %(n)d days ago") % {"n": -days},
            text,
        )
    if days <= HOLD_WARNING_DAYS:
        return format_html(
            '<span class="hold-near" style="color:#9a4a00;font-weight:bold" title="{}">{}</span>',
            _("Hold ends in %(n)d days") % {"n": days},
            text,
        )
    return text


class ReadOnlyInline(admin.TabularInline):
    """Rows shown, never added, edited or deleted here."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClaimItemInline(ReadOnlyInline):
    model = ClaimItem
    verbose_name_plural = _("items")
    fields = [
        "serial_number",
        "model_code",
        "defect",
        "defect_details_short",
        "defect_reason",
        "component",
        "verdict_display",
        "mismatches_display",
        "return_display",
        "findings_display",
        "outcome_display",
        "charge_display",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "claim",  # the row's title
                "component",
                "defect_reason",
                "credit_note",
                "charge__debit_note",
                "replacement_unit",
            )
        )

    @admin.display(description=_("defect"))
    def defect(self, item):
        return f"{item.get_defect_kind_display()}, {item.defect_date.isoformat()}"

    @admin.display(description=_("details"))
    def defect_details_short(self, item):
        return format_html(
            '<span title="{}">{}</span>',
            item.defect_details,
            Truncator(item.defect_details).chars(80),
        )

    @admin.display(description=_("verdict"))
    def verdict_display(self, item):
        if not item.verdict_status:
            return "—"
        verdict = (item.verdict or {}).get("en", {})
        stage = _("final") if item.verdict_final else _("preliminary (N5)")
        clauses = ", ".join(verdict.get("clauses", []))
        reasons = " ".join(f"{r['clause']}: {r['text']}" for r in verdict.get("reasons", []))
        notice = ""
        if item.notice_late:
            notice = _("late notice (N1)")
        elif item.notice_exception:
            notice = _("N1 exception: %(reason)s") % {"reason": item.notice_exception}
        return format_html(
            '<strong>{}</strong>, {}<br><span title="{}">{}</span>{}',
            VERDICT_LABELS.get(item.verdict_status, item.verdict_status),
            stage,
            reasons,
            clauses,
            format_html('<br><span style="color:#ba2121">{}</span>', notice) if notice else "",
        )

    @admin.display(description=_("mismatches (N3)"))
    def mismatches_display(self, item):
        if not item.mismatches:
            return "—"
        return format_html_join(
            "",
            '<div style="color:#ba2121">⚑ {}: {} ≠ {}</div>',
            (
                (N3_LABELS.get(m["field"], m["field"]), m["given"] or "—", m["recorded"])
                for m in item.mismatches
            ),
        )

    @admin.display(description=_("return"))
    def return_display(self, item):
        if not item.return_authorized:
            return "—"
        condition = item.get_receipt_condition_display() or _("not received")
        return format_html("{}<br>{}", _("authorized (R1)"), condition)

    @admin.display(description=_("findings"))
    def findings_display(self, item):
        findings = ", ".join(str(FINDING_LABELS.get(f, f)) for f in item.findings) or "—"
        if item.inspected_on_site:
            findings = f"{findings} ({_('on site')})"
        if item.inspection_notes:
            return format_html("{}<br><em>{}</em>", findings, item.inspection_notes)
        return findings

    @admin.display(description=_("outcome"))
    def outcome_display(self, item):
        if not item.outcome:
            return "—"
        parts = [str(item.get_outcome_display())]
        if item.outcome_reason:
            parts.append(item.outcome_reason)
        credit_note = getattr(item, "credit_note", None)
        if credit_note is not None:
            parts.append(f"{credit_note.number}: {money(credit_note.amount, credit_note.currency)}")
        if item.outbound_shipped_at:
            parts.append(
                _("shipped %(carrier)s %(tracking)s")
                % {"carrier": item.outbound_carrier, "tracking": item.outbound_tracking}
            )
        if item.replacement_unit_id:
            parts.append(_("replacement %(serial)s") % {"serial": item.replacement_unit})
        return format_html_join("", "<div>{}</div>", ((p,) for p in parts))

    @admin.display(description=_("D2 charge"))
    def charge_display(self, item):
        charge = getattr(item, "charge", None)
        if charge is None:
            return "—"
        lines = _("verification %(v)s, transport %(t)s, shipment %(s)s") % {
            "v": money(charge.verification, charge.currency),
            "t": money(charge.transport, charge.currency),
            "s": money(charge.shipment, charge.currency),
        }
        if charge.waived:
            state = _("waived: %(reason)s") % {"reason": charge.waive_reason}
        elif charge.debit_note_id:
            state = _("billed on %(number)s") % {"number": charge.debit_note.number}
        else:
            state = _("open")
        return format_html(
            "<strong>{}</strong><br>{}<br>{}", money(charge.total, charge.currency), lines, state
        )


class MessageInline(ReadOnlyInline):
    model = Message
    verbose_name_plural = _("messages and internal notes")
    fields = ["created_at", "author_label", "visibility", "channel", "body"]
    readonly_fields = fields
    ordering = ["created_at", "pk"]

    @admin.display(description=_("visibility"))
    def visibility(self, message):
        if message.internal:
            return format_html('<strong style="color:#9a4a00">{}</strong>', _("internal note"))
        return _("from CPRO") if message.from_staff else _("from the buyer")


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    verbose_name_plural = _("evidence (N5)")
    fields = ["created_at", "file_link", "item_serial", "content_type", "size", "channel"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item")

    @admin.display(description=_("item"))
    def item_serial(self, attachment):
        return attachment.item.serial_number if attachment.item_id else _("the claim")

    @admin.display(description=_("file"))
    def file_link(self, attachment):
        url = reverse("admin:claims_claim_attachment", args=[attachment.claim_id, attachment.pk])
        return format_html('<a href="{}">{}</a>', url, attachment.original_name)


class DocumentInline(ReadOnlyInline):
    model = Document
    verbose_name_plural = _("documents")
    fields = ["created_at", "kind", "number", "language", "status", "valid", "download"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claim", "credit_note", "debit_note")

    @admin.display(description=_("number"))
    def number(self, document):
        return document.number or "—"

    @admin.display(description=_("PDF"))
    def download(self, document):
        if not document.is_ready:
            return _("being rendered")
        url = reverse("documents:download", args=[document.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))


class ClaimEventInline(ReadOnlyInline):
    model = ClaimEvent
    verbose_name_plural = _("event log (oldest first)")
    fields = ["seq", "created_at", "what", "status_change", "actor_label", "channel", "details"]
    readonly_fields = fields
    ordering = ["seq"]

    @admin.display(description=_("event"))
    def what(self, event):
        return format_html(
            '<span title="{}">{}</span>', event.kind, EVENT_LABELS.get(event.kind, event.kind)
        )

    @admin.display(description=_("status"))
    def status_change(self, event):
        before = STATUS_LABELS.get(event.from_status, event.from_status) or "—"
        after = STATUS_LABELS.get(event.to_status, event.to_status) or "—"
        return after if event.from_status == event.to_status else f"{before} → {after}"

    @admin.display(description=_("details"))
    def details(self, event):
        text = json.dumps(event.data, ensure_ascii=False, sort_keys=True)
        label = "" if event.public else f"[{_('staff only')}] "
        return format_html('<span title="{}">{}{}</span>', text, label, Truncator(text).chars(160))


def _item_count(items):
    """How many of ``items`` the outer claim has (0, not NULL, when none)."""
    per_claim = items.filter(claim=OuterRef("pk")).order_by().values("claim")
    return Coalesce(Subquery(per_claim.annotate(n=Count("pk")).values("n")), Value(0))


class ClaimAdmin(QueueAdminMixin, admin.ModelAdmin):
    list_display = [
        "rma",
        "organisation_code",
        "status",
        "item_count",
        "hold",
        "flags",
        "assigned",
        "updated_at",
    ]
    list_display_links = ["rma"]
    list_filter = [StatusFilter, HoldFilter, LateNoticeFilter, MismatchFilter, OrganisationFilter]
    list_select_related = ["organisation", "assigned_to"]
    list_per_page = 50
    ordering = ["-pk"]  # newest first, on the primary key's index
    search_fields = ["rma_number"]  # shows the box; the search itself is search_claims
    search_help_text = _(
        "RMA number, serial number, PO or PI number (exact), or organisation code or name."
    )
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = ["close_selected"]
    inlines = [ClaimItemInline, MessageInline, AttachmentInline, DocumentInline, ClaimEventInline]
    fieldsets = [
        (
            _("Claim (N1, N2, N4)"),
            {
                "fields": [
                    "rma_number",
                    "status",
                    "organisation",
                    "author",
                    "api_key",
                    "buyer_reference",
                    "notice_at",
                    "hold",
                    "hold_ended_at",
                ]
            },
        ),
        (
            _("Return and receiving (R1, R2)"),
            {
                "fields": [
                    "carrier",
                    "tracking_number",
                    "shipped_at",
                    "received_at",
                    "original_packaging",
                    "bills_of_purchase",
                    "rma_on_documents",
                    "refusal_reason",
                ]
            },
        ),
        (
            _("Decision and settlement (D1, D2)"),
            {
                "fields": [
                    "decision_reason",
                    "decided_at",
                    "decided_by",
                    "notes_issued",
                    "settlement",
                    "closed_at",
                    "closed_by",
                ]
            },
        ),
        (_("Event log"), {"fields": ["event_count", "chain"]}),
    ]
    readonly_fields = [name for _title, fs in fieldsets for name in fs["fields"]]

    # --- List -----------------------------------------------------------------------------

    def get_queryset(self, request):
        # Scalar COUNT subqueries, run for the page's rows only on the items' claim index.
        # (An EXISTS here lets PostgreSQL hash all items once per page view instead.)
        return (
            super()
            .get_queryset(request)
            .select_related("organisation", "assigned_to")
            .annotate(
                item_count=_item_count(ClaimItem.objects.all()),
                late_notice=_item_count(ClaimItem.objects.filter(notice_late=True)),
                mismatch=_item_count(ClaimItem.objects.exclude(mismatches=[])),
            )
        )

    def get_search_results(self, request, queryset, search_term):
        return search_claims(queryset, search_term), False

    @admin.display(description=_("RMA"), ordering="rma_number")
    def rma(self, claim):
        return str(claim)

    @admin.display(description=_("organisation"), ordering="organisation__code")
    def organisation_code(self, claim):
        return format_html(
            '<span title="{}">{}</span>', claim.organisation.name, claim.organisation.code
        )

    @admin.display(description=_("items"))  # not sortable: it would count every claim's items
    def item_count(self, claim):
        return claim.item_count

    @admin.display(description=_("hold until (N4)"), ordering="hold_until")
    def hold(self, claim):
        return hold_badge(claim)

    @admin.display(description=_("assigned to"), ordering="assigned_to__username")
    def assigned(self, claim):
        return claim.assigned_to.get_username() if claim.assigned_to_id else "—"

    @admin.display(description=_("flags"))
    def flags(self, claim):
        flags = []
        if getattr(claim, "late_notice", False):
            flags.append(("late-notice", _("late notice (N1)")))
        if getattr(claim, "mismatch", False):
            flags.append(("mismatch", _("mismatch (N3)")))
        return format_html_join(
            " ",
            '<span class="flag-{}" style="color:#ba2121">⚑ {}</span>',
            flags,
        )

    @admin.action(description=_("Close the selected claims (when settled)"), permissions=["act"])
    def close_selected(self, request, queryset):
        if queryset.count() > BULK_LIMIT:
            messages.error(
                request,
                _("Choose at most %(n)d claims to close at once.") % {"n": BULK_LIMIT},
            )
            return
        actor = Actor.staff(request.user)
        closed = 0
        for claim in queryset.order_by("pk"):
            try:
                services.close(actor=actor, claim=claim)
            except DomainError as exc:
                messages.error(request, f"{claim}: {exc.message}")
            else:
                closed += 1
        if closed:
            messages.success(
                request,
                ngettext("%(n)d claim closed.", "%(n)d claims closed.", closed) % {"n": closed},
            )

    # --- Permissions: read-only rows, acts through the services -------------------------

    def has_add_permission(self, request):
        return False  # claims are the buyers' (portal, API)

    def has_delete_permission(self, request, obj=None):
        return False  # an RMA number is never reused or removed (N2)

    def has_act_permission(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_staff and user.has_perm(ACT_PERMISSION)

    def may_act(self, request, act: Act) -> bool:
        return self.has_act_permission(request) and request.user.has_perm(act.permission)

    # --- Change page: read-only, with the acts as buttons --------------------------------

    @admin.display(description=_("credit and debit notes"))
    def notes_issued(self, claim):
        notes = [
            f"{n.number}: {money(n.amount, n.currency)} ({n.item.serial_number})"
            for n in claim.credit_notes.select_related("item").order_by("pk")
        ] + [f"{n.number}: {money(n.total, n.currency)}" for n in claim.debit_notes.order_by("pk")]
        return format_html_join("", "<div>{}</div>", ((n,) for n in notes)) if notes else "—"

    @admin.display(description=_("still to settle"))
    def settlement(self, claim):
        if claim.status != ClaimStatus.INSPECTED:
            return "—"
        problems = settlement.unsettled(claim)
        if not problems:
            return _("Everything is settled: the claim can be closed.")
        return format_html_join("", "<div>{}</div>", ((p,) for p in problems))

    @admin.display(description=_("hash chain"))
    def chain(self, claim):
        broken = verify_claim(claim)
        if broken is None:
            return _("intact")
        return format_html('<strong style="color:#ba2121">{}</strong>', str(broken))

    def _items(self, claim: Claim) -> list[ClaimItem]:
        return list(
            claim.items.select_related("credit_note", "charge", "defect_reason").order_by(
                "position", "pk"
            )
        )

    def _act_url(self, claim: Claim, act: Act) -> str:
        return reverse("admin:claims_claim_act", args=[claim.pk, act.key])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            raise PermissionDenied  # no direct edits: every change is an act
        extra_context = dict(extra_context or {})
        claim = self.get_object(request, unquote(object_id))
        if claim is not None:
            extra_context["title"] = f"{claim} — {claim.get_status_display()}"
            extra_context["subtitle"] = None  # the title names the claim once
        if claim is not None and self.has_act_permission(request):
            extra_context["claim_acts"] = [
                {"key": act.key, "label": act.label, "url": self._act_url(claim, act)}
                for act in acts_offered(claim, self._items(claim))
                if self.may_act(request, act)
            ]
        extra_context.update(
            show_save=False,
            show_save_and_continue=False,
            show_save_and_add_another=False,
            show_delete=False,
        )
        return super().change_view(request, object_id, form_url, extra_context)

    # --- The act pages, the evidence download and the dashboard -------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("dashboard/", wrap(self.dashboard_view), name="claims_claim_dashboard"),
            path("queue/", wrap(self.queue_view), name="claims_claim_queue"),
            path("<path:object_id>/assign/", wrap(self.assign_view), name="claims_claim_assign"),
            path(
                "<path:object_id>/act/<slug:act_key>/",
                wrap(self.act_view),
                name="claims_claim_act",
            ),
            path(
                "<path:object_id>/attachments/<int:attachment_id>/",
                wrap(self.attachment_view),
                name="claims_claim_attachment",
            ),
            *super().get_urls(),
        ]

    def act_view(self, request, object_id, act_key):
        act = ACTS.get(act_key)
        if act is None:
            raise Http404
        if not self.may_act(request, act):
            raise PermissionDenied
        claim = self.get_object(request, unquote(object_id))
        if claim is None:
            raise Http404
        change_url = reverse("admin:claims_claim_change", args=[claim.pk])
        items = self._items(claim)
        if request.method == "POST":
            form = act.form(claim, items, request.POST)
            if form.is_valid():
                try:
                    result = act.perform(Actor.staff(request.user), claim, form)
                except ValidationFailed as exc:
                    form.add_service_errors(exc.errors)
                    for problems in exc.errors.values():
                        for problem in problems:
                            messages.error(request, problem)
                except DomainError as exc:
                    messages.error(request, exc.message)
                else:
                    claim.refresh_from_db()
                    level = messages.WARNING if claim.status == ClaimStatus.REFUSED else None
                    messages.add_message(request, level or messages.SUCCESS, result)
                    return redirect(change_url)
        else:
            if not act.allowed_in(claim.status):
                messages.error(
                    request,
                    _("This cannot be done while the claim is %(status)s.")
                    % {"status": claim.get_status_display().lower()},
                )
                return redirect(change_url)
            form = act.form(claim, items)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{act.label}: {claim}",
            "claim": claim,
            "items": items,
            "act": act,
            "form": form,
            "change_url": change_url,
            "open_charges": [i for i in items if getattr(i, "charge", None)],
            "unsettled": settlement.unsettled(claim) if act.key == "close" else [],
        }
        return TemplateResponse(request, "admin/claims/claim/act.html", context)

    def attachment_view(self, request, object_id, attachment_id):
        """Evidence, for staff who may view the claim (served as a download, never inline)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            attachment = selectors.attachment_for(Actor.staff(request.user), attachment_id)
        except DomainError:
            raise Http404 from None
        if str(attachment.claim_id) != str(unquote(object_id)):
            raise Http404
        if not attachment.file or not attachment.file.storage.exists(attachment.file.name):
            raise Http404
        return FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Claims dashboard"),
            **dashboard.dashboard(),
        }
        return TemplateResponse(request, "admin/claims/claim/dashboard.html", context)
