from django.contrib import admin

from .models import KindPreference, MailPreference, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "title", "read_at", "mail_status"]
    list_filter = ["kind", "mail_status"]
    search_fields = ["title", "user__username", "user__full_name"]
    raw_id_fields = ["user", "proposal", "event"]
    date_hierarchy = "created_at"
    # Notifications are a record of what people were told; the admin only reads them.
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(MailPreference)
class MailPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "digest"]
    raw_id_fields = ["user"]


@admin.register(KindPreference)
class KindPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "email"]
    list_filter = ["kind", "email"]
    raw_id_fields = ["user"]
