from django.contrib import admin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "topic", "ref", "attempts", "due_at", "delivered_at", "last_error"]
    list_filter = ["topic", ("delivered_at", admin.EmptyFieldListFilter)]
    search_fields = ["=ref"]
    date_hierarchy = "created_at"
    # A record of what was owed and when it went out; only the relay changes it.
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
