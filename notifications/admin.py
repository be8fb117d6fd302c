"""Read-only views of what was sent and what is waiting: support answers "was it sent?".

The outbox by state (issue 12): Sales staff see what is pending, running, retrying or given up;
whoever may change outbox rows (a superuser) has the "retry now" act.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import outbox
from .models import OutboxMessage, Reminder, SentEmail


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = [
        "task_name",
        "args",
        "state",
        "created_at",
        "sent_at",
        "due_by",
        "done_at",
        "handovers",
        "attempts",
        "last_error",
    ]
    list_filter = ["state", "task_name"]
    search_fields = ["dedupe_key"]
    actions = ["retry_now"]

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("notifications.change_outboxmessage")

    @admin.action(permissions=["retry"], description=_("Retry now"))
    def retry_now(self, request, queryset):
        count = outbox.retry_now(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext(
                "%(count)d message handed to the broker again.",
                "%(count)d messages handed to the broker again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(SentEmail)
class SentEmailAdmin(ReadOnlyAdmin):
    list_display = ["subject", "sent_to", "kind", "language", "sent_at"]
    list_filter = ["kind", "language"]
    search_fields = ["subject", "dedupe_key", "claim__rma_number"]

    @admin.display(description=_("recipients"))
    def sent_to(self, obj: SentEmail) -> str:
        # The buyer's e-mail and its copy to the organisation's notification address are
        # two rows; the addresses tell them apart.
        return ", ".join(obj.recipients or [])


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["claim", "kind", "deadline", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["claim"]
    search_fields = ["claim__rma_number"]
