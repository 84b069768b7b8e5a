from django.contrib import admin

from .models import Photo


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    """Read-only: photos are added and removed on the portal's pages, where the removal is logged."""

    list_display = ("pk", "caption", "proposal", "agenda_item", "need", "candidate", "uploaded_by", "uploaded_at",
                    "removed_at")
    list_filter = ("removed_at",)
    list_select_related = ("proposal", "agenda_item", "need", "candidate__user", "uploaded_by")
    raw_id_fields = ("proposal", "agenda_item", "need", "candidate", "uploaded_by", "removed_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
