"""Needs, projects and claims in the admin: read-only; every change goes through ``needs.services``.

Answering a need, confirming a claim or completing a project has rules (one
confirmed claim, a reason, a report, the needs becoming MET) and writes the
append-only ``NeedsEvent``; the admin shows them and changes none. A community's
response time is configuration and stays editable.
"""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from organisations.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import (
    Claim,
    Need,
    NeedsEvent,
    NeedSupport,
    ResponseTime,
    ServiceProject,
    ServiceRating,
    ServiceRecord,
)


@admin.register(Need)
class NeedAdmin(ReadOnlyAdmin):
    list_display = ["raised_at", "community", "category", "channel", "status", "supports", "due_at"]
    list_filter = ["status", "category", "channel", "community"]
    list_select_related = ["community"]
    search_fields = ["text"]
    date_hierarchy = "raised_at"
    readonly_fields = [f.name for f in Need._meta.fields]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(support_count=Count("supports"))

    @admin.display(description=_("我也需要"), ordering="support_count")
    def supports(self, obj):
        return obj.support_count


class ClaimInline(ReadOnlyInline):
    model = Claim
    fields = readonly_fields = ["organisation", "status", "claimed_at", "decided_at", "decline_reason"]


class RecordInline(ReadOnlyInline):
    model = ServiceRecord
    fields = readonly_fields = ["served_on", "organisation", "people_served", "hours", "volunteers"]


@admin.register(ServiceProject)
class ServiceProjectAdmin(ReadOnlyAdmin):
    list_display = ["title", "community", "status", "people_target", "starts_on", "ends_on"]
    list_filter = ["status", "community"]
    list_select_related = ["community"]
    search_fields = ["title", "description"]
    readonly_fields = [f.name for f in ServiceProject._meta.fields]
    inlines = [ClaimInline, RecordInline]


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ["project", "organisation", "status", "claimed_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["project", "organisation"]
    search_fields = ["project__title", "organisation__name"]


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ReadOnlyAdmin):
    list_display = ["served_on", "project", "organisation", "people_served", "hours", "volunteers"]
    list_select_related = ["project", "organisation"]
    search_fields = ["project__title", "organisation__name"]
    date_hierarchy = "served_on"


@admin.register(NeedSupport)
class NeedSupportAdmin(ReadOnlyAdmin):
    list_display = ["need", "resident", "created_at"]
    list_select_related = ["need", "resident"]


@admin.register(ServiceRating)
class ServiceRatingAdmin(ReadOnlyAdmin):
    list_display = ["project", "resident", "stars", "created_at"]
    list_filter = ["stars"]
    list_select_related = ["project", "resident"]


@admin.register(NeedsEvent)
class NeedsEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "community", "kind", "actor", "from_status", "to_status"]
    list_filter = ["kind", "community"]
    list_select_related = ["community", "actor"]


@admin.register(ResponseTime)
class ResponseTimeAdmin(admin.ModelAdmin):
    """A community's response time is configuration, not history: editable (1–90 days, a database check)."""

    list_display = ["community", "days"]
    list_select_related = ["community"]


from .models import Activity, Signup  # noqa: E402 — the activities (R25)


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["starts_at", "title", "project", "place", "capacity", "min_age"]
    list_select_related = ["project"]


@admin.register(Signup)
class SignupAdmin(ReadOnlyAdmin):
    list_display = ["activity", "resident", "status", "signed_up_at", "checked_in_at", "checkin_method"]
    list_filter = ["status", "checkin_method"]
    list_select_related = ["activity", "resident"]
