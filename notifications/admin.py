"""Read-only views of what was sent and what is waiting: support answers "was it sent?"."""

from django.contrib import admin

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
    list_display = ["task_name", "args", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter), "task_name"]
    search_fields = ["dedupe_key"]


@admin.register(SentEmail)
class SentEmailAdmin(ReadOnlyAdmin):
    list_display = ["subject", "kind", "language", "sent_at"]
    list_filter = ["kind", "language"]
    search_fields = ["subject", "dedupe_key", "claim__rma_number"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["claim", "kind", "deadline", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["claim"]
    search_fields = ["claim__rma_number"]
