"""The staff work queue page and the assignment act in the admin (issue 16).

Thin: the queue is read by claims/queue.py, assignments go through claims/assignment.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from rma_portal.exceptions import DomainError
from warranty.selectors import seoul_today

from . import assignment, queue
from .actors import Actor

QUEUE_PAGE = 100  # lines shown; the counts at the top cover the whole queue
WHO = ("all", "mine", "unassigned")


class QueueAdminMixin:
    """Adds the queue page and the assign act to the claim admin."""

    def queue_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = seoul_today()
        who = request.GET.get("who", "all")
        who = who if who in WHO else "all"
        reason = queue.BY_KEY.get(request.GET.get("reason", ""))
        claims = queue.for_assignee(queue.queue(today=today), who, request.user)
        totals = queue.counts(claims)
        if reason is not None:
            claims = claims.filter(queue_rank=reason.rank)
        lines = queue.rows(claims[:QUEUE_PAGE], today)
        may_assign = self.has_act_permission(request)
        shown = sum(t["all"] for k, t in totals.items() if reason is None or k == reason.key)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Work queue"),
            "today": today,
            "rows": lines,
            "shown": shown,
            "page_size": QUEUE_PAGE,
            "reasons": [(r, totals[r.key]) for r in queue.REASONS],
            "reason": reason,
            "who": who,
            "who_choices": [
                ("all", _("All")),
                ("mine", _("Mine")),
                ("unassigned", _("Unassigned")),
            ],
            "may_assign": may_assign,
            "clerks": list(assignment.assignable_staff()) if may_assign else [],
            "next_url": request.get_full_path(),
        }
        return TemplateResponse(request, "admin/claims/claim/queue.html", context)

    def assign_view(self, request, object_id):
        if request.method != "POST":
            raise Http404
        if not self.has_act_permission(request):
            raise PermissionDenied
        claim = self.get_object(request, unquote(object_id))
        if claim is None:
            raise Http404
        choice = request.POST.get("assignee", "")
        assignee = None
        if choice == "me":
            assignee = request.user
        elif choice:
            assignee = assignment.assignable_staff().filter(pk=choice if choice.isdigit() else 0)
            assignee = assignee.first()
            if assignee is None:
                messages.error(request, _("Claims can only be assigned to active CPRO staff."))
                return redirect(self._next(request))
        try:
            assignment.assign(actor=Actor.staff(request.user), claim=claim, assignee=assignee)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if assignee is None:
                messages.success(request, _("%(claim)s is unassigned.") % {"claim": claim})
            else:
                messages.success(
                    request,
                    _("%(claim)s is assigned to %(clerk)s.")
                    % {"claim": claim, "clerk": assignee.get_username()},
                )
        return redirect(self._next(request))

    def _next(self, request) -> str:
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return target
        return reverse("admin:claims_claim_queue")
